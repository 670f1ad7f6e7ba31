/**
 * Writes clicks on a worker thread with its own SQLite connection, so that
 * nothing of a click's recording but queueing it runs on the thread that
 * answers clicks: the thread hashes the IPs, inserts each batch in one
 * transaction and formats the `click` log lines, which come back as one
 * piece of text per batch for the server's log. The recorder
 * (core/clicks/recorder.ts) still batches and keeps a batch that failed.
 * WAL mode lets the two connections work side by side; `busy_timeout`
 * covers the moments both write.
 */

import { Worker } from 'node:worker_threads'

import type { BatchOutcome, ClickBatchWriter } from '../core/clicks/recorder.js'
import type { Bytes } from '../core/bytes.js'
import { type ClickColumns, toColumns } from './click-columns.js'

/**
 * Clicks per batch, and so per transaction, on the writer thread. The
 * clicks table's index on recipient takes each click at a random place, so
 * a transaction dirties about one index page per click until it has many;
 * every dirty page is written to the WAL once per transaction. 4,096 clicks
 * a transaction cost the thread about half the CPU per click that 512 did
 * (measured on 200,000 inserts into a growing table); the batch waits at most
 * CLICKGATE_CLICK_FLUSH_MS, so a quiet server still writes promptly.
 */
export const WRITER_BATCH_SIZE = 4096

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

/** What the writer thread is sent. */
export interface WriterBatch {
  id: number
  columns: ClickColumns
}

/** Messages from the writer thread. */
export type WriterReply =
  { id: number; ok: true; stored: number; log: string } | { id: number; ok: false; error: string }

export function startClickWriter(options: ClickWriterOptions): ClickWriter {
  const worker = new Worker(new URL('./click-writer-worker.js', import.meta.url), {
    workerData: { dbPath: options.dbPath, hashSecret: options.hashSecret },
  })
  const waiting = new Map<
    number,
    { resolve: (stored: number) => void; reject: (err: Error) => void }
  >()
  const inFlight = new Set<Promise<BatchOutcome>>()
  let nextId = 1

  worker.on('message', (reply: WriterReply) => {
    const entry = waiting.get(reply.id)
    waiting.delete(reply.id)
    if (!entry) return
    if (!reply.ok) return entry.reject(new Error(reply.error))

    if (reply.log.length > 0) options.writeLog(reply.log)
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
      const message: WriterBatch = { id, columns: toColumns(batch) }
      worker.postMessage(message)
    })
    inFlight.add(written)
    const settle = () => inFlight.delete(written)
    written.then(settle, settle)
    return written
  }

  async function close(): Promise<void> {
    await Promise.allSettled([...inFlight])
    await worker.terminate()
  }

  // Not unref'd: while a batch is on its way, the thread is what keeps a stopping process
  // alive until the batch is written. `close` ends it.
  return { writeBatch, close }
}
