/**
 * The Worker's settings in the workerd tests, as `wrangler secret put` and
 * [vars] would provide them. Test values only.
 */

import { ADMIN_TOKEN, BASE_URL, HASH_SECRET, REWRITE_TOKEN } from '../support/constants.js'

/** A fixed signing key, so tests can sign links the Worker accepts. */
export const WORKER_KEY = 'w1:' + 'd29ya2Vycy10ZXN0LWtleS0wMTIzNDU2Nzg5YWJjZGVm'

export const WORKER_TEST_VARS = {
  CLICKGATE_BASE_URL: BASE_URL,
  CLICKGATE_KEYS: WORKER_KEY,
  CLICKGATE_HASH_SECRET: HASH_SECRET,
  CLICKGATE_ADMIN_TOKEN: ADMIN_TOKEN,
  CLICKGATE_REWRITE_TOKEN: REWRITE_TOKEN,
}
