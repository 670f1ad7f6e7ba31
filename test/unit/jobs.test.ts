import { describe, expect, it } from 'vitest'

import { ClickgateError } from '../../src/core/errors.js'
import { InlineJobQueue, JobRegistry, parseJob, runJob } from '../../src/core/jobs.js'
import {
  noFeedSync,
  pruneClicksJob,
  registerMaintenanceJobs,
  runScheduled,
} from '../../src/core/maintenance.js'
import { retryDelaySeconds } from '../../src/workers/queue.js'
import { type LogEntry, T0, createHarness } from '../support/harness.js'

function recorder() {
  const logs: LogEntry[] = []
  return {
    logs,
    logger: (level: LogEntry['level'], event: string, fields = {}) =>
      logs.push({ level, event, fields }),
  }
}

async function storeWithClicks(times: number[]) {
  const store = createHarness().deps.store
  const linkId = (await store.registerLinks(['https://a.example/'], T0)).get('https://a.example/')
  await store.recordClicks(
    times.map((at) => ({
      at,
      linkId: linkId ?? -1,
      messageRef: null,
      recipientRef: null,
      keyId: 'k1',
      verdict: 'allow',
      reason: null,
      userAgent: null,
      ipHash: null,
      automated: false,
      evidence: null,
      automated: false,
      evidence: null,
    })),
  )
  return store
}

describe('jobs', () => {
  it('reads only well-formed job messages', () => {
    expect(parseJob({ kind: 'prune_clicks', payload: { before: 1 } })).toEqual({
      kind: 'prune_clicks',
      payload: { before: 1 },
    })
    for (const body of [
      null,
      'x',
      {},
      { kind: 'a' },
      { kind: '', payload: 1 },
      { kind: 1, payload: 1 },
    ]) {
      expect(parseJob(body)).toBeNull()
    }
    expect(parseJob({ kind: 'a', payload: { f: () => 1 } })).toBeNull()
  })

  it('refuses bad and duplicate kinds at start-up', () => {
    const registry = new JobRegistry().register('scan', async () => {})

    expect(() => registry.register('scan', async () => {})).toThrow(TypeError)
    expect(() => registry.register('Scan!', async () => {})).toThrow(TypeError)
  })

  it('tells done, rejected, unknown and failed jobs apart', async () => {
    const { logs, logger } = recorder()
    const registry = new JobRegistry()
      .register('ok', async () => {})
      .register('bad', async () => {
        throw new ClickgateError('bad_request', 'no')
      })
      .register('flaky', async () => {
        throw new Error('D1 busy')
      })
    const store = createHarness().deps.store
    const ctx = { store, logger, now: () => T0, attempt: 2, queue: { enqueue: async () => {} } }

    const outcomes = []
    for (const kind of ['ok', 'bad', 'nope', 'flaky'])
      outcomes.push(await runJob(registry, { kind, payload: null }, ctx))

    expect(outcomes).toEqual(['done', 'rejected', 'unknown_kind', 'failed'])
    expect(logs.map((l) => l.event)).toEqual([
      'job.done',
      'job.rejected',
      'job.unknown_kind',
      'job.failed',
    ])
    expect(logs[3]?.fields).toMatchObject({ kind: 'flaky', attempt: 2, error: 'D1 busy' })
  })

  it('backs off retries from 30 s, doubling, up to an hour', () => {
    expect([1, 2, 3, 4, 8, 50].map(retryDelaySeconds)).toEqual([30, 60, 120, 240, 3_600, 3_600])
  })
})

describe('click pruning', () => {
  it('prunes in chunks, each chunk queueing the next, until none is left', async () => {
    const store = await storeWithClicks([T0 - 5, T0 - 4, T0 - 3, T0 - 2, T0 - 1, T0 + 1])
    const { logs, logger } = recorder()
    const queue = new InlineJobQueue(registerMaintenanceJobs(new JobRegistry(), 2), {
      store,
      logger,
      now: () => T0,
    })

    await queue.enqueue(pruneClicksJob(T0))
    await queue.idle()

    expect((await store.counts()).clicks).toBe(1)
    expect(logs.filter((l) => l.event === 'clicks.pruned').map((l) => l.fields.removed)).toEqual([
      2, 2, 1,
    ])
  })

  it('runScheduled prunes past retention and syncs feeds, and reports a failing sync', async () => {
    const store = await storeWithClicks([T0 - 91 * 86_400_000, T0 - 89 * 86_400_000])
    const { logs, logger } = recorder()
    const queue = new InlineJobQueue(registerMaintenanceJobs(new JobRegistry()), {
      store,
      logger,
      now: () => T0,
    })
    const deps = { store, queue, logger, now: () => T0, clickRetentionDays: 90 }

    await runScheduled({ ...deps, syncFeeds: noFeedSync })
    await queue.idle()
    const failing = runScheduled({
      ...deps,
      syncFeeds: async () => {
        throw new Error('feed host down')
      },
    })

    await expect(failing).rejects.toThrow('feed host down')
    expect((await store.counts()).clicks).toBe(1)
    expect(logs.map((l) => l.event)).toContain('feeds.synced')
    expect(logs).toContainEqual({
      level: 'error',
      event: 'feeds.sync_failed',
      fields: { error: 'feed host down' },
    })
  })
})
