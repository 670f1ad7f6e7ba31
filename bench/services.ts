/**
 * The real services for benchmarks: in-memory SQLite with the migrations
 * applied, a generated key, and the default limits.
 */

import { configFromEnv } from '../src/core/config.js'
import { type Services, createServices } from '../src/core/services.js'
import { SqlStore } from '../src/core/sql-store.js'
import { generateKeyEntry } from '../src/core/tokens.js'
import { migrationsDir } from '../src/node/paths.js'
import { migrate, openSqlite } from '../src/node/sqlite.js'

export function benchServices(): Services {
  const db = openSqlite(':memory:')
  migrate(db, migrationsDir())
  const config = configFromEnv(
    {
      CLICKGATE_BASE_URL: 'https://go.clickgate.example',
      CLICKGATE_KEYS: generateKeyEntry('b1'),
      CLICKGATE_HASH_SECRET: 'YmVuY2gtaGFzaC1zZWNyZXQtMDEyMzQ1Njc4OTAxMjM0NTY3',
      CLICKGATE_ADMIN_TOKEN: 'bench-admin-token-0123456789',
      CLICKGATE_REWRITE_TOKEN: 'bench-rewrite-token-0123456789',
    },
    { port: 8787 },
  )
  return createServices(config, new SqlStore(db))
}
