/**
 * Worker-thread entry for click-writer.ts: one connection, one transaction
 * per batch; IP hashes with node:crypto; the `click` log lines formatted
 * here and sent back, in pieces, before the batch's outcome.
 */

import { getPriority, setPriority } from 'node:os'
import { parentPort, workerData } from 'node:worker_threads'

import type { Bytes } from '../core/bytes.js'
import {
  type PendingClick,
  type WrittenClick,
  clickLogFields,
  clickStorer,
} from '../core/clicks/recorder.js'
import { createHasher } from '../core/hashing.js'
import { type Logger, jsonLogger } from '../core/log.js'
import { SqlStore } from '../core/sql-store.js'
import { fromColumns } from './click-columns.js'
import { SEND_CHUNK, type WriterBatch, type WriterReply } from './click-writer.js'
import { nodeHmac } from './hmac.js'
import { openSqlite } from './sqlite.js'

const port = parentPort
if (!port) throw new TypeError('click-writer-worker.js runs only as a worker thread')

// workerData is what startClickWriter passed.
const { dbPath, hashSecret, cacheKib, nice } = workerData as {
  dbPath: string
  hashSecret: Bytes
  cacheKib: number
  nice: number
}
lowerPriority(nice)
const db = openSqlite(dbPath)
db.native.pragma(`cache_size = -${cacheKib}`)
const storeBatch = clickStorer(new SqlStore(db), createHasher(hashSecret, nodeHmac))

/** Pieces of each batch received so far, by batch id, until its last piece. */
const pieces = new Map<number, PendingClick[]>()

port.on('message', (message: WriterBatch) => {
  const clicks = pieces.get(message.id) ?? []
  for (const click of fromColumns(message.columns)) clicks.push(click)
  if (!message.last) {
    pieces.set(message.id, clicks)
    return
  }

  pieces.delete(message.id)
  storeBatch(clicks).then(
    (written) => {
      sendLog(message.id, written)
      reply({ id: message.id, kind: 'done', stored: written.length })
    },
    (err: unknown) =>
      reply({
        id: message.id,
        kind: 'failed',
        error: err instanceof Error ? err.message : 'unknown',
      }),
  )
})

/** The batch's `click` lines, SEND_CHUNK at a time, so no one message is large to take in. */
function sendLog(id: number, written: readonly WrittenClick[]): void {
  // One timestamp for the batch: the time its clicks were written.
  const writtenAt = new Date().toISOString()
  for (let start = 0; start < written.length; start += SEND_CHUNK) {
    const piece = written.slice(start, start + SEND_CHUNK)
    const log = logLines((log) => {
      for (const click of piece) log('info', 'click', clickLogFields(click))
    }, writtenAt)
    reply({ id, kind: 'log', log })
  }
}

/** What `write` logs, as `jsonLogger` lines joined for one message to the server's log. */
function logLines(write: (log: Logger) => void, time?: string): string {
  const lines: string[] = []
  write(jsonLogger((line) => lines.push(line), time === undefined ? undefined : () => time))
  return lines.join('\n')
}

/**
 * On Linux a thread has a nice value of its own (setpriority(2), NOTES):
 * with no id, node:os reads and sets the calling thread's. Elsewhere the
 * thread keeps the process's priority. A process already started nicer is
 * left as it is: raising a priority back needs a privilege the server should
 * not have. Where the system refuses (a seccomp filter, say), the clicks are
 * written all the same and the log says why the priority stayed.
 */
function lowerPriority(value: number): void {
  if (process.platform !== 'linux') return
  try {
    if (getPriority() < value) setPriority(value)
  } catch (err) {
    const error = err instanceof Error ? err.message : 'unknown'
    const log = logLines((log) => log('warn', 'click_writer.priority_unchanged', { error }))
    reply({ id: 0, kind: 'log', log })
  }
}

function reply(message: WriterReply): void {
  port?.postMessage(message)
}
