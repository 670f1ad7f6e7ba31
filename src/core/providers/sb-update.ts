/**
 * Google Safe Browsing v4 Update API: hash-prefix lists kept locally
 * (`threatListUpdates:fetch`), and full hashes fetched only when a prefix
 * matches (see sb-full-hashes.ts). URLs are canonicalised and expanded into
 * host-suffix/path-prefix expressions exactly as the documentation says
 * (canonical.ts).
 *
 * Freshness: the local lists may be acted on only while under 30 minutes
 * old. Older lists still send a prefix hit to the server for verification
 * (the full-hash answer is current), but a miss in them is no reason to let
 * a link through: it is reported as `feed_stale`.
 */

import { canonicalize, expressions } from '../feeds/canonical.js'
import type { FeedStore } from '../feeds/feed-store.js'
import { type EndpointPolicy, ProviderError } from '../feeds/fetch.js'
import { type FeedStatus, describe } from '../feeds/local-feeds.js'
import { type FailureVerdict, failureFinding } from '../verdict/budget.js'
import type { ClickSubject, Finding, Signal } from '../verdict/types.js'
import { PROVIDERS } from './catalogue.js'
import { apiUrl } from './config.js'
import {
  CLIENT_INFO,
  asArray,
  asRecord,
  asString,
  durationMs,
  googleJson,
  threatFinding,
} from './google.js'
import { type PrefixGroup, PrefixSet } from './prefix-set.js'
import { FullHashVerifier, type PrefixHit, fromBase64, toBase64 } from './sb-full-hashes.js'
import type { ThreatListStore } from './threat-list-store.js'

export const SB_UPDATE = 'safebrowsing-update'

/** Safe Browsing data may be acted on only while under 30 minutes old. */
export const SB_STALE_AFTER_MS = 30 * 60_000
/** We ask every 10 minutes, or less often when the server's minimumWaitDuration says so. */
export const SB_REFRESH_MS = 10 * 60_000
/** Back-off after a failed update: 15 minutes doubling per failure, at most a day. */
const BACKOFF_BASE_MS = 15 * 60_000
const BACKOFF_MAX_MS = 24 * 60 * 60_000
const LEASE_MS = 10 * 60_000
const STATE_TTL_MS = 10_000

export interface SafeBrowsingUpdateOptions {
  key: string
  url: string
  threatTypes: string[]
  onFailure: FailureVerdict
  policy: EndpointPolicy
  lists: ThreatListStore
  feeds: FeedStore
  now: () => number
}

export class SafeBrowsingUpdate {
  private readonly sets = new Map<string, { set: PrefixSet; clientState: string }>()
  private readonly verifier: FullHashVerifier
  private loaded: Promise<void> | null = null
  private state: { syncedAt: number | null; version: number; readAt: number } | null = null

  constructor(private readonly options: SafeBrowsingUpdateOptions) {
    this.verifier = new FullHashVerifier(options)
  }

  /** `MALWARE/ANY_PLATFORM/URL` and so on, one per configured threat type. */
  get listNames(): string[] {
    return this.options.threatTypes.map((type) => `${type}/ANY_PLATFORM/URL`)
  }

  /** Reads the stored lists into memory (once; again after another process synced). */
  load(): Promise<void> {
    this.loaded ??= this.readLists().catch((err: unknown) => {
      this.loaded = null
      throw err
    })
    return this.loaded
  }

  signal(): Signal {
    return { name: SB_UPDATE, evaluate: (subject, abort) => this.evaluate(subject, abort) }
  }

  async isDue(now: number): Promise<boolean> {
    const state = await this.options.feeds.state(SB_UPDATE)
    if (!state || state.attemptedAt === null) return true
    if (state.notBefore !== null && now < state.notBefore) return false
    if (state.version !== this.state?.version) this.loaded = null
    return now - state.attemptedAt >= SB_REFRESH_MS
  }

  async status(now: number): Promise<FeedStatus> {
    const state = await this.options.feeds.state(SB_UPDATE)
    return describe(
      SB_UPDATE,
      PROVIDERS[SB_UPDATE].label,
      'hash-list',
      state,
      now,
      SB_STALE_AFTER_MS,
    )
  }

