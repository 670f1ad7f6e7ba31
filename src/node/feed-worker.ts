/**
 * Worker-thread entry for one feed sync (see feed-sync.ts). It opens its own
 * SQLite connection, runs the ordinary sync, reports progress, and hands the
 * finished index back by transfer, without a copy.
 */

import { parentPort, workerData } from 'node:worker_threads'

import { ProviderError } from '../core/feeds/fetch.js'
import { providersFromEnv } from '../core/providers/config.js'
import { ProviderSet } from '../core/providers/provider-set.js'
import { SqlStore } from '../core/sql-store.js'
import type { SyncJob, WorkerMessage } from './feed-sync.js'
import { openSqlite } from './sqlite.js'

/**
 * SQLite page cache for the import connection, in KiB. A bulk import streams
 * through once; the server's own connection keeps the large cache.
 */
const IMPORT_CACHE_KIB = 2048

async function run(job: SyncJob): Promise<void> {
  const port = parentPort
  if (!port) throw new TypeError('feed-worker.js runs only as a worker thread')
  const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) =>
    port.postMessage(message, transfer)

  const db = openSqlite(job.dbPath)
  db.native.pragma(`cache_size = -${IMPORT_CACHE_KIB}`)
  try {
    const store = new SqlStore(db)
    const providers = new ProviderSet(providersFromEnv(job.env), {
      feeds: store.feeds,
      threatLists: store.threatLists,
      now: () => Date.now(),
    })
    const summary = await providers.sync(job.name, (progress) =>
      post({ type: 'progress', progress }),
    )
    const index = providers.feeds.exportIndex(job.name)
    const buffer = index?.values.buffer
    post({ type: 'done', summary, index }, buffer instanceof ArrayBuffer ? [buffer] : [])
  } catch (err) {
    post({
      type: 'failed',
      reason: err instanceof ProviderError ? err.reason : 'internal',
      message: err instanceof ProviderError ? err.message : 'unexpected error in the feed sync',
    })
  } finally {
    db.close()
  }
}

// workerData is the SyncJob that feed-sync.ts sent: a structured clone of plain data.
void run(workerData as SyncJob)
