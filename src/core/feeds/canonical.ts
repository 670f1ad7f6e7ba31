/**
 * URL canonicalisation and host-suffix/path-prefix expressions, as the Safe
 * Browsing v4 documentation specifies them ("URLs and Hashing"). Every
 * reputation lookup goes through this, so a feed entry and a clicked link
 * meet in one spelling whatever their case, escapes, dot segments or port.
 *
 * The algorithm works on bytes (a binary string, one code unit per byte),
 * because the documented examples do: `http://\x01\x80.com/` must become
 * `http://%01%80.com/`. It follows the steps in the documented order:
 * strip tab/CR/LF and the fragment, percent-unescape until nothing changes,
 * canonicalise host and path, then escape bytes <= 0x20, >= 0x7f, '#' and '%'.
 */

import { toASCII } from 'punycode/punycode.es6.js'

import { bytesToBinary, utf8 } from '../bytes.js'

export interface CanonicalUrl {
  /** Lower-case scheme; `http` when the input had none. */
  scheme: string
  /** Canonical host, escaped, without port or user information. */
  host: string
  /** Canonical path, escaped, always starting with `/`. */
  path: string
  /** The query without its `?`, escaped; null when there was no `?` at all. */
  query: string | null
}

/**
 * Longest input we canonicalise. Unescaping is repeated until nothing
 * changes; the cap keeps a hostile link from costing more than a lookup.
 */
export const MAX_CANONICAL_INPUT = 16 * 1024

/** At most five hosts and six paths per URL (Safe Browsing "Suffix/Prefix Expressions"). */
const MAX_HOST_SUFFIXES = 5
const MAX_PATH_PREFIXES = 4

/** Canonicalises a URL written as text; non-ASCII characters count as their UTF-8 bytes. */
export function canonicalize(url: string): CanonicalUrl | null {
  if (url.length > MAX_CANONICAL_INPUT) return null
  // An ASCII string already is its own binary string; only other text needs encoding.
  return canonicalizeBinary(/^[\x00-\x7f]*$/.test(url) ? url : bytesToBinary(utf8(url)))
}

/** Canonicalises a URL given as bytes (a binary string). Null when it has no host. */
export function canonicalizeBinary(input: string): CanonicalUrl | null {
  const stripped = input
    .replace(/^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g, '')
    .replace(/[\t\r\n]/g, '')
    .replace(/#.*$/s, '')
  const text = unescapeFully(stripped)

  const scheme = schemeOf(text)
  let rest = scheme === null ? text : text.slice(scheme.length + 1)
  if (scheme !== null && !rest.startsWith('//')) return null
  if (scheme !== null) rest = rest.slice(2)

  const queryAt = rest.indexOf('?')
  const query = queryAt < 0 ? null : rest.slice(queryAt + 1)
  if (queryAt >= 0) rest = rest.slice(0, queryAt)

  const slash = rest.indexOf('/')
  const hostish = slash < 0 ? rest : rest.slice(0, slash)
  const host = canonicalHost(hostish)
  if (!host) return null

  return {
    scheme: (scheme ?? 'http').toLowerCase(),
    host: escapeBytes(host),
    path: escapeBytes(cleanPath(slash < 0 ? '' : rest.slice(slash))),
    query: query === null ? null : escapeBytes(query),
  }
}

/** `scheme://host/path?query`, the form the documentation's examples are written in. */
export function canonicalString(url: CanonicalUrl): string {
  return `${url.scheme}://${hostAndPath(url)}`
}

/** The canonical URL without its scheme: the key local feeds store and match. */
export function hostAndPath(url: CanonicalUrl): string {
  return url.host + url.path + (url.query === null ? '' : `?${url.query}`)
}

/**
 * The host-suffix/path-prefix expressions to hash and look up, most specific
 * first: up to five hosts (the exact host, then suffixes from the last five
 * labels, never the bare top-level label, none for an IP address) times up
 * to six paths (with query, without, then `/` and up to three directories).
 */
export function expressions(url: CanonicalUrl): string[] {
  const out = new Set<string>()
  for (const host of hostSuffixesOf(url.host)) {
    for (const path of pathPrefixesOf(url)) out.add(host + path)
  }
  return [...out]
}

/** The exact host, then its suffixes of two to five labels (Safe Browsing's rule). */
export function hostSuffixesOf(host: string): string[] {
  if (isIpHost(host)) return [host]

  const labels = host.split('.')
  const first = Math.max(1, labels.length - MAX_HOST_SUFFIXES)
  const suffixes = [host]
  for (let i = first; i <= labels.length - 2; i++) suffixes.push(labels.slice(i).join('.'))
  return suffixes
}

function pathPrefixesOf(url: CanonicalUrl): string[] {
  const paths: string[] = []
  if (url.query !== null) paths.push(`${url.path}?${url.query}`)
  paths.push(url.path)

  const directories = url.path.split('/').slice(1, -1)
  let prefix = '/'
  paths.push(prefix)
  for (const directory of directories.slice(0, MAX_PATH_PREFIXES - 1)) {
    prefix += `${directory}/`
    paths.push(prefix)
  }
  return [...new Set(paths)]
}

/** True for a canonical IPv4 address or a bracketed IPv6 literal. */
export function isIpHost(host: string): boolean {
  return host.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(host)
}

/** Percent-unescapes until nothing changes; `%` not followed by two hex digits stays. */
function unescapeFully(text: string): string {
  let current = text
  for (;;) {
    const next = current.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) =>
      String.fromCharCode(parseInt(hex, 16)),
    )
    if (next === current) return current
    current = next
  }
}

