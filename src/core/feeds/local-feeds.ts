/**
 * The downloaded feeds at run time: their click-time signals, their syncs,
 * and the in-memory indexes that make a lookup a few binary searches.
 *
 * SQLite (or D1) is the store of record. Where an in-memory index is kept
 * (the Node server), a lookup touches the database only to confirm a hit;
 * where it is not (Workers, or while an index loads), a lookup is one
 * indexed SQL query. Another process (`clickgate feeds sync`) may change the
 * data at any time: each feed's state row carries a version, re-read every
 * few seconds, and an index that no longer matches it is rebuilt.
 */

import { type FailureVerdict, failureFinding } from '../verdict/budget.js'
import type { ClickSubject, Finding, Signal } from '../verdict/types.js'
import type { FeedDefinition } from './definitions.js'
import type { FeedEntry, FeedState, FeedStore } from './feed-store.js'
import { type EndpointPolicy, ProviderError } from './fetch.js'
import { HashSet53 } from './hash-set.js'
import { type LookupKeys, entryMatches, lookupKeys } from './keys.js'
import { type SyncProgress, type SyncReport, loadHashSet, syncFeed } from './sync.js'

export interface LocalFeedsOptions {
  onFailure: FailureVerdict
  /** Keep an in-memory index per feed (Node). Without it each lookup is one SQL query. */
  memoryIndex: boolean
  policyFor: (url: string) => EndpointPolicy
  now: () => number
}

export interface FeedStatus {
  name: string
  label: string
  kind: 'feed' | 'hash-list'
  entries: number
  syncedAt: string | null
  ageSeconds: number | null
  stale: boolean
  lastError: string | null
  failures: number
}

/** How long a feed's state row is trusted before it is read again (other processes sync too). */
const STATE_TTL_MS = 10_000
/** A sync holds its feed at most this long; a crashed sync frees it after that. */
const LEASE_MS = 30 * 60_000

export class LocalFeeds {
  private readonly indexes = new Map<string, { version: number; set: HashSet53 }>()
  private readonly states = new Map<string, { state: FeedState | null; readAt: number }>()
  private readonly loading = new Map<string, Promise<void>>()

  constructor(
    readonly definitions: readonly FeedDefinition[],
    private readonly store: FeedStore,
    private readonly options: LocalFeedsOptions,
  ) {}

  /** One signal per feed, in definition order. */
  signals(): Signal[] {
    return this.definitions.map((definition) => this.signalFor(definition))
  }

  /** Builds every in-memory index from the store (Node start-up). */
  async loadIndexes(): Promise<void> {
    if (!this.options.memoryIndex) return
    for (const definition of this.definitions) await this.loadIndex(definition.name)
  }

  /** Rebuilds the indexes whose data another process changed. */
  async reloadChanged(): Promise<void> {
    for (const definition of this.definitions) {
      const state = await this.readState(definition.name)
      const index = this.indexes.get(definition.name)
      if (this.options.memoryIndex && state && index?.version !== state.version) {
        await this.loadIndex(definition.name)
      }
    }
  }

  /** Downloads one feed and applies the changes; throws a ProviderError on failure. */
  async sync(name: string, onProgress?: (p: SyncProgress) => void): Promise<SyncReport> {
    const definition = this.definitions.find((d) => d.name === name)
    if (!definition) throw new TypeError(`feed "${name}" is not enabled`)

    const started = this.options.now()
    if (!(await this.store.acquireLease(name, started, started + LEASE_MS))) {
      throw new ProviderError('busy', `another sync of ${name} is running`)
    }
    try {
      return await this.syncHeld(definition, onProgress)
    } catch (err) {
      const code = err instanceof ProviderError ? err.reason : 'sync_failed'
      await this.store.clearStaged(name)
      await this.store.recordFailure(name, this.options.now(), code, null)
      this.states.delete(name)
      throw err
    } finally {
      await this.store.releaseLease(name)
    }
  }

  /** The current index of a feed, to hand to another thread; null when none is built. */
  exportIndex(name: string): { version: number; values: Float64Array } | null {
    const index = this.indexes.get(name)
    return index ? { version: index.version, values: index.set.values() } : null
  }

  /** Takes an index built elsewhere (a sync in a worker thread) as this feed's index. */
  adoptIndex(name: string, version: number, values: Float64Array): void {
    this.indexes.set(name, { version, set: HashSet53.fromSorted(values) })
    this.states.delete(name)
  }

  /** Whether a feed is due for a refresh at `now`. */
  async isDue(name: string, now: number): Promise<boolean> {
    const definition = this.definitions.find((d) => d.name === name)
    const state = await this.readState(name)
    if (!definition) return false
    if (!state || state.attemptedAt === null) return true
    if (state.notBefore !== null && now < state.notBefore) return false
    return now - state.attemptedAt >= definition.refreshMs
  }

  async status(now: number): Promise<FeedStatus[]> {
    const statuses: FeedStatus[] = []
    for (const definition of this.definitions) {
      const state = await this.readState(definition.name)
      statuses.push(
        describe(definition.name, definition.label, 'feed', state, now, definition.staleAfterMs),
      )
    }
    return statuses
  }

  /**
   * In-memory candidates for one feed: the lookup hashes present in its
   * index, or null when no current index exists (then SQL answers).
   */
  candidates(name: string, keys: LookupKeys, version: number): number[] | null {
    const index = this.indexes.get(name)
    if (!index || index.version !== version) {
      if (this.options.memoryIndex) this.loadInBackground(name)
      return null
    }

    const hits: number[] = []
    if (index.set.has(keys.urlHash)) hits.push(keys.urlHash)
    for (const hash of keys.hostHashes) if (index.set.has(hash)) hits.push(hash)
    return hits
  }