  /** One update round for every list; throws a ProviderError when it fails. */
  async sync(): Promise<{ prefixes: number }> {
    const started = this.options.now()
    if (!(await this.options.feeds.acquireLease(SB_UPDATE, started, started + LEASE_MS))) {
      throw new ProviderError('busy', 'another Safe Browsing update is running')
    }
    try {
      await this.load()
      return await this.update()
    } catch (err) {
      await this.recordFailure(err)
      throw err
    } finally {
      await this.options.feeds.releaseLease(SB_UPDATE)
    }
  }

  private async update(): Promise<{ prefixes: number }> {
    const answer = await googleJson(
      apiUrl(this.options.url, '/v4/threatListUpdates:fetch'),
      this.options.key,
      this.options.policy,
      {
        body: {
          client: CLIENT_INFO,
          listUpdateRequests: this.listNames.map((l) => this.request(l)),
        },
      },
    )

    const now = this.options.now()
    let changed = false
    let failure: ProviderError | null = null
    for (const response of asArray(answer.listUpdateResponses)) {
      try {
        changed = (await this.applyResponse(asRecord(response), now)) || changed
      } catch (err) {
        failure = err instanceof ProviderError ? err : new ProviderError('bad_update', 'bad update')
      }
    }
    if (failure) throw failure

    const prefixes = [...this.sets.values()].reduce((n, entry) => n + entry.set.count, 0)
    const wait = durationMs(answer.minimumWaitDuration)
    await this.options.feeds.recordSuccess(SB_UPDATE, {
      at: now,
      entries: prefixes,
      changed,
      notBefore: wait === null ? null : now + wait,
    })
    this.state = null
    return { prefixes }
  }

  private request(list: string) {
    const [threatType, platformType, threatEntryType] = list.split('/')
    return {
      threatType,
      platformType,
      threatEntryType,
      state: this.sets.get(list)?.clientState ?? '',
      constraints: { supportedCompressions: ['RAW'] },
    }
  }

  /** Applies one list's answer; returns whether the list changed. */
  private async applyResponse(response: Record<string, unknown>, now: number): Promise<boolean> {
    const list = [response.threatType, response.platformType, response.threatEntryType].join('/')
    if (!this.listNames.includes(list)) return false

    const current = this.sets.get(list)?.set ?? PrefixSet.empty
    const base = response.responseType === 'FULL_UPDATE' ? PrefixSet.empty : current
    let next: PrefixSet
    let edits = 0
    try {
      const removals = removalsOf(response)
      const additions = additionsOf(response)
      edits = removals.length + additions.length
      next = base.apply(removals, additions)
    } catch (err) {
      await this.forget(list)
      throw new ProviderError('bad_update', `${list}: the update does not fit the list`, {
        cause: err,
      })
    }

    const checksum = asString(asRecord(response.checksum).sha256) ?? ''
    const digest = new Uint8Array(
      await crypto.subtle.digest('SHA-256', toBuffer(next.concatenated())),
    )
    if (toBase64(digest) !== toBase64(fromBase64(checksum) ?? new Uint8Array(0))) {
      // The documented recovery: drop the list, and the next update sends all of it.
      await this.forget(list)
      throw new ProviderError('checksum_mismatch', `${list}: checksum mismatch after the update`)
    }

    const clientState = asString(response.newClientState) ?? ''
    await this.options.lists.save(
      { list, clientState, checksum, prefixes: next.count, updatedAt: now },
      next,
    )
    this.sets.set(list, { set: next, clientState })
    return edits > 0 || base !== current
  }

  private async forget(list: string): Promise<void> {
    await this.options.lists.clear(list)
    this.sets.delete(list)
  }

