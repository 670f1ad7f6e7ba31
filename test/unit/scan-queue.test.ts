/**
 * The durable scan queue on Node: de-duplication, the concurrency limit,
 * retries with backoff, and survival across a restart (a second database
 * connection and worker on the same SQLite file, as after a crash).
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { type JobOutcome, retryDelayMs, scanGate } from '../../src/core/sandbox/job.js'
import { createPageScanner } from '../../src/core/sandbox/page-scanner.js'
import { SqlStore } from '../../src/core/sql-store.js'
import { migrationsDir } from '../../src/node/paths.js'
import { createTestAllowance } from '../../src/node/sandbox/connector.js'
import { SafeFetcher } from '../../src/node/sandbox/safe-fetch.js'
import { ScanWorker } from '../../src/node/sandbox/worker.js'
import { type SqliteDatabase, migrate, openSqlite } from '../../src/node/sqlite.js'
import {
  SITE_ADDRESS,
  type SiteServer,
  startSite,
  tableResolver,
  until,
} from '../support/loopback.js'
import { LANDING, html, router } from '../support/pages.js'

let site: SiteServer
let fetcher: SafeFetcher
let dir: string
let inFlight = 0
let maxInFlight = 0
const releases: (() => void)[] = []
let flakyFailures = 0

beforeAll(async () => {
  site = await startSite(
    router({
      '/page': html(LANDING),
      '/held': (req, res) => {
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        releases.push(() => {
          inFlight--
          html(LANDING)(req, res)
        })
      },
      '/flaky': (req, res) => {
        // The first answers drop the connection: a transient failure, worth a retry.
        if (flakyFailures > 0) {
          flakyFailures--
          return req.socket.destroy()
        }
        html(LANDING)(req, res)
      },
    }),
  )
  fetcher = new SafeFetcher({
    resolve: tableResolver({ 'queue.example': [SITE_ADDRESS] }),
    testAllowance: createTestAllowance([`${SITE_ADDRESS}:${site.port}`]),
  })
  dir = mkdtempSync(join(tmpdir(), 'clickgate-queue-'))
})

afterAll(async () => {
  for (const release of releases.splice(0)) release()
  await fetcher?.close()
  await site?.close()
  rmSync(dir, { recursive: true, force: true })
})

function url(path: string, n = 0): string {
  return `http://queue.example:${site.port}${path}?n=${n}`
}

function openStore(file: string): { db: SqliteDatabase; store: SqlStore } {
  const db = openSqlite(join(dir, file))
  migrate(db, migrationsDir())
  return { db, store: new SqlStore(db) }
}

function worker(
  store: SqlStore,
  options: {
    concurrency?: number
    clock?: { now: number }
    leaseMs?: number
    maxAttempts?: number
  } = {},
) {
  const outcomes: { url: string; outcome: JobOutcome }[] = []
  const clock = options.clock
  const w = new ScanWorker({
    scans: store.scans,
    job: {
      scanners: [createPageScanner({ fetcher, timeoutMs: 10_000 })],
      gate: scanGate({ signals: () => [] }),
      maxAttempts: options.maxAttempts ?? 3,
      ttlMs: 3_600_000,
    },
    concurrency: options.concurrency ?? 4,
    leaseMs: options.leaseMs ?? 60_000,
    ...(clock ? { now: () => clock.now } : {}),
    onOutcome: (u, outcome) => outcomes.push({ url: u, outcome }),
  })
  return { w, outcomes }
}

describe('scan queue', () => {
  it('de-duplicates: one job and one fetch per distinct URL', async () => {
    const { db, store } = openStore('dedup.db')
    const before = site.hits.get('/page') ?? 0

    expect(await store.scans.enqueue([url('/page', 1), url('/page', 1), url('/page', 2)], 1)).toBe(
      2,
    )
    expect(await store.scans.enqueue([url('/page', 1)], 2)).toBe(0)
    const { w, outcomes } = worker(store)
    w.start()
    await until(() => outcomes.length === 2)
    expect(await store.scans.enqueue([url('/page', 2)], 3)).toBe(0)
    await w.stop()

    expect(site.hits.get('/page')).toBe(before + 2)
    expect((await store.scans.counts()).done).toBe(2)
    db.close()
  })

  it('never runs more scans at once than the concurrency limit', async () => {
    const { db, store } = openStore('concurrency.db')
    await store.scans.enqueue(
      [1, 2, 3, 4, 5, 6].map((n) => url('/held', n)),
      1,
    )
    const { w, outcomes } = worker(store, { concurrency: 2 })
    w.start()

    while (outcomes.length < 6) {
      await until(() => releases.length > 0 || outcomes.length === 6)
      expect(inFlight).toBeLessThanOrEqual(2)
      releases.shift()?.()
    }
    await w.stop()

    expect(maxInFlight).toBe(2)
    expect((await store.scans.counts()).done).toBe(6)
    db.close()
  })

  it('retries a transient failure with growing backoff, then records the result', async () => {
    const { db, store } = openStore('retry.db')
    const clock = { now: 1_000_000 }
    const target = url('/flaky')
    flakyFailures = 2
    await store.scans.enqueue([target], clock.now)
    const { w, outcomes } = worker(store, { clock })
    w.start()

    await until(() => outcomes.length === 1)
    const first = await store.scans.get(target)
    expect(first).toMatchObject({ state: 'queued', attempts: 1 })
    expect(first?.lastError).toContain('could not be loaded')
    expect(await store.scans.claim(1, clock.now + retryDelayMs(1) - 1, 1)).toEqual([])

    clock.now += retryDelayMs(1)
    w.kick()
    await until(() => outcomes.length === 2)
    expect(outcomes[1]?.outcome.kind).toBe('retry')
    expect(retryDelayMs(2)).toBe(4 * retryDelayMs(1))

    clock.now += retryDelayMs(2)
    w.kick()
    await until(() => outcomes.length === 3)
    await w.stop()

    expect(await store.scans.get(target)).toMatchObject({
      state: 'done',
      attempts: 3,
      lastError: null,
    })
    expect(outcomes.map((o) => o.outcome.kind)).toEqual(['retry', 'retry', 'done'])
    db.close()
  })

  it('accepts the failure as the result after the last attempt, as a warning', async () => {
    const { db, store } = openStore('give-up.db')
    const target = url('/flaky', 9)
    flakyFailures = 1
    await store.scans.enqueue([target], 1)
    const { w, outcomes } = worker(store, { maxAttempts: 1 })
    w.start()
    await until(() => outcomes.length === 1)
    await w.stop()

    const record = await store.scans.get(target)
    expect(record?.state).toBe('done')
    expect(record?.reports[0]?.findings.map((f) => f.reason)).toEqual(['scan_unreachable'])
    db.close()
  })

  it('survives a restart: queued jobs and a job cut off mid-scan are done by the next process', async () => {
    const first = openStore('restart.db')
    const clock = { now: 5_000_000 }
    const held = url('/held', 100)
    const queued = [url('/page', 101), url('/page', 102)]
    await first.store.scans.enqueue([held], clock.now)
    const a = worker(first.store, { concurrency: 1, clock, leaseMs: 30_000 })
    a.w.start()
    await until(() => releases.length === 1)
    await first.store.scans.enqueue(queued, clock.now)
    // The process dies mid-scan: its job is left running under its lease.
    await a.w.stop()
    first.db.close()
    releases.shift()?.()

    const second = openStore('restart.db')
    expect(await second.store.scans.counts()).toMatchObject({ running: 1, queued: 2 })
    clock.now += 30_000
    const b = worker(second.store, { concurrency: 2, clock })
    b.w.start()
    await until(() => b.outcomes.filter((o) => o.outcome.kind === 'done').length === 2)
    await until(() => releases.length === 1)
    releases.shift()?.()
    await until(() => b.outcomes.length === 3)
    await b.w.stop()

    expect(a.outcomes).toEqual([])
    expect(await second.store.scans.counts()).toMatchObject({ done: 3, queued: 0, running: 0 })
    expect(await second.store.scans.get(held)).toMatchObject({ state: 'done', attempts: 2 })
    second.db.close()
  })
})