  private async syncHeld(
    definition: FeedDefinition,
    onProgress?: (p: SyncProgress) => void,
  ): Promise<SyncReport> {
    // Left over from a sync that crashed while holding the (now expired) lease.
    await this.store.clearStaged(definition.name)
    const before = await this.store.state(definition.name)
    const index = this.indexes.get(definition.name)
    const current =
      index && before && index.version === before.version
        ? index.set
        : await loadHashSet(this.store, definition.name)

    const { set, report } = await syncFeed(definition, current, {
      store: this.store,
      policyFor: this.options.policyFor,
      onProgress,
    })

    const changed = report.added > 0 || report.removed > 0 || before?.syncedAt == null
    await this.store.recordSuccess(definition.name, {
      at: this.options.now(),
      entries: set.size,
      changed,
    })
    const after = await this.readState(definition.name)
    if (this.options.memoryIndex && after) {
      this.indexes.set(definition.name, { version: after.version, set })
    }
    return report
  }

  private signalFor(definition: FeedDefinition): Signal {
    return {
      name: definition.name,
      evaluate: (subject: ClickSubject) => this.evaluate(definition, subject),
    }
  }

  private async evaluate(definition: FeedDefinition, subject: ClickSubject): Promise<Finding[]> {
    const state = await this.stateAt(definition.name, subject.now)
    if (!state || state.syncedAt === null) {
      const why = notLoadedWhy(definition.label, state)
      return [this.unavailable(definition, 'feed_not_loaded', subject.now, why)]
    }

    const keys = lookupKeys(subject.target)
    if (!keys) return []

    const hashes = this.candidates(definition.name, keys, state.version) ?? [
      keys.urlHash,
      ...keys.hostHashes,
    ]
    const entries = hashes.length > 0 ? await this.store.findEntries(definition.name, hashes) : []
    const findings = entries
      .filter((entry) => entryMatches(entry, keys))
      .map((entry) => listed(definition, entry, state, subject.now))
    if (findings.length > 0) return findings

    if (subject.now - state.syncedAt > definition.staleAfterMs) {
      const age = Math.round((subject.now - state.syncedAt) / 60_000)
      const why = `${definition.label} data is ${age} minutes old`
      return [this.unavailable(definition, 'feed_stale', subject.now, why)]
    }
    return []
  }

  private unavailable(
    definition: FeedDefinition,
    reason: 'feed_not_loaded' | 'feed_stale',
    now: number,
    why: string,
  ): Finding {
    return failureFinding(
      definition.name,
      reason,
      this.options.onFailure,
      now,
      `${why}, so this address could not be checked against it`,
    )
  }

  private async stateAt(name: string, now: number): Promise<FeedState | null> {
    const cached = this.states.get(name)
    if (cached && now - cached.readAt < STATE_TTL_MS && now >= cached.readAt) return cached.state
    return this.readState(name, now)
  }

  private async readState(name: string, now = this.options.now()): Promise<FeedState | null> {
    const state = await this.store.state(name)
    this.states.set(name, { state, readAt: now })
    return state
  }

  private async loadIndex(name: string): Promise<void> {
    const state = await this.readState(name)
    if (!state) return
    const set = await loadHashSet(this.store, name)
    this.indexes.set(name, { version: state.version, set })
  }

  private loadInBackground(name: string): void {
    if (this.loading.has(name)) return
    const task = this.loadIndex(name)
      // A failed load leaves lookups on the SQL path, which is correct, only slower.
      .catch(() => undefined)
      .finally(() => this.loading.delete(name))
    this.loading.set(name, task)
  }
}

/** A feed is not loaded because no download was tried yet, or because every try failed. */
function notLoadedWhy(label: string, state: FeedState | null): string {
  if (state?.attemptedAt == null) return `${label} has not been downloaded yet`
  const failed = state.failures > 0 ? ` (${plural(state.failures, 'download')} failed)` : ''
  return `no usable copy of ${label} is loaded${failed}`
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

function listed(
  definition: FeedDefinition,
  entry: FeedEntry,
  state: FeedState,
  now: number,
): Finding {
  const meaning = entry.kind === 'url' ? definition.onUrl : definition.onHost
  const info = entry.info ? ` (${entry.info})` : ''
  const downloaded = state.syncedAt === null ? '' : `; list downloaded ${iso(state.syncedAt)}`
  return {
    verdict: meaning.verdict,
    reason: meaning.reason,
    source: definition.name,
    checkedAt: now,
    detail: `${meaning.detail}${info}${downloaded}`,
  }
}

export function describe(
  name: string,
  label: string,
  kind: FeedStatus['kind'],
  state: FeedState | null,
  now: number,
  staleAfterMs: number,
): FeedStatus {
  const syncedAt = state?.syncedAt ?? null
  const age = syncedAt === null ? null : Math.max(0, Math.round((now - syncedAt) / 1000))
  return {
    name,
    label,
    kind,
    entries: state?.entries ?? 0,
    syncedAt: syncedAt === null ? null : iso(syncedAt),
    ageSeconds: age,
    stale: age === null || age * 1000 > staleAfterMs,
    lastError: state?.lastError ?? null,
    failures: state?.failures ?? 0,
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}
