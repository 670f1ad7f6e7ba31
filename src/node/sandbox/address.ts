/**
 * Which network addresses the sandbox may connect to: public unicast only.
 *
 * Server-side request forgery turns our fetcher into a way into the network
 * it runs in (cloud metadata at 169.254.169.254 leaked credentials in the 2019
 * Capital One breach). Everything that is not plainly a public host is
 * refused: loopback, private (RFC 1918), link-local, unique-local (RFC 4193),
 * CGNAT (RFC 6598), NAT64 (RFC 6052, RFC 8215), 6to4 (RFC 3056), Teredo
 * (RFC 4380), multicast, unspecified, documentation and reserved ranges, and
 * every IPv4 address embedded in IPv6 (mapped, translated, compatible).
 */

import ipaddr from 'ipaddr.js'

/** IPv6 global unicast is 2000::/3 (RFC 4291 §2.4); anything outside is not a public host. */
const IPV6_GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3')

/**
 * Ranges inside 2000::/3 that ipaddr.js still calls unicast but that reach
 * no ordinary public host, or that tunnel to an IPv4 address we cannot see.
 */
const IPV6_EXTRA_REFUSED = [
  '2001::/23', // IETF protocol assignments (RFC 2928): Teredo, ORCHID, benchmarking, AMT
  '2001:db8::/32', // documentation (RFC 3849)
  '2002::/16', // 6to4 (RFC 3056): embeds an IPv4 address
  '3fff::/20', // documentation (RFC 9637)
].map((cidr) => ipaddr.parseCIDR(cidr))

/** Strips the brackets of an IPv6 URL host: `[::1]` → `::1`. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

/** True when the text is an IPv4 or IPv6 address literal (brackets allowed). */
export function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(unbracket(host))
}

/**
 * True only for a public unicast address. `process` unwraps IPv4-mapped IPv6
 * (`::ffff:127.0.0.1`) to the IPv4 address it carries, so the mapped form is
 * judged as what it reaches. Unparseable text is refused.
 */
export function isPublicUnicast(address: string): boolean {
  const text = unbracket(address)
  if (!ipaddr.isValid(text)) return false

  const ip = ipaddr.process(text)
  if (ip.range() !== 'unicast') return false
  if (ip.kind() === 'ipv4') return true

  return ip.match(IPV6_GLOBAL_UNICAST) && !IPV6_EXTRA_REFUSED.some((range) => ip.match(range))
}

/** True for 127.0.0.0/8 and ::1, the only addresses the test allowance may name. */
export function isLoopback(address: string): boolean {
  const text = unbracket(address)
  return ipaddr.isValid(text) && ipaddr.process(text).range() === 'loopback'
}

/** The address in its canonical text form, so that `127.000.0.1`-style spellings compare equal. */
export function canonicalAddress(address: string): string {
  return ipaddr.process(unbracket(address)).toString()
}
