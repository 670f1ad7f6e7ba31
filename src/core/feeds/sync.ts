/**
 * One feed sync: download every source, and apply the difference to the
 * store. Only new entries are written and only vanished ones deleted, so a
 * refresh of a million-entry feed that changed by a thousand writes a
 * thousand rows. Nothing is deleted until every source has been read in
 * full: a failed or empty download leaves the previous data in place.
 */

import type { FeedDefinition, FeedSource } from './definitions.js'
import type { FeedEntry, FeedStore } from './feed-store.js'
import { type EndpointPolicy, ProviderError, fetchEndpoint } from './fetch.js'
import { parseFeed } from './formats.js'
import { HashSet53 } from './hash-set.js'
import { toFeedEntry } from './keys.js'
import { decodedChunks } from './stream.js'

export interface SyncProgress {
  feed: string
  /** 1-based number of the source being read, of `sources`. */
  source: number
  sources: number
  receivedBytes: number
  /** From Content-Length; null when the server did not say. */
  totalBytes: number | null
  entries: number
}

export interface SyncReport {
  feed: string
  entries: number
  added: number
  removed: number
  /** Lines or records that were not a usable URL or host. */
  skipped: number
}

export interface SyncDeps {
  store: FeedStore
  policyFor: (url: string) => EndpointPolicy
  onProgress?: (progress: SyncProgress) => void
  signal?: AbortSignal
}

/** Entries written per store call; each call is a few batches. */
const INSERT_CHUNK = 1000
/** Hashes read per page when the current set is not in memory. */
const HASH_PAGE = 20_000

/**
 * Reads the feed's hashes from the store, in order, a page at a time, into
 * one array of the counted size (no growing, so no second copy in memory).
 */
export async function loadHashSet(store: FeedStore, feed: string): Promise<HashSet53> {
  const values = new Float64Array(await store.count(feed))
  let filled = 0
  let after = -1
  while (filled < values.length) {
    const page = await store.hashPage(feed, after, Math.min(HASH_PAGE, values.length - filled))
    for (const hash of page) values[filled++] = hash
    const last = page[page.length - 1]
    if (last === undefined) break
    after = last
  }
  return HashSet53.fromSorted(filled === values.length ? values : values.slice(0, filled))
}

/**
 * Syncs one feed against `current` (the set now stored) and returns the new
 * set with a report. Throws a ProviderError when a source fails or is empty.
 */
export async function syncFeed(
  definition: FeedDefinition,
  current: HashSet53,
  deps: SyncDeps,
): Promise<{ set: HashSet53; report: SyncReport }> {
  const seen = new Uint8Array(current.size)
  const pending: FeedEntry[] = []
  let skipped = 0
  let entries = 0

  for (const [index, source] of definition.sources.entries()) {
    const progress = progressFor(definition, index, deps, () => entries)
    let fromSource = 0

    for await (const batch of readSource(source, deps, progress)) {
      for (const raw of batch) {
        const entry = toFeedEntry(raw)
        if (!entry) {
          skipped++
          continue
        }
        entries++
        fromSource++

        const at = current.indexOf(entry.hash)
        if (at >= 0) seen[at] = 1
        else pending.push(entry)
      }
      if (pending.length >= INSERT_CHUNK) await flush(deps.store, definition.name, pending)
      progress.entries()
    }

    if (fromSource === 0) {
      throw new ProviderError('empty_feed', `${definition.label}: a source gave no usable entries`)
    }
  }
  await flush(deps.store, definition.name, pending)
  await deps.store.commitStaged(definition.name)

  const removed = collectRemoved(current, seen)
  await deps.store.deleteEntries(definition.name, removed)

  // The table is the truth and returns hashes sorted: cheaper in memory than merging here.
  const set = await loadHashSet(deps.store, definition.name)
  const report = {
    feed: definition.name,
    entries: set.size,
    added: set.size - (current.size - removed.length),
    removed: removed.length,
    skipped,
  }
  return { set, report }
}

async function flush(store: FeedStore, feed: string, pending: FeedEntry[]): Promise<void> {
  await store.stageEntries(feed, pending.splice(0))
}

async function* readSource(
  source: FeedSource,
  deps: SyncDeps,
  progress: ReturnType<typeof progressFor>,
) {
  const response = await fetchEndpoint(
    source.url,
    { secretHeaders: source.secretHeaders, signal: deps.signal },
    deps.policyFor(source.url),
  )
  const length = Number(response.headers.get('Content-Length'))
  progress.start(Number.isFinite(length) && length > 0 ? length : null)

  if (!response.body) throw new ProviderError('empty_feed', 'the provider sent no body')
  yield* parseFeed(source.format, decodedChunks(response.body, progress.bytes))
}

function progressFor(
  definition: FeedDefinition,
  index: number,
  deps: SyncDeps,
  entries: () => number,
) {
  let totalBytes: number | null = null
  let receivedBytes = 0
  const report = () =>
    deps.onProgress?.({
      feed: definition.name,
      source: index + 1,
      sources: definition.sources.length,
      receivedBytes,
      totalBytes,
      entries: entries(),
    })

  return {
    start(total: number | null) {
      totalBytes = total
      report()
    },
    bytes(received: number) {
      receivedBytes = received
      report()
    },
    entries: report,
  }
}

function collectRemoved(current: HashSet53, seen: Uint8Array): number[] {
  const removed: number[] = []
  for (let i = 0; i < seen.length; i++) if (seen[i] === 0) removed.push(current.at(i))
  return removed
}
