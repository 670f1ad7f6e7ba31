/**
 * Records clicks off the hot path. A click is queued in memory when the
 * answer goes out and written with others in one batch: one transaction per
 * batch instead of one per click, which is what lets the redirector keep up
 * with a whole organisation clicking one alert at once.
 *
 * The runtime decides when to flush: on a timer and on shutdown on Node, via
 * `waitUntil` after each click on Workers. A clean shutdown flushes
 * everything, so no click is lost; a crash loses at most the last interval.
 */

import type { Hasher } from '../hashing.js'
import type { ClickRecord, Store } from '../store.js'
import { type TtlCache, createTtlCache } from '../verdict/cache.js'

/** A click as the resolver knows it; the IP is hashed at flush time, off the hot path. */
export interface PendingClick extends Omit<ClickRecord, 'ipHash'> {
  ip: string | null
  method: string
}

/** Clicks per write: large enough to amortise the transaction, small enough to keep it short. */
export const CLICK_BATCH_SIZE = 512

/**
 * Most clicks held while the database is unavailable. Past this, new clicks
 * are counted as dropped and reported, rather than growing memory without
 * bound during an outage.
 */
export const MAX_PENDING_CLICKS = 200_000

/** What one written batch leaves to the caller. */
export interface BatchOutcome {
  /** How many clicks were stored. */
  stored: number
  /** The stored clicks still to be logged; empty when the writer logged them itself. */
  toLog: WrittenClick[]
}

/**
 * Stores one batch, or rejects and stores none of it. The default hashes the
 * IPs and inserts through the store; the Node server hands its batches to a
 * writer thread that does both, and logs them, off the event loop.
 */
export type ClickBatchWriter = (batch: readonly PendingClick[]) => Promise<BatchOutcome>

export type ClickRecorderOptions = (
  | {
      /** Where batches go. */
      store: Pick<Store, 'recordClicks'>
      hasher: Hasher
    }
  | { writeBatch: ClickBatchWriter }
) & {
  /** Most clicks per batch; default CLICK_BATCH_SIZE. */
  batchSize?: number
}

/** A click as stored, with the request method for the log. */
export interface WrittenClick extends ClickRecord {
  method: string
}

export interface ClickRecorder {
  enqueue(click: PendingClick): void
  /** Writes everything queued so far. */
  flush(): Promise<BatchOutcome>
  readonly pending: number
  /**
   * A flush was asked for and has not begun taking clicks: it will write
   * everything queued until then, so asking again adds nothing.
   */
  readonly flushQueued: boolean
  /** Clicks dropped because the queue was full. */
  readonly dropped: number
}

/**
 * Hashes each click's IP and inserts the batch in one transaction; resolves
 * with the clicks as stored. The same few addresses click again and again,
 * so their hashes are cached for a while.
 */
export function clickStorer(
  store: Pick<Store, 'recordClicks'>,
  hasher: Hasher,
): (batch: readonly PendingClick[]) => Promise<WrittenClick[]> {
  const ipHashes: TtlCache<{ hash: string }> = createTtlCache({ max: 10_000, ttlMs: 600_000 })

  async function hashIp(ip: string): Promise<string> {
    const hit = ipHashes.get(ip)
    if (hit) return hit.hash

    const hash = await hasher.ipHash(ip)
    ipHashes.set(ip, { hash })
    return hash
  }

  /** Each distinct address of the batch hashed once: a batch is mostly the same few. */
  async function hashesOf(batch: readonly PendingClick[]): Promise<Map<string, string>> {
    const hashes = new Map<string, string>()
    for (const { ip } of batch) {
      if (ip !== null && !hashes.has(ip)) hashes.set(ip, await hashIp(ip))
    }
    return hashes
  }

  return async function storeBatch(batch) {
    const hashes = await hashesOf(batch)
    const records = batch.map((click) => written(click, hashes))
    // Extra fields (the method) are not columns; the store ignores them.
    await store.recordClicks(records)
    return records
  }
}

/**
 * The click as stored: its address replaced by the address's hash. Fields are
 * listed rather than spread, so the address itself cannot ride along into the
 * record or the log.
 */
function written(click: PendingClick, hashes: ReadonlyMap<string, string>): WrittenClick {
  return {
    at: click.at,
    linkId: click.linkId,
    messageRef: click.messageRef,
    recipientRef: click.recipientRef,
    keyId: click.keyId,
    verdict: click.verdict,
    reason: click.reason,
    userAgent: click.userAgent,
    ipHash: click.ip === null ? null : (hashes.get(click.ip) ?? null),
    automated: click.automated,
    evidence: click.evidence,
    method: click.method,
  }
}

/** The fields of the `click` log event, the same wherever the click was written. */
export function clickLogFields(click: WrittenClick): Record<string, unknown> {
  return {
    linkId: click.linkId,
    messageRef: click.messageRef,
    recipientRef: click.recipientRef,
    keyId: click.keyId,
    verdict: click.verdict,
    reason: click.reason,
    method: click.method,
    automated: click.automated,
    evidence: click.evidence,
  }
}

export function createClickRecorder(options: ClickRecorderOptions): ClickRecorder {
  let queue: PendingClick[] = []
  let dropped = 0
  let writing: Promise<BatchOutcome> = Promise.resolve({ stored: 0, toLog: [] })
  /** Flushes asked for whose drain has not begun: each will take every click queued by then. */
  let waiting = 0
  const write = 'writeBatch' in options ? options.writeBatch : storeAndReturn(options)
  const batchSize = options.batchSize ?? CLICK_BATCH_SIZE

  /** Writes what was queued when the flush began; clicks arriving meanwhile wait for the next. */
  async function drain(): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { stored: 0, toLog: [] }
    let left = queue.length
    while (left > 0 && queue.length > 0) {
      // In place: a backlog of many thousand clicks is not copied once per batch.
      const batch = queue.splice(0, Math.min(batchSize, left))
      left -= batch.length
      try {
        const written = await write(batch)
        outcome.stored += written.stored
        outcome.toLog.push(...written.toLog)
      } catch (err) {
        // Put the batch back in front: the next flush tries again, nothing is lost.
        queue = batch.concat(queue)
        throw err
      }
    }
    return outcome
  }

  /** Batches are written one after another, in order, each in its own transaction. */
  function flush(): Promise<BatchOutcome> {
    waiting++
    const next = writing
      .catch(() => null)
      .then(() => {
        waiting--
        return drain()
      })
    writing = next
    return next
  }

  function enqueue(click: PendingClick): void {
    if (queue.length >= MAX_PENDING_CLICKS) {
      dropped++
      return
    }
    queue.push(click)
  }

  return {
    enqueue,
    flush,
    get pending() {
      return queue.length
    },
    get flushQueued() {
      return waiting > 0
    },
    get dropped() {
      return dropped
    },
  }
}

function storeAndReturn(options: {
  store: Pick<Store, 'recordClicks'>
  hasher: Hasher
}): ClickBatchWriter {
  const store = clickStorer(options.store, options.hasher)
  return async (batch) => {
    const toLog = await store(batch)
    return { stored: toLog.length, toLog }
  }
}
