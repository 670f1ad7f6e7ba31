/**
 * Worker-thread entry for click-writer.ts: one connection, one transaction
 * per batch; IP hashes with node:crypto; the `click` log lines formatted
 * here and sent back with the reply.
 */

import { parentPort, workerData } from 'node:worker_threads'

import type { Bytes } from '../core/bytes.js'
import { clickLogFields, clickStorer } from '../core/clicks/recorder.js'
import { createHasher } from '../core/hashing.js'
import { jsonLogger } from '../core/log.js'
import { SqlStore } from '../core/sql-store.js'
import { fromColumns } from './click-columns.js'
import type { WriterBatch, WriterReply } from './click-writer.js'
import { nodeHmac } from './hmac.js'
import { openSqlite } from './sqlite.js'

const port = parentPort
if (!port) throw new TypeError('click-writer-worker.js runs only as a worker thread')

// workerData is what startClickWriter passed.
const { dbPath, hashSecret } = workerData as { dbPath: string; hashSecret: Bytes }
const storeBatch = clickStorer(new SqlStore(openSqlite(dbPath)), createHasher(hashSecret, nodeHmac))

port.on('message', (batch: WriterBatch) => {
  storeBatch(fromColumns(batch.columns)).then(
    (written) => {
      const lines: string[] = []
      // One timestamp for the batch: the time its clicks were written.
      const writtenAt = new Date().toISOString()
      const log = jsonLogger(
        (line) => lines.push(line),
        () => writtenAt,
      )
      for (const click of written) log('info', 'click', clickLogFields(click))
      reply({ id: batch.id, ok: true, stored: written.length, log: lines.join('\n') })
    },
    (err: unknown) =>
      reply({ id: batch.id, ok: false, error: err instanceof Error ? err.message : 'unknown' }),
  )
})

function reply(message: WriterReply): void {
  port?.postMessage(message)
}
