/**
 * The harness on Node: the real app over a real in-memory SQLite database
 * (better-sqlite3), migrated with the same files D1 uses.
 */

import { type Capabilities, NODE_CAPABILITIES } from '../../src/core/capabilities.js'
import type { AppConfig } from '../../src/core/config.js'
import type { ServiceOptions } from '../../src/core/services.js'
import { migrationsDir } from '../../src/node/paths.js'
import { migrate, openSqlite } from '../../src/node/sqlite.js'
import { type Harness, harnessOver, testConfig } from './harness-core.js'

export * from './harness-core.js'

/** `runtime` hands in Node-only services (mailauth); `capabilities` may say Workers. */
export function createHarness(
  config: AppConfig = testConfig(),
  runtime: Pick<ServiceOptions, 'mailAuth'> = {},
  capabilities: Capabilities = NODE_CAPABILITIES,
): Harness {
  const db = openSqlite(':memory:')
  migrate(db, migrationsDir())
  return harnessOver(db, config, capabilities, runtime)
}

/** The same, in the shape the shared suites take. */
export async function createNodeHarness(config?: AppConfig): Promise<Harness> {
  return createHarness(config)
}
