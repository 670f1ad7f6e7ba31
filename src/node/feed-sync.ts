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
 * Young generation of the sync worker, in MB: small, because its garbage is
 * many short strings; and an old-generation cap well above what a sync keeps
 * (the indexes are ArrayBuffers outside the V8 heap).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 192 }

export function syncInWorker(
  job: SyncJob,
  onProgress?: (progress: SyncProgress) => void,
): Promise<WorkerSyncResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./feed-worker.js', import.meta.url), {
      workerData: job,
      resourceLimits: WORKER_LIMITS,
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
