/**
 * Background jobs on Workers: the Cron Trigger queues the click pruning on
 * the real local Queue, the Worker's queue() consumer runs it against D1,
 * and the consumer acknowledges or retries each message as it should.
 */

import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'

import { JobRegistry } from '../../src/core/jobs.js'
import { pruneClicksJob, registerMaintenanceJobs } from '../../src/core/maintenance.js'
import { SqlStore } from '../../src/core/sql-store.js'
import worker from '../../src/worker.js'
import { CloudflareJobQueue, consumeBatch } from '../../src/workers/queue.js'
import { workerRuntime } from '../../src/workers/runtime.js'
import { T0 } from '../support/harness-core.js'
import { freshDatabase, testEnv } from './d1-harness.js'

const DAY = 86_400_000

/** Stores clicks at the given times, all on one link. */
async function seedClicks(times: number[]): Promise<SqlStore> {
  const store = new SqlStore(await freshDatabase())
  const ids = await store.registerLinks(['https://a.example/'], T0)
  const linkId = ids.get('https://a.example/') ?? -1
  const click = (at: number) => ({
    at,
    linkId,
    messageRef: null,
    recipientRef: null,
    keyId: 'w1',
    verdict: 'allow',
    reason: null,
    userAgent: null,
    ipHash: null,
    automated: false,
    evidence: null,
  })
  await store.recordClicks(times.map(click))
  return store
}

/** Polls until `check` holds: queue delivery is asynchronous. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
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

describe('the Cron Trigger and the Queue consumer', () => {
  it('prunes clicks past retention through the real local queue', async () => {
    const now = Date.now()
    const store = await seedClicks([now - 200 * DAY, now - 91 * DAY, now - 89 * DAY, now])
    const log = vi.spyOn(console, 'log')
    const ctx = createExecutionContext()

    await worker.scheduled(createScheduledController({ cron: '17 * * * *' }), testEnv, ctx)
    await waitOnExecutionContext(ctx)
    await eventually(async () => (await store.counts()).clicks === 2, 'old clicks pruned')

    expect((await store.listClicks({ limit: 10 })).map((c) => c.at)).toEqual([now, now - 89 * DAY])
    const logged = events(log)
    expect(logged).toContainEqual(expect.objectContaining({ event: 'feeds.synced', feeds: 0 }))
    expect(logged).toContainEqual(expect.objectContaining({ event: 'clicks.pruned', removed: 2 }))
    expect(logged).toContainEqual(
      expect.objectContaining({ event: 'job.done', kind: 'prune_clicks' }),
    )
  })

  it('continues a large prune chunk by chunk, each chunk a new message on the queue', async () => {
    const store = await seedClicks([T0 - 5, T0 - 4, T0 - 3, T0 - 2, T0 - 1, T0 + 1])
    const real = workerRuntime(testEnv)
    const runtime = {
      ...real,
      services: { ...real.services, jobs: registerMaintenanceJobs(new JobRegistry(), 2) },
    }
    const batch = createMessageBatch('clickgate-jobs', [
      { id: 'm1', timestamp: new Date(), attempts: 1, body: pruneClicksJob(T0) },
    ])

    await consumeBatch(batch, runtime)

    expect((await store.counts()).clicks).toBe(4)
    // The continuation went to the real queue; the Worker's own consumer finishes the rest.
    await eventually(async () => (await store.counts()).clicks === 1, 'the rest pruned')
  })

  it('acknowledges done and hopeless jobs and retries unknown kinds with backoff', async () => {
    await seedClicks([T0])
    const errors = vi.spyOn(console, 'error')
    const batch = createMessageBatch('clickgate-jobs', [
      { id: 'done', timestamp: new Date(), attempts: 1, body: pruneClicksJob(T0) },
      { id: 'malformed', timestamp: new Date(), attempts: 1, body: 'not a job' },
      {
        id: 'bad-payload',
        timestamp: new Date(),
        attempts: 1,
        body: { kind: 'prune_clicks', payload: {} },
      },
      {
        id: 'unknown',
        timestamp: new Date(),
        attempts: 3,
        body: { kind: 'scan', payload: { linkId: 1 } },
      },
    ])
    const ctx = createExecutionContext()
    const retry = vi.spyOn(batch.messages[3] ?? { retry() {} }, 'retry')

    await worker.queue(batch, testEnv, ctx)
    const result = await getQueueResult(batch, ctx)

    expect(result.explicitAcks.sort()).toEqual(['bad-payload', 'done', 'malformed'])
    expect(result.retryMessages).toEqual([{ msgId: 'unknown' }])
    // Third delivery: 30 s doubled twice.
    expect(retry).toHaveBeenCalledWith({ delaySeconds: 120 })
    expect(events(errors).map((e) => e.event)).toEqual([
      'job.malformed',
      'job.rejected',
      'job.unknown_kind',
    ])
  })

  it('runs the jobs inside the cron invocation when no queue is bound', async () => {
    const now = Date.now()
    const store = await seedClicks([now - 100 * DAY, now])
    const env = { ...testEnv, JOBS: undefined }

    await worker.scheduled(createScheduledController(), env, createExecutionContext())

    expect((await store.counts()).clicks).toBe(1)
  })

  it('puts jobs on the queue as JSON', async () => {
    const sent: unknown[] = []
    const queue = new CloudflareJobQueue({
      send: async (body, options) => {
        sent.push({ body, options })
      },
    })

    await queue.enqueue(pruneClicksJob(5), { delaySeconds: 30 })

    expect(sent).toEqual([
      {
        body: { kind: 'prune_clicks', payload: { before: 5 } },
        options: { contentType: 'json', delaySeconds: 30 },
      },
    ])
  })
})
