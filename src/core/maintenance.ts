/**
 * Periodic upkeep, the same on every runtime: pruning old clicks, and the
 * hook through which reputation feeds are refreshed. On Workers the Cron
 * Trigger calls `runScheduled`; on Node the server's timer prunes.
 */

import { ClickgateError } from './errors.js'
import type { JobHandler, JobQueue, JobRegistry, JsonValue } from './jobs.js'
import type { Logger } from './log.js'
import type { Store } from './store.js'

export const PRUNE_CLICKS_JOB = 'prune_clicks'

/**
 * Clicks deleted per statement. D1 cancels a query that runs too long and a
 * big delete holds the database's single writer, stalling the click inserts
 * behind it; small chunks, each continued by a new job, keep both in check.
 */
export const PRUNE_CHUNK_ROWS = 5_000

/** What a feed refresh did. */
export interface FeedSyncResult {
  feeds: number
  updated: number
}

/**
 * Refreshes the reputation feeds. Runtime-neutral: it gets everything it
 * needs from the services. Until feeds exist it does nothing.
 */
export type FeedSync = () => Promise<FeedSyncResult>

export const noFeedSync: FeedSync = async () => ({ feeds: 0, updated: 0 })

/** Registers the built-in maintenance jobs. */
export function registerMaintenanceJobs(registry: JobRegistry, chunkRows = PRUNE_CHUNK_ROWS) {
  return registry.register(PRUNE_CLICKS_JOB, pruneClicksHandler(chunkRows))
}

/** Deletes one chunk of clicks older than `before`, and queues the next chunk while any remain. */
export function pruneClicksHandler(chunkRows: number): JobHandler {
  return async function pruneClicks(payload, ctx) {
    const before = beforeOf(payload)
    const removed = await ctx.store.pruneClicks(before, chunkRows)
    ctx.logger('info', 'clicks.pruned', { removed, before: new Date(before).toISOString() })

    if (removed >= chunkRows) await ctx.queue.enqueue(pruneClicksJob(before))
  }
}

export function pruneClicksJob(before: number) {
  return { kind: PRUNE_CLICKS_JOB, payload: { before } }
}

function beforeOf(payload: JsonValue): number {
  const before =
    typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? payload.before
      : undefined
  if (typeof before !== 'number' || !Number.isSafeInteger(before) || before < 0) {
    throw new ClickgateError('bad_request', 'prune_clicks needs {"before": <epoch milliseconds>}')
  }
  return before
}

export interface ScheduledDeps {
  store: Store
  syncFeeds: FeedSync
  clickRetentionDays: number
  queue: JobQueue
  logger: Logger
  now: () => number
}

/**
 * The periodic run: queue the click pruning (it may take several chunks) and
 * refresh the feeds. A failing feed sync is logged and does not stop pruning.
 */
export async function runScheduled(deps: ScheduledDeps): Promise<void> {
  const before = deps.now() - deps.clickRetentionDays * 86_400_000
  await deps.queue.enqueue(pruneClicksJob(before))

  try {
    const result = await deps.syncFeeds()
    deps.logger('info', 'feeds.synced', { ...result })
  } catch (err) {
    deps.logger('error', 'feeds.sync_failed', {
      error: err instanceof Error ? err.message : 'unknown',
    })
    throw err
  }
}
