/**
 * The harness inside workerd: the same app as on Node, over the real local
 * D1 binding from wrangler.toml, emptied and migrated for each harness.
 */

import { applyD1Migrations, type D1Migration, reset } from 'cloudflare:test'
import { env } from 'cloudflare:workers'

import { WORKERS_CAPABILITIES } from '../../src/core/capabilities.js'
import type { AppConfig } from '../../src/core/config.js'
import type { SqlDatabase } from '../../src/core/sql.js'
import { type Harness, harnessOver, testConfig } from '../support/harness-core.js'

/** The bindings these tests use, as vitest.config.ts and wrangler.toml declare them. */
export interface TestEnv {
  DB: D1Database & SqlDatabase
  JOBS: Queue
  TEST_MIGRATIONS: D1Migration[]
  [name: string]: unknown
}

// The `cloudflare:workers` env is untyped here: the bindings come from configuration.
export const testEnv = env as unknown as TestEnv

/** Empties every binding's storage and applies migrations/ to D1, as `wrangler d1 migrations apply` would. */
export async function freshDatabase(): Promise<TestEnv['DB']> {
  await reset()
  await applyD1Migrations(testEnv.DB, testEnv.TEST_MIGRATIONS)
  return testEnv.DB
}

/** The last harness built: its deferred click writes must land before the database is emptied. */
let previous: Harness | null = null

export async function createD1Harness(config: AppConfig = testConfig()): Promise<Harness> {
  await previous?.settle()
  previous = harnessOver(await freshDatabase(), config, WORKERS_CAPABILITIES)
  return previous
}
