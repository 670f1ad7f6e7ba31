/**
 * How feed entries and clicked links become comparable keys. Both go through
 * the Safe Browsing canonicalisation, so `HTTP://Evil.EXAMPLE:80/a/../b#x`
 * and `http://evil.example/b` are the same entry.
 */

import { canonicalize, hostAndPath, isIpHost } from './canonical.js'
import type { FeedEntry } from './feed-store.js'
import type { RawEntry } from './formats.js'
import { hash53 } from './hash-set.js'

/** Longer canonical URLs are not stored: real feed URLs are far shorter. */
export const MAX_KEY_CHARS = 8 * 1024

/** Seeds that keep a URL key and a host key with the same text apart. */
const URL_SEED = 0x75
const HOST_SEED = 0x68

export function urlHash(key: string): number {
  return hash53(key, URL_SEED)
}

export function hostHash(host: string): number {
  return hash53(host, HOST_SEED)
}

/** A raw feed entry as a stored entry, or null when it is not a usable URL or host. */
export function toFeedEntry(raw: RawEntry): FeedEntry | null {
  if (raw.kind === 'url') {
    const url = canonicalize(raw.value)
    const key = url ? hostAndPath(url) : null
    if (!key || key.length > MAX_KEY_CHARS) return null
    return { hash: urlHash(key), kind: 'url', value: key, info: raw.info }
  }

  // A host entry is a bare name or address: anything URL-like would widen it.
  if (!/^(?:[^\s/?#@:\\]+|\[[0-9a-fA-F:.]+\])$/.test(raw.value)) return null
  const host = canonicalize(`http://${raw.value}/`)?.host
  if (!host || host.includes('%')) return null
  return { hash: hostHash(host), kind: 'host', value: host, info: raw.info }
}

/** What one clicked link is looked up by. */
export interface LookupKeys {
  url: string
  urlHash: number
  /** The host and each parent domain of two or more labels (an IP only as itself). */
  hosts: string[]
  hostHashes: number[]
}

export function lookupKeys(target: string): LookupKeys | null {
  const url = canonicalize(target)
  if (!url) return null

  const key = hostAndPath(url)
  const hosts = parentDomains(url.host)
  return { url: key, urlHash: urlHash(key), hosts, hostHashes: hosts.map(hostHash) }
}

function parentDomains(host: string): string[] {
  if (isIpHost(host)) return [host]

  const labels = host.split('.')
  const out: string[] = []
  for (let i = 0; i <= labels.length - 2; i++) out.push(labels.slice(i).join('.'))
  return out.length > 0 ? out : [host]
}

/** Whether a stored entry really matches (a hash hit is only a candidate). */
export function entryMatches(entry: FeedEntry, keys: LookupKeys): boolean {
  return entry.kind === 'url' ? entry.value === keys.url : keys.hosts.includes(entry.value)
}
