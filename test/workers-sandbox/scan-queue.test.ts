/**
 * The sandbox on Workers: with CLICKGATE_SANDBOX=on and a urlscan.io key
 * (vitest.config.ts points it at a fake on loopback), rewriting puts one
 * `scan` job per destination on the real local Queue, the Worker's own
 * queue() consumer runs it through the external scanner only and records the
 * result in D1, and a click reads it. One-time links are never sent.
 */

import {
  applyD1Migrations,
  createExecutionContext,
  createMessageBatch,
  type D1Migration,
  getQueueResult,
  reset,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'

import { scanJob } from '../../src/core/sandbox/queued.js'
import type { SqlDatabase } from '../../src/core/sql.js'
import { SqlStore } from '../../src/core/sql-store.js'
import worker from '../../src/worker.js'
import { workerRuntime } from '../../src/workers/runtime.js'
import { BASE_URL, REWRITE_TOKEN, bearer } from '../support/harness-core.js'
import { signedLinks } from '../support/links.js'

interface SandboxEnv {
  DB: SqlDatabase
  TEST_MIGRATIONS: D1Migration[]
  CLICKGATE_URLSCAN_API_URL: string
  [name: string]: unknown
}

// The `cloudflare:workers` env is untyped here: the bindings come from configuration.
const testEnv = env as unknown as SandboxEnv

const CLEAN = 'https://newsletter.example/issue-12'
const PHISH = 'https://phish-portal.example/owa/login'
const ONE_TIME = 'https://accounts.example/reset-password?token=abc123'

async function fresh(): Promise<SqlStore> {
  await reset()
  // Both are D1 bindings; the test pool's type and ours differ only in declared methods.
  await applyD1Migrations(testEnv.DB as unknown as D1Database, testEnv.TEST_MIGRATIONS)
  return new SqlStore(testEnv.DB)
}

async function call(path: string, init: RequestInit = {}, bindings: object = testEnv) {
  const ctx = createExecutionContext()
  const response = await worker.fetch(new Request(BASE_URL + path, init), bindings, ctx)
  await waitOnExecutionContext(ctx)
  return response
}

async function rewrite(text: string, bindings: object = testEnv): Promise<string[]> {
  const headers = { ...bearer(REWRITE_TOKEN), 'Content-Type': 'text/plain' }
  const response = await call('/api/v1/rewrite', { method: 'POST', headers, body: text }, bindings)
  expect(response.status).toBe(200)
  return signedLinks(await response.text(), { config: { baseUrl: new URL(BASE_URL) } })
}

/** URLs the urlscan.io fake was asked to scan, in order. */
async function submitted(): Promise<string[]> {
  const response = await fetch(`${testEnv.CLICKGATE_URLSCAN_API_URL}/__seen`)
  return (await response.json()) as string[]
}

/** Polls until `check` holds: queue delivery is asynchronous. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return
    await new Promise((done) => setTimeout(done, 25))
  }
  throw new Error(`never happened: ${what}`)
}

function events(spy: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
  return spy.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>)
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('sandbox scans as Queue jobs on Workers', () => {
  it('queues a scan per destination, runs it in the consumer and blocks the phishing click', async () => {
    const store = await fresh()
    const before = (await submitted()).length

    const links = await rewrite(`see ${CLEAN} and ${PHISH} and ${ONE_TIME} and ${CLEAN}`)
    await eventually(async () => (await store.scans.counts()).done === 2, 'both scans done')

    // One submission per distinct scannable URL; the one-time link never left us.
    expect((await submitted()).slice(before).sort()).toEqual([CLEAN, PHISH].sort())
    expect(await store.scans.get(ONE_TIME)).toBeNull()
    const phish = await store.scans.get(PHISH)
    expect(phish?.reports.map((r) => r.scanner)).toEqual(['urlscan'])
    expect(phish?.reports[0]?.findings).toContainEqual(
      expect.objectContaining({ verdict: 'block', reason: 'urlscan_malicious' }),
    )

    const [clean, bad, oneTime] = links.map((link) => new URL(link).pathname)
    const blocked = await call(bad ?? '')
    const page = await blocked.text()
    expect(blocked.status).toBe(403)
    expect(page).toContain('urlscan.io rates the page as malicious.')
    expect(page).toContain('imitates: microsoft')
    expect(blocked.headers.get('Location')).toBeNull()

    const allowed = await call(clean ?? '')
    expect(allowed.status).toBe(302)
    expect(allowed.headers.get('Location')).toBe(CLEAN)

    // Clicking the one-time link queues nothing either.
    await call(oneTime ?? '')
    expect(await store.scans.get(ONE_TIME)).toBeNull()
  })

  it('scans a link clicked before any scan exists, through the queue', async () => {
    const store = await fresh()
    const [link] = await rewrite(`see ${PHISH}`)
    await eventually(async () => (await store.scans.counts()).done === 1, 'scan done')
    await testEnv.DB.prepare('DELETE FROM scans').run()

    const first = await call(new URL(link ?? '').pathname)
    expect(first.status).not.toBe(302)
    await eventually(async () => (await store.scans.get(PHISH))?.state === 'done', 'rescanned')
    expect((await call(new URL(link ?? '').pathname)).status).toBe(403)
  })

  it('asks the Queue to redeliver a scan the service refused for now, and records why', async () => {
    const store = await fresh()
    const busy = 'https://busy.example/page'
    await store.scans.enqueue([busy], Date.now())
    const batch = createMessageBatch('clickgate-jobs', [
      { id: 'busy', timestamp: new Date(), attempts: 1, body: scanJob(busy) },
    ])
    const ctx = createExecutionContext()

    await worker.queue(batch, testEnv, ctx)
    const result = await getQueueResult(batch, ctx)

    expect(result.retryMessages).toEqual([{ msgId: 'busy' }])
    const row = await store.scans.get(busy)
    expect(row).toMatchObject({ state: 'queued', attempts: 1 })
    expect(row?.lastError).toBe('urlscan: urlscan answered 429: Rate limit exceeded')
  })

  it('gives up after the last attempt and stores a warning instead of retrying forever', async () => {
    const store = await fresh()
    const busy = 'https://busy.example/other'
    await store.scans.enqueue([busy], Date.now())
    await testEnv.DB.prepare('UPDATE scans SET attempts = 2 WHERE url = ?').bind(busy).run()
    const batch = createMessageBatch('clickgate-jobs', [
      { id: 'last', timestamp: new Date(), attempts: 3, body: scanJob(busy) },
    ])
    const ctx = createExecutionContext()

    await worker.queue(batch, testEnv, ctx)
    const result = await getQueueResult(batch, ctx)

    expect(result.explicitAcks).toEqual(['last'])
    const row = await store.scans.get(busy)
    expect(row?.state).toBe('done')
    expect(row?.reports[0]?.failure).toMatchObject({ code: 'scanner_unavailable' })
  })

  it('does nothing for a duplicate delivery of a finished scan', async () => {
    const store = await fresh()
    await rewrite(`see ${CLEAN}`)
    await eventually(async () => (await store.scans.counts()).done === 1, 'scan done')
    const before = (await submitted()).length
    const batch = createMessageBatch('clickgate-jobs', [
      { id: 'again', timestamp: new Date(), attempts: 1, body: scanJob(CLEAN) },
    ])
    const ctx = createExecutionContext()

    await worker.queue(batch, testEnv, ctx)

    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(['again'])
    expect((await submitted()).length).toBe(before)
  })
})

describe('the sandbox on Workers without an external scanner', () => {
  it('says so at start-up and leaves the sandbox off', async () => {
    const store = await fresh()
    const errors = vi.spyOn(console, 'error')
    const bare = { ...testEnv, CLICKGATE_URLSCAN_API_KEY: undefined }

    const runtime = workerRuntime(bare)
    const [link] = await rewrite(`see ${CLEAN}`, bare)
    const click = await call(new URL(link ?? '').pathname, {}, bare)

    expect(events(errors)).toContainEqual(expect.objectContaining({ event: 'sandbox.unavailable' }))
    expect(runtime.services.jobs.kinds).not.toContain('scan')
    expect(await store.scans.get(CLEAN)).toBeNull()
    expect(click.status).toBe(302)
  })

  it('logs the external scanners it uses when they are configured', () => {
    const log = vi.spyOn(console, 'log')
    const runtime = workerRuntime({ ...testEnv })

    expect(runtime.services.jobs.kinds).toContain('scan')
    expect(events(log)).toContainEqual(
      expect.objectContaining({ event: 'sandbox.started', scanners: ['urlscan'] }),
    )
  })
})
