/**
 * A bounded in-memory cache with a time-to-live, for URL verdicts and
 * message context. Runtime-neutral (lru-cache is plain JavaScript): on Node
 * it lives for the process, on Workers for the isolate.
 *
 * Only what depends on nothing but its key is cached. Admin rules never go
 * through a cache, so a rule change applies on the very next click.
 */

import { LRUCache } from 'lru-cache'

export interface TtlCache<V> {
  get(key: string): V | undefined
  set(key: string, value: V): void
  clear(): void
  readonly size: number
}

export interface TtlCacheOptions {
  /** Most entries kept; the least recently used go first. */
  max: number
  /** Milliseconds an entry stays valid. */
  ttlMs: number
  /** Clock in milliseconds; tests pass a frozen one. */
  now?: () => number
}

export function createTtlCache<V extends object>(options: TtlCacheOptions): TtlCache<V> {
  const cache = new LRUCache<string, V>({
    max: options.max,
    ttl: options.ttlMs,
    // Expiry is checked on read against the clock itself: no timers (Workers would not keep
    // them), and no cached "now", which would hide a frozen test clock's steps.
    ttlAutopurge: false,
    ttlResolution: 0,
    ...(options.now ? { perf: { now: options.now } } : {}),
  })

  return {
    get: (key) => cache.get(key),
    set: (key, value) => {
      cache.set(key, value)
    },
    clear: () => cache.clear(),
    get size() {
      return cache.size
    },
  }
}
