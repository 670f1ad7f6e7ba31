/**
 * URL handling shared by the rewriter, the resolver and the rules.
 *
 * Targets are stored as authored (after HTML decoding), because that is what
 * the sender wrote and what the recipient expects to reach. Parsing with the
 * WHATWG URL parser happens only to judge and match them, and to serialise a
 * non-ASCII target the way a browser would request it.
 */

import { getDomain } from 'tldts'

import { isAscii } from './bytes.js'
import type { RuleQuery } from './store.js'

export const WEB_SCHEMES = new Set(['http', 'https'])

/**
 * Schemes that run code, carry content inline or open local programs: never
 * rewritten, always reported, and they mark their message. Every `ms-*`
 * Office and Windows handler counts as well (see classify.ts).
 */
export const UNSAFE_SCHEMES = new Set([
  'javascript',
  'vbscript',
  'data',
  'file',
  'search',
  'search-ms',
  'microsoft-edge',
  'jar',
  'smb',
])

/**
 * What a browser does to an href before parsing it (WHATWG URL "basic URL
 * parser", first steps): strip leading and trailing C0 controls and spaces,
 * and remove every ASCII tab and newline.
 */
export function cleanHref(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '').replace(/[\t\n\r]/g, '')
}

/** The scheme of a cleaned href, lower-cased, or null when it has none. */
export function schemeOf(href: string): string | null {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(href)
  return match?.[1] ? match[1].toLowerCase() : null
}

export function tryParseUrl(text: string, base?: string): URL | null {
  try {
    return new URL(text, base)
  } catch {
    // Unparseable is an answer, not an error: callers decide what it means.
    return null
  }
}

/** Parses an absolute http(s) URL; null for anything else. */
export function parseWebUrl(text: string): URL | null {
  const url = tryParseUrl(text)
  return url && WEB_SCHEMES.has(url.protocol.slice(0, -1)) ? url : null
}

/** Lower-case ASCII host without a trailing dot, as rules store it. */
export function normaliseHost(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '')
}

/** `a.b.example.com` → `a.b.example.com`, `b.example.com`, `example.com`, `com`. */
export function hostSuffixes(host: string): string[] {
  if (host.startsWith('[') || /^[\d.]+$/.test(host)) return [host]

  const labels = host.split('.')
  return labels.map((_, index) => labels.slice(index).join('.')).filter((s) => s.length > 0)
}

/** The serialised URL without its fragment, which a browser never sends. */
export function withoutFragment(url: URL): string {
  const copy = new URL(url.href)
  copy.hash = ''
  return copy.href
}

/** Everything rules are matched against, from a stored target. */
export function ruleQueryFor(target: string): RuleQuery {
  const url = tryParseUrl(target)
  if (!url || !url.hostname) return { hostSuffixes: [], host: null, url: target }

  const host = normaliseHost(url.hostname)
  return { hostSuffixes: hostSuffixes(host), host, url: withoutFragment(url) }
}

/**
 * The Location header value for a target. An all-ASCII target goes out
 * exactly as authored; anything else goes out as a browser would request it.
 * Returns null when the target is not an http(s) URL we can serialise.
 */
export function locationFor(target: string): string | null {
  const url = parseWebUrl(target)
  if (!url) return null

  // `https:example.com` without slashes would resolve against our own origin in a
  // browser (WHATWG URL, special-scheme relative state), so only the full form is kept.
  // A backslash is read as `/` by browsers but not by every proxy and logger on
  // the way; the serialised form leaves no room for two readings.
  const safeAsIs =
    isAscii(target) && /^https?:\/\//i.test(target) && !/[\x00-\x20\x7f\\]/.test(target)
  return safeAsIs ? target : url.href
}

/** Host split for display, with the registrable domain singled out. */
export interface HostParts {
  before: string
  domain: string
  after: string
}

export function splitHost(hostname: string): HostParts {
  const domain = getDomain(hostname, { allowPrivateDomains: true }) ?? hostname
  const at = hostname.toLowerCase().lastIndexOf(domain.toLowerCase())
  if (at < 0) return { before: '', domain: hostname, after: '' }
  return {
    before: hostname.slice(0, at),
    domain: hostname.slice(at, at + domain.length),
    after: hostname.slice(at + domain.length),
  }
}