  private async recordFailure(err: unknown): Promise<void> {
    const state = await this.options.feeds.state(SB_UPDATE)
    const failures = (state?.failures ?? 0) + 1
    const code = err instanceof ProviderError ? err.reason : 'sync_failed'
    // The documented back-off: 15 min × 2^(N-1) × (1 + random), capped; none after a checksum reset.
    const wait =
      code === 'checksum_mismatch'
        ? 0
        : Math.min(BACKOFF_BASE_MS * 2 ** (failures - 1) * (1 + Math.random()), BACKOFF_MAX_MS)
    const now = this.options.now()
    await this.options.feeds.recordFailure(SB_UPDATE, now, code, wait > 0 ? now + wait : null)
  }

  private async readLists(): Promise<void> {
    for (const list of this.listNames) {
      const stored = await this.options.lists.load(list)
      if (stored) this.sets.set(list, { set: stored.set, clientState: stored.record.clientState })
      else this.sets.delete(list)
    }
  }

  private async evaluate(subject: ClickSubject, abort?: AbortSignal): Promise<Finding[]> {
    const state = await this.freshness(subject.now)
    if (state.syncedAt === null) return [this.unavailable('feed_not_loaded', subject.now)]
    await this.load()

    const url = canonicalize(subject.target)
    if (!url) return []

    const hits = await this.prefixHits(expressions(url))
    if (hits.length === 0) {
      const stale = subject.now - state.syncedAt > SB_STALE_AFTER_MS
      return stale ? [this.unavailable('feed_stale', subject.now)] : []
    }

    const states = [...this.sets.values()].map((entry) => entry.clientState)
    const types = await this.verifier.listedTypes(hits, states, subject.now, abort)
    const label = PROVIDERS[SB_UPDATE].label
    return [...types].map((type) =>
      threatFinding(SB_UPDATE, label, 'safe_browsing', type, subject.now),
    )
  }

  private async prefixHits(expressionList: string[]): Promise<PrefixHit[]> {
    const hits: PrefixHit[] = []
    for (const expression of expressionList) {
      const bytes = Uint8Array.from(expression, (ch) => ch.charCodeAt(0))
      const fullHash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
      for (const { set } of this.sets.values()) {
        const prefix = set.match(fullHash)
        if (prefix) hits.push({ fullHash, prefix })
      }
    }
    return hits
  }

  private async freshness(now: number) {
    if (this.state && now - this.state.readAt < STATE_TTL_MS && now >= this.state.readAt) {
      return this.state
    }
    const stored = await this.options.feeds.state(SB_UPDATE)
    if (stored && this.state && stored.version !== this.state.version) this.loaded = null
    this.state = { syncedAt: stored?.syncedAt ?? null, version: stored?.version ?? 0, readAt: now }
    return this.state
  }

  private unavailable(reason: 'feed_not_loaded' | 'feed_stale', now: number): Finding {
    const label = PROVIDERS[SB_UPDATE].label
    // Not "not downloaded yet": the lists may also be missing because every download failed.
    const why =
      reason === 'feed_stale'
        ? `${label} lists are more than 30 minutes old`
        : `no usable copy of the ${label} lists is loaded`
    return failureFinding(
      SB_UPDATE,
      reason,
      this.options.onFailure,
      now,
      `${why}, so this address could not be checked against them`,
    )
  }
}

function removalsOf(response: Record<string, unknown>): number[] {
  const out: number[] = []
  for (const removal of asArray(response.removals)) {
    const record = asRecord(removal)
    if (record.compressionType === 'RICE')
      throw new RangeError('Rice-encoded removals were not asked for')
    for (const index of asArray(asRecord(record.rawIndices).indices)) {
      if (typeof index === 'number') out.push(index)
      else throw new RangeError('a removal index is not a number')
    }
  }
  return out
}

function additionsOf(response: Record<string, unknown>): PrefixGroup[] {
  return asArray(response.additions).map((addition) => {
    const record = asRecord(addition)
    if (record.compressionType === 'RICE')
      throw new RangeError('Rice-encoded additions were not asked for')
    const raw = asRecord(record.rawHashes)
    const data = fromBase64(asString(raw.rawHashes) ?? '')
    const size = typeof raw.prefixSize === 'number' ? raw.prefixSize : NaN
    if (!data) throw new RangeError('additions are not base64')
    return { size, data }
  })
}

function toBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.length)
  copy.set(bytes)
  return copy.buffer
}
