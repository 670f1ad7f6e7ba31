/**
 * Safe Browsing v4 full-hash verification. A local prefix match is only a
 * hint: the full SHA-256 hashes for the prefix are fetched
 * (`fullHashes:find`) and compared with the URL's own. Answers are cached as
 * the server says: a listed full hash for `cacheDuration`, an unlisted prefix
 * for `negativeCacheDuration`; and no new request goes out before the
 * server's `minimumWaitDuration` has passed.
 */

import { binaryToBytes, bytesToBinary } from '../bytes.js'
import { type EndpointPolicy, ProviderError } from '../feeds/fetch.js'
import { apiUrl } from './config.js'
import { CLIENT_INFO, asArray, asRecord, asString, durationMs, googleJson } from './google.js'

export interface FullHashSettings {
  key: string
  url: string
  threatTypes: string[]
  policy: EndpointPolicy
}

/** A cache that outgrows this is cleared: it is an optimisation, not a record. */
const MAX_CACHE_ENTRIES = 20_000

export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0')
  return out
}

export function toBase64(bytes: Uint8Array): string {
  return btoa(bytesToBinary(bytes))
}

export function fromBase64(text: string): Uint8Array | null {
  try {
    return binaryToBytes(atob(text.replace(/-/g, '+').replace(/_/g, '/')))
  } catch {
    // Not base64: the caller ignores the entry.
    return null
  }
}

export interface PrefixHit {
  fullHash: Uint8Array
  prefix: Uint8Array
}

export class FullHashVerifier {
  private readonly positive = new Map<string, { types: Set<string>; expires: number }>()
  private readonly negative = new Map<string, number>()
  private notBefore = 0

  constructor(private readonly settings: FullHashSettings) {}

  /** Threat types for which one of the hits' full hashes is listed. */
  async listedTypes(
    hits: readonly PrefixHit[],
    clientStates: string[],
    now: number,
    abort?: AbortSignal,
  ): Promise<Set<string>> {
    const pending = hits.filter((hit) => !this.answeredFromCache(hit, now))
    if (pending.length > 0) await this.ask(pending, clientStates, now, abort)

    const types = new Set<string>()
    for (const hit of hits) {
      const cached = this.positive.get(toHex(hit.fullHash))
      // `>=`: an answer with no cacheDuration still counts for the click that asked.
      if (cached && cached.expires >= now) for (const type of cached.types) types.add(type)
    }
    return types
  }

  /** True when the cache already settles this hit, listed or not. */
  private answeredFromCache(hit: PrefixHit, now: number): boolean {
    const listed = this.positive.get(toHex(hit.fullHash))
    if (listed && listed.expires > now) return true
    const clear = this.negative.get(toHex(hit.prefix))
    return clear !== undefined && clear > now
  }

  private async ask(
    hits: readonly PrefixHit[],
    clientStates: string[],
    now: number,
    abort?: AbortSignal,
  ): Promise<void> {
    if (now < this.notBefore) {
      throw new ProviderError('backoff', 'Safe Browsing asked us to wait before the next request')
    }

    const prefixes = [...new Map(hits.map((hit) => [toHex(hit.prefix), hit.prefix])).values()]
    const answer = await googleJson(
      apiUrl(this.settings.url, '/v4/fullHashes:find'),
      this.settings.key,
      this.settings.policy,
      {
        signal: abort,
        body: {
          client: CLIENT_INFO,
          clientStates,
          threatInfo: {
            threatTypes: this.settings.threatTypes,
            platformTypes: ['ANY_PLATFORM'],
            threatEntryTypes: ['URL'],
            threatEntries: prefixes.map((prefix) => ({ hash: toBase64(prefix) })),
          },
        },
      },
    )
    this.remember(answer, prefixes, now)
  }

  private remember(answer: Record<string, unknown>, prefixes: Uint8Array[], now: number): void {
    if (this.positive.size > MAX_CACHE_ENTRIES) this.positive.clear()
    if (this.negative.size > MAX_CACHE_ENTRIES) this.negative.clear()

    for (const match of asArray(answer.matches)) {
      const record = asRecord(match)
      const hash = fromBase64(asString(asRecord(record.threat).hash) ?? '')
      const type = asString(record.threatType)
      if (!hash || hash.length !== 32 || !type) continue

      const key = toHex(hash)
      const entry = this.positive.get(key) ?? { types: new Set<string>(), expires: 0 }
      entry.types.add(type)
      entry.expires = now + (durationMs(record.cacheDuration) ?? 0)
      this.positive.set(key, entry)
    }

    const negativeMs = durationMs(answer.negativeCacheDuration) ?? 0
    for (const prefix of prefixes) this.negative.set(toHex(prefix), now + negativeMs)
    this.notBefore = now + (durationMs(answer.minimumWaitDuration) ?? 0)
  }
}
