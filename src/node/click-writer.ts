/**
 * Writes clicks on a worker thread with its own SQLite connection, so that
 * nothing of a click's recording but queueing it runs on the thread that
 * answers clicks: the thread hashes the IPs, inserts each batch in one
 * transaction and formats the `click` log lines, which come back as text
 * for the server's log. The recorder
 * (core/clicks/recorder.ts) still batches and keeps a batch that failed.
 * WAL mode lets the two connections work side by side; `busy_timeout`
 * covers the moments both write.
 */

import { Worker } from 'node:worker_threads'

import type { BatchOutcome, ClickBatchWriter, PendingClick } from '../core/clicks/recorder.js'
import type { Bytes } from '../core/bytes.js'
import { type ClickColumns, toColumns } from './click-columns.js'

/**
 * Clicks per batch, and so per transaction, on the writer thread. The
 * clicks table's index on recipient takes each click at a random place, so
 * a transaction dirties about one index page per click until it has many;
 * every dirty page is written to the WAL once per transaction. Measured on
 * 2,000,000 inserts over 10,000 recipients (the resolver benchmark's shape),
 * the last 500,000 cost 12.3 µs of CPU a click in batches of 4,096 and about
 * 8 in batches of 32,768 with the larger page cache below. The batch waits
 * at most CLICKGATE_CLICK_FLUSH_MS, so a quiet server still writes promptly.
 */
export const WRITER_BATCH_SIZE = 32_768

/**
 * The writer connection's page cache, in KiB (SQLite's negative
 * `cache_size`). The default 2 MiB holds a small part of the recipient
 * index, so most inserts read their page back from the file first.
 */
export const WRITER_CACHE_KIB = 65_536

/**
 * The writer thread's nice value (Linux; elsewhere it keeps the process's).
 * Writing a second of clicks is a burst of work that has no one waiting on
 * it, while a person waits on every answer: at 5 the scheduler weighs the
 * answering thread three times as heavily, and still gives the writer about
 * a quarter of a core it shares with a busy thread, more than it needs. In
 * alternating single-round runs of the resolver benchmark the paced p99 was
 * 3.4 to 4.6 ms (seven runs) with it and 3.6 to 6.0 ms without. If the writer
 * falls behind, its batches grow up to WRITER_BATCH_SIZE, which makes each
 * click cheaper to write.
 */
export const WRITER_NICE = 5

/**
 * Clicks per message to the thread. A batch travels in pieces of this size,
 * each made into columns in a turn of the event loop of its own: made in one
 * go, a full batch held the thread that answers clicks for about 9 ms, which
 * every click arriving meanwhile waited out. The thread writes the pieces of
 * a batch in one transaction, and sends its log lines back in pieces too. In
 * single-round runs of the resolver benchmark, pieces of 512 gave 0.46 to
 * 0.51 times the bare app's rate, and pieces of 2,048 0.42 to 0.47.
 */
export const SEND_CHUNK = 512

export interface ClickWriter {
  writeBatch: ClickBatchWriter
  /** Waits for every batch sent so far, then stops the thread. */
  close(): Promise<void>
}

export interface ClickWriterOptions {
  dbPath: string
  /** CLICKGATE_HASH_SECRET, for the IP hashes. */
  hashSecret: Bytes
  /** Takes a batch's `click` log lines (JSON, one per line, no final newline). */
  writeLog: (lines: string) => void
}

/** What the writer thread is sent: a batch's clicks in pieces, the last with `last` set. */
export interface WriterBatch {
  id: number
  columns: ClickColumns
  last: boolean
}

/**
 * Messages from the writer thread: a written batch's log lines, in pieces,
 * then its outcome.
 */
export type WriterReply =
  | { id: number; kind: 'log'; log: string }
  | { id: number; kind: 'done'; stored: number }
  | { id: number; kind: 'failed'; error: string }

export function startClickWriter(options: ClickWriterOptions): ClickWriter {
  const worker = new Worker(new URL('./click-writer-worker.js', import.meta.url), {
    workerData: {
      dbPath: options.dbPath,
      hashSecret: options.hashSecret,
      cacheKib: WRITER_CACHE_KIB,
      nice: WRITER_NICE,
    },
  })
  const waiting = new Map<
    number,
    { resolve: (stored: number) => void; reject: (err: Error) => void }
  >()
  const inFlight = new Set<Promise<BatchOutcome>>()
  let nextId = 1

  worker.on('message', (reply: WriterReply) => {
    if (reply.kind === 'log') return options.writeLog(reply.log)

    const entry = waiting.get(reply.id)
    waiting.delete(reply.id)
    if (!entry) return
    if (reply.kind === 'failed') return entry.reject(new Error(reply.error))
    entry.resolve(reply.stored)
  })
  /** Set once the thread has stopped: nothing will answer a batch sent after that. */
  let stopped: Error | null = null
  worker.on('error', (err) => stop(err))
  worker.on('exit', (code) => stop(new Error(`click writer stopped (exit ${code})`)))

  /** Fails every batch waiting for an answer; the first cause is what later batches hear. */
  function stop(err: Error): void {
    stopped ??= err
    for (const entry of waiting.values()) entry.reject(err)
    waiting.clear()
  }

  const writeBatch: ClickBatchWriter = (batch) => {
    if (batch.length === 0) return Promise.resolve({ stored: 0, toLog: [] })
    // A message to a stopped thread is dropped without a word: fail now, so the recorder keeps
    // the batch and a flush (the shutdown's too) ends instead of waiting for ever.
    if (stopped) return Promise.reject(stopped)
    const id = nextId++
    const written = new Promise<BatchOutcome>((resolve, reject) => {
      // The thread logged the clicks: nothing is left for the caller to log.
      waiting.set(id, { resolve: (stored) => resolve({ stored, toLog: [] }), reject })
      send(id, batch).catch((err: unknown) => {
        waiting.delete(id)
        reject(err instanceof Error ? err : new Error(String(err)))
      })
    })
    inFlight.add(written)
    const settle = () => inFlight.delete(written)
    written.then(settle, settle)
    return written
  }

  /** Sends a batch piece by piece, letting the event loop run between pieces. */
  async function send(id: number, batch: readonly PendingClick[]): Promise<void> {
    for (let start = 0; start < batch.length; start += SEND_CHUNK) {
      if (start > 0) await new Promise((next) => setImmediate(next))
      // The thread may have stopped meanwhile: its pieces so far are dropped with it.
      if (stopped) throw stopped

      const end = start + SEND_CHUNK
      const message: WriterBatch = {
        id,
        columns: toColumns(batch.slice(start, end)),
        last: end >= batch.length,
      }
      worker.postMessage(message)
    }
  }

  async function close(): Promise<void> {
    await Promise.allSettled([...inFlight])
    await worker.terminate()
  }

  // Not unref'd: while a batch is on its way, the thread is what keeps a stopping process
  // alive until the batch is written. `close` ends it.
  return { writeBatch, close }
}
