/**
 * IP-literal hosts. Mail from a real organisation links to names, not
 * addresses; an address hides who runs the server from the reader and from
 * domain-based reputation. Browsers also accept odd spellings of IPv4
 * (WHATWG URL "IPv4 parser": `2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`)
 * and IPv4 tucked into IPv6 (`[::ffff:7f00:1]`), which exist in mail only to
 * get past filters that look for dotted quads.
 */

import ipaddr from 'ipaddr.js'

import type { Heuristic, Observation } from './types.js'

const DOTTED_QUAD = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/

/** The host exactly as written between `//` (or the userinfo `@`) and the port or path. */
export function authoredHost(raw: string): string | null {
  const match = /^[a-z][a-z0-9+.-]*:[\\/]*([^/?#\\]*)/i.exec(raw.trim())
  if (!match?.[1]) return null

  const authority = match[1]
  const host = authority.slice(authority.lastIndexOf('@') + 1)
  // Strip a port, but not the colons inside an IPv6 literal.
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '')
}

export const ipHost: Heuristic = ({ raw, url }) => {
  const host = url.hostname
  const isV6 = host.startsWith('[')
  if (!isV6 && !DOTTED_QUAD.test(host)) return []

  const written = (authoredHost(raw) ?? host).toLowerCase().replace(/\.$/, '')
  const mapped = isV6 ? ipv4Inside(host.slice(1, -1)) : null
  const obfuscated = mapped !== null || (!isV6 && written !== host)

  const observations: Observation[] = [
    obfuscated
      ? {
          verdict: 'block',
          reason: 'ip_host_obfuscated',
          detail: `the address is written as "${written}", a disguised form of the IP address ${mapped ?? host}`,
        }
      : {
          verdict: 'warn',
          reason: 'ip_host',
          detail: `the link goes to the bare IP address ${host}, not to a named site`,
        },
  ]
  return observations
}

/** The IPv4 address carried by an IPv4-mapped or IPv4-compatible IPv6 address, or null. */
function ipv4Inside(v6: string): string | null {
  if (!ipaddr.IPv6.isValid(v6)) return null

  const address = ipaddr.IPv6.parse(v6)
  if (address.isIPv4MappedAddress()) return address.toIPv4Address().toString()

  // IPv4-compatible (::a.b.c.d, deprecated by RFC 4291 section 2.5.5.1) and NAT64 (64:ff9b::/96).
  const parts = address.parts
  const upperZero = parts.slice(0, 6).every((p) => p === 0)
  const nat64 = parts[0] === 0x64 && parts[1] === 0xff9b && parts.slice(2, 6).every((p) => p === 0)
  if ((upperZero && (parts[6] ?? 0) !== 0) || nat64) {
    const high = parts[6] ?? 0
    const low = parts[7] ?? 0
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.')
  }
  return null
}