/** Bytes <= 0x20, >= 0x7f, `#` and `%` as upper-case escapes; everything else as is. */
function escapeBytes(text: string): string {
  return text.replace(/[\x00-\x20\x7f-\xff#%]/g, (ch) => {
    return '%' + ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')
  })
}

/** RFC 3986 scheme syntax; a `:` that ends something else (`www.x.com:80`) still counts. */
function schemeOf(text: string): string | null {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(text)
  return match?.[1] ?? null
}

function canonicalHost(hostish: string): string | null {
  let host = hostish.slice(hostish.lastIndexOf('@') + 1)
  if (host.startsWith('[')) return canonicalIpv6(host)

  host = host.replace(/:\d*$/, '')
  host = toAsciiHost(host)
  host = host.replace(/\.{2,}/g, '.').replace(/^\.+|\.+$/g, '')
  if (host === '') return null

  return canonicalIpv4(host) ?? host.toLowerCase()
}

/** An internationalised name goes to its Punycode form; bytes that are not UTF-8 stay. */
function toAsciiHost(host: string): string {
  if (!/[\x80-\xff]/.test(host)) return host

  let unicode: string
  try {
    const bytes = Uint8Array.from(host, (ch) => ch.charCodeAt(0))
    unicode = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    // Not UTF-8: the documented example `\x80.com` keeps its bytes, escaped later.
    return host
  }
  return toASCII(unicode.toLowerCase())
}

/**
 * Every legal IPv4 spelling (decimal, octal, hex, fewer than four parts) to
 * four decimal parts, as inet_aton reads them: the last part fills the
 * remaining bytes. Null when the host is not an IPv4 address.
 */
export function canonicalIpv4(host: string): string | null {
  const first = host.charCodeAt(0)
  if (first < 0x30 || first > 0x39) return null

  const parts = host.split('.')
  if (parts.length > 4 || !/^(?:0x[0-9a-f]+|\d+)(?:\.(?:0x[0-9a-f]+|\d+))*$/i.test(host)) {
    return null
  }

  const values = parts.map(parseIpPart)
  if (values.some((value) => value === null)) return null

  const bytes: number[] = []
  values.forEach((value, index) => {
    const width = index === parts.length - 1 ? 5 - parts.length : 1
    for (let shift = width - 1; shift >= 0; shift--) {
      bytes.push(Math.floor((value ?? 0) / 2 ** (8 * shift)) & 0xff)
    }
  })
  return bytes.join('.')
}

function parseIpPart(part: string): number | null {
  let value: number
  if (/^0x/i.test(part)) value = parseInt(part.slice(2), 16)
  else if (/^0\d/.test(part)) value = /^[0-7]+$/.test(part) ? parseInt(part, 8) : NaN
  else value = parseInt(part, 10)
  return Number.isFinite(value) && value <= 0xffffffff ? value : null
}

/**
 * A bracketed IPv6 literal in its shortest form; IPv4-mapped (`::ffff:a.b.c.d`)
 * and NAT64 (`64:ff9b::a.b.c.d`) addresses become the IPv4 address they carry.
 */
function canonicalIpv6(host: string): string | null {
  const end = host.indexOf(']')
  if (end < 0) return null

  let parsed: string
  try {
    parsed = new URL(`http://${host.slice(0, end + 1)}/`).hostname
  } catch {
    return null
  }

  const embedded = /^\[(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(parsed)
  if (!embedded?.[1] || !embedded[2]) return parsed

  const high = parseInt(embedded[1], 16)
  const low = parseInt(embedded[2], 16)
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.')
}

/**
 * Resolves `.` and `..` segments and collapses runs of slashes, keeping a
 * trailing slash the input had. The query is never touched.
 */
function cleanPath(path: string): string {
  if (path === '') return '/'
  // Most paths have nothing to resolve; skip the split and join for them.
  if (!/\/\/|\/\.\.?(?:\/|$)/.test(path)) return path

  const segments: string[] = []
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') segments.pop()
    else segments.push(segment)
  }

  const cleaned = '/' + segments.join('/')
  return cleaned !== '/' && path.endsWith('/') ? cleaned + '/' : cleaned
}
