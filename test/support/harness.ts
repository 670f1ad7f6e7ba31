/**
 * Builds the real app on a real in-memory SQLite database, with a frozen,
 * settable clock and a log that tests can read.
 */

import { type AppConfig, configFromEnv } from '../../src/core/config.js'
import type { LogLevel } from '../../src/core/log.js'
import { createServices } from '../../src/core/services.js'
import { SqlStore } from '../../src/core/sql-store.js'
import { generateKeyEntry } from '../../src/core/tokens.js'
import { createApp } from '../../src/http/app.js'
import type { AppDeps } from '../../src/http/env.js'
import { migrationsDir } from '../../src/node/paths.js'
import { migrate, openSqlite } from '../../src/node/sqlite.js'

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789'
export const REWRITE_TOKEN = 'rewrite-token-for-tests-0123456789'
export const BASE_URL = 'https://go.clickgate.example'
export const HASH_SECRET = 'aGFzaC1zZWNyZXQtZm9yLXRlc3RzLTAxMjM0NTY3ODkwMTIz'

export interface LogEntry {
  level: LogLevel
  event: string
  fields: Record<string, unknown>
}

export interface Harness {
  app: ReturnType<typeof createApp>
  deps: AppDeps
  logs: LogEntry[]
  clock: { now: number }
  /** Waits until deferred work (click recording) has run. */
  settle: () => Promise<void>
}

export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    CLICKGATE_BASE_URL: BASE_URL,
    CLICKGATE_KEYS: generateKeyEntry('k1'),
    CLICKGATE_HASH_SECRET: HASH_SECRET,
    CLICKGATE_ADMIN_TOKEN: ADMIN_TOKEN,
    CLICKGATE_REWRITE_TOKEN: REWRITE_TOKEN,
    ...overrides,
  }
}

export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return configFromEnv(testEnv(overrides), { port: 8787 })
}

export function createHarness(config: AppConfig = testConfig()): Harness {
  const db = openSqlite(':memory:')
  migrate(db, migrationsDir())

  const clock = { now: Date.parse('2026-12-03T12:00:00Z') }
  const logs: LogEntry[] = []
  const pending: Promise<void>[] = []
  const services = createServices(config, new SqlStore(db), () => clock.now)

  const deps: AppDeps = {
    ...services,
    logger: (level, event, fields = {}) => logs.push({ level, event, fields }),
    defer: (_c, task) => pending.push(task()),
    clientIp: () => '198.51.100.7',
  }
  const settle = async () => {
    await Promise.all(pending.splice(0))
  }
  return { app: createApp(deps), deps, logs, clock, settle }
}

export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` }
}
