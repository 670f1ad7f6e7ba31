/**
 * The runtime-neutral half of the test harness: the same app over any
 * D1-shaped database, with a frozen, settable clock and a log tests can
 * read. `harness.ts` supplies better-sqlite3 on Node; `../workers/d1-harness.ts`
 * supplies D1 inside workerd.
 */

import { type Capabilities, NODE_CAPABILITIES } from '../../src/core/capabilities.js'
import { type AppConfig, configFromEnv } from '../../src/core/config.js'
import type { LogLevel } from '../../src/core/log.js'
import { type ServiceOptions, createServices } from '../../src/core/services.js'
import type { SqlDatabase } from '../../src/core/sql.js'
import { SqlStore } from '../../src/core/sql-store.js'
import { generateKeyEntry } from '../../src/core/tokens.js'
import { createApp } from '../../src/http/app.js'
import type { AppDeps } from '../../src/http/env.js'

import { ADMIN_TOKEN, BASE_URL, HASH_SECRET, REWRITE_TOKEN } from './constants.js'

export * from './constants.js'
export const T0 = Date.parse('2026-12-03T12:00:00Z')

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

/** Builds a harness on a fresh, migrated database; what each runtime's suite is given. */
export type HarnessFactory = (config?: AppConfig) => Promise<Harness>

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

export function harnessOver(
  db: SqlDatabase,
  config: AppConfig = testConfig(),
  capabilities: Capabilities = NODE_CAPABILITIES,
  runtime: Pick<ServiceOptions, 'mailAuth'> = {},
): Harness {
  const clock = { now: T0 }
  const logs: LogEntry[] = []
  const pending: Promise<void>[] = []
  // As each runtime builds them (src/node/runtime.ts, src/workers): on Node the clicks of one
  // event-loop turn share a rules-version read and link targets stay in memory, so a repeated
  // click is answered from memory alone.
  const node = capabilities.runtime === 'node'
  const store = new SqlStore(db, { shareRulesVersionReads: node })
  const services = createServices(config, store, {
    now: () => clock.now,
    capabilities,
    cacheLinkTargets: node,
    ...runtime,
  })

  const deps: AppDeps = {
    ...services,
    logger: (level, event, fields = {}) => logs.push({ level, event, fields }),
    defer: (_c, task) => pending.push(task()),
    clientIp: () => '198.51.100.7',
    clickFlushThreshold: 1,
  }
  const settle = async () => {
    await Promise.all(pending.splice(0))
  }
  return { app: createApp(deps), deps, logs, clock, settle }
}

export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` }
}
