/**
 * Writes clicks on a worker thread with its own SQLite connection, so that
 * the inserts never run on the thread that answers clicks. The recorder
 * (core/clicks/recorder.ts) still batches; this only moves each batch's
 * transaction off the event loop that serves redirects. WAL mode lets the
 * two connections work side by side; `busy_timeout` covers the moments both
 * write.
 */

import { Worker } from 'node:worker_threads'

import type { ClickRecord } from '../core/store.js'

/** What the recorder needs from storage. */
export interface ClickSink {
  recordClicks(clicks: readonly ClickRecord[]): Promise<void>
}

export interface ClickWriter extends ClickSink {
  /** Waits for every batch sent so far, then stops the thread. */
  close(): Promise<void>
}

/** Messages from the writer thread. */
export type WriterReply = { id: number; ok: true } | { id: number; ok: false; error: string }

export function startClickWriter(dbPath: string): ClickWriter {
  const worker = new Worker(new URL('./click-writer-worker.js', import.meta.url), {
    workerData: { dbPath },
  })
  const waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>()
  const inFlight = new Set<Promise<void>>()
  let nextId = 1

  worker.on('message', (reply: WriterReply) => {
    const entry = waiting.get(reply.id)
    waiting.delete(reply.id)
    if (!entry) return
    if (reply.ok) entry.resolve()
    else entry.reject(new Error(reply.error))
  })
  worker.on('error', (err) => failAll(err))
  worker.on('exit', (code) => failAll(new Error(`click writer stopped (exit ${code})`)))

  function failAll(err: Error): void {
    for (const entry of waiting.values()) entry.reject(err)
    waiting.clear()
  }

  function recordClicks(clicks: readonly ClickRecord[]): Promise<void> {
    if (clicks.length === 0) return Promise.resolve()
    const id = nextId++
    const written = new Promise<void>((resolve, reject) => {
      waiting.set(id, { resolve, reject })
      worker.postMessage({ id, clicks })
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
  return { recordClicks, close }
}
