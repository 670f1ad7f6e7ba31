/** Worker-thread entry for click-writer.ts: one connection, one transaction per batch. */

import { parentPort, workerData } from 'node:worker_threads'

import { SqlStore } from '../core/sql-store.js'
import type { ClickRecord } from '../core/store.js'
import type { WriterReply } from './click-writer.js'
import { openSqlite } from './sqlite.js'

interface Batch {
  id: number
  clicks: ClickRecord[]
}

const port = parentPort
if (!port) throw new TypeError('click-writer-worker.js runs only as a worker thread')

// workerData is what startClickWriter passed: { dbPath }.
const { dbPath } = workerData as { dbPath: string }
const store = new SqlStore(openSqlite(dbPath))

port.on('message', (batch: Batch) => {
  store.recordClicks(batch.clicks).then(
    () => reply({ id: batch.id, ok: true }),
    (err: unknown) =>
      reply({ id: batch.id, ok: false, error: err instanceof Error ? err.message : 'unknown' }),
  )
})

function reply(message: WriterReply): void {
  port?.postMessage(message)
}
