/**
 * The real app with the sandbox on: real SQLite, the real Node sandbox
 * (safe fetcher, page scanner, job worker), a settable clock, and a resolver
 * that maps test host names to the loopback fixture site.
 */

import { type AppConfig } from '../../src/core/config.js'
import { createServices } from '../../src/core/services.js'
import { SqlStore } from '../../src/core/sql-store.js'
import { createApp } from '../../src/http/app.js'
import type { AppDeps } from '../../src/http/env.js'
import { migrationsDir } from '../../src/node/paths.js'
import { type Resolver, createTestAllowance } from '../../src/node/sandbox/connector.js'
import { type NodeSandbox, createNodeSandbox } from '../../src/node/sandbox/wiring.js'
import { migrate, openSqlite } from '../../src/node/sqlite.js'
import type { LogEntry } from './harness.js'
import { REWRITE_TOKEN, bearer, testConfig } from './harness.js'

export interface SandboxHarness {
  app: ReturnType<typeof createApp>
  deps: AppDeps
  store: SqlStore
  sandbox: NodeSandbox | null
  logs: LogEntry[]
  clock: { now: number }
  settle: () => Promise<void>
  /** Rewrites an HTML body and returns the signed link for each target, in order. */
  linksFor: (targets: string[]) => Promise<string[]>
  /** Waits until no scan job is queued or running (a safety net of 10 s). */
  drain: () => Promise<void>
  close: () => Promise<void>
}

export interface SandboxHarnessOptions {
  env?: Record<string, string>
  resolve: Resolver
  /** Loopback `address:port` pairs the sandbox may fetch. */
  allow: string[]
  dbPath?: string
  /** Poll timing of the external scanners (their defaults wait seconds). */
  externalPolling?: { firstPollDelayMs: number; pollIntervalMs: number }
}

export async function createSandboxHarness(
  options: SandboxHarnessOptions,
): Promise<SandboxHarness> {
  const config: AppConfig = testConfig({ CLICKGATE_SANDBOX: 'on', ...options.env })
  const db = openSqlite(options.dbPath ?? ':memory:')
  migrate(db, migrationsDir())
  const store = new SqlStore(db)
  const clock = { now: Date.parse('2026-12-03T12:00:00Z') }
  const now = () => clock.now

  const sandbox = config.sandbox.enabled
    ? createNodeSandbox(config.sandbox, store.scans, {
        resolve: options.resolve,
        testAllowance: createTestAllowance(options.allow),
        now,
        ...(options.externalPolling ? { externalPolling: options.externalPolling } : {}),
      })
    : null
  const services = createServices(config, store, {
    now,
    ...(sandbox ? { scanQueue: sandbox.queue } : {}),
  })
  if (sandbox && services.scanGate) sandbox.start(services.scanGate)

  const logs: LogEntry[] = []
  const pending: Promise<void>[] = []
  const deps: AppDeps = {
    ...services,
    logger: (level, event, fields = {}) => logs.push({ level, event, fields }),
    defer: (_c, task) => pending.push(task()),
    clientIp: () => '198.51.100.7',
    clickFlushThreshold: 1,
  }
  const app = createApp(deps)

  const linksFor = async (targets: string[]) => {
    const body = targets.map((t) => `<a href="${t}">link</a>`).join('\n')
    const response = await app.request('/api/v1/rewrite', {
      method: 'POST',
      headers: { ...bearer(REWRITE_TOKEN), 'Content-Type': 'text/html' },
      body,
    })
    const html = await response.text()
    return [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1] ?? '')
  }

  const drain = async () => {
    const end = Date.now() + 10_000
    for (;;) {
      const counts = await store.scans.counts()
      if (counts.queued === 0 && counts.running === 0) return
      if (Date.now() > end) throw new Error(`scan queue did not drain: ${JSON.stringify(counts)}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  const settle = async () => {
    await Promise.all(pending.splice(0))
  }
  return {
    app,
    deps,
    store,
    sandbox,
    logs,
    clock,
    settle,
    linksFor,
    drain,
    close: async () => {
      await settle()
      await sandbox?.close()
      db.close()
    },
  }
}

/** The path of a signed link, for `app.request`. */
export function pathOf(link: string): string {
  const url = new URL(link)
  return url.pathname + url.search
}
