/**
 * The real services for benchmarks: in-memory SQLite with the migrations
 * applied, a generated key, Node's HMAC engine, and the default limits.
 */

import { configFromEnv } from '../src/core/config.js'
import { type Services, createServices } from '../src/core/services.js'
import { SqlStore } from '../src/core/sql-store.js'
import { generateKeyEntry } from '../src/core/tokens.js'
import { nodeHmac } from '../src/node/hmac.js'
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
    // As `clickgate` on Node signs: with node:crypto, not Web Crypto.
    { port: 8787, hmac: nodeHmac },
  )
  return createServices(config, new SqlStore(db))
}
