/**
 * Feed syncs on Node run in a worker thread. A million-line import is minutes
 * of CPU-bound parsing and SQLite writes; on the server's main thread it
 * would stall every click for that long. The worker also gets a small young
 * generation: V8 otherwise grows it to 32 MB under a steady stream of
 * short-lived strings, which alone would spend half the import's memory
 * budget (measured in bench/feeds.ts).
 */

import { Worker } from 'node:worker_threads'

import type { Env } from '../core/config.js'
import { ProviderError } from '../core/feeds/fetch.js'
import type { SyncProgress } from '../core/feeds/sync.js'
import type { SyncSummary } from '../core/providers/provider-set.js'
import { SB_UPDATE } from '../core/providers/sb-update.js'

export interface SyncJob {
  dbPath: string
  /** The environment the providers are configured from (CLICKGATE_* variables). */
  env: Env
  name: string
}

export type WorkerMessage =
  | { type: 'progress'; progress: SyncProgress }
  | {
      type: 'done'
      summary: SyncSummary
      index: { version: number; values: Float64Array } | null
    }
  | { type: 'failed'; reason: string; message: string }

export interface WorkerSyncResult {
  summary: SyncSummary
  /** The feed's new index, ready to adopt (null for Safe Browsing). */
  index: { version: number; values: Float64Array } | null
}

/**
 * Heap limits of the sync worker, in MB. A feed sync's live data is small
 * (its indexes are ArrayBuffers outside the V8 heap), so a small young
 * generation and a tight old generation keep its garbage from piling up:
 * measured, these hold a million-URL import's peak growth under 64 MB. A Safe
 * Browsing full update parses a few megabytes of JSON at once, so it gets room.
 */
const FEED_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 24 }
const SAFE_BROWSING_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 128 }

export function syncInWorker(
  job: SyncJob,
  onProgress?: (progress: SyncProgress) => void,
): Promise<WorkerSyncResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./feed-worker.js', import.meta.url), {
      workerData: job,
      resourceLimits: job.name === SB_UPDATE ? SAFE_BROWSING_LIMITS : FEED_LIMITS,
    })
    let settled = false

    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') onProgress?.(message.progress)
      else if (message.type === 'done') {
        settled = true
        resolve({ summary: message.summary, index: message.index })
      } else {
        settled = true
        reject(new ProviderError(message.reason, message.message))
      }
    })
    worker.on('error', (err) => {
      settled = true
      reject(new ProviderError('worker_failed', 'the feed sync worker failed', { cause: err }))
    })
    worker.on('exit', (code) => {
      if (!settled)
        reject(new ProviderError('worker_failed', `the feed sync worker exited with ${code}`))
    })
  })
}
