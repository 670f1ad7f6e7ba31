/**
 * The harness on Node: the real app over a real in-memory SQLite database
 * (better-sqlite3), migrated with the same files D1 uses.
 */

import type { AppConfig } from '../../src/core/config.js'
import { migrationsDir } from '../../src/node/paths.js'
import { migrate, openSqlite } from '../../src/node/sqlite.js'
import { type Harness, harnessOver, testConfig } from './harness-core.js'

export * from './harness-core.js'

export function createHarness(config: AppConfig = testConfig()): Harness {
  const db = openSqlite(':memory:')
  migrate(db, migrationsDir())
  return harnessOver(db, config)
}

/** The same, in the shape the shared suites take. */
export async function createNodeHarness(config?: AppConfig): Promise<Harness> {
  return createHarness(config)
}
