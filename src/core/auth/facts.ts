/**
 * Validation of the connection facts a caller hands in (CLI flags or the
 * rewrite API's Clickgate-Client-Ip, Clickgate-Helo and Clickgate-Mail-From
 * headers). They end up in DNS queries and in the header we add, so
 * anything that is not an address, a host name or a mailbox is refused.
 */

import { ClickgateError } from '../errors.js'
import type { ConnectionFacts } from './types.js'

/** RFC 5321 4.5.3.1.3: a reverse-path is at most 256 octets. */
export const MAX_MAIL_FROM_LENGTH = 256

/** RFC 1035 2.3.4: a host name is at most 255 octets. */
export const MAX_HELO_LENGTH = 255

/** What the caller wrote, per field; names are used in error messages. */
export interface RawFacts {
  clientIp?: string | null
  helo?: string | null
  mailFrom?: string | null
}

export interface FactNames {
  clientIp: string
  helo: string
  mailFrom: string
}

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const HOST =
  /^(?=.{1,255}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/

/**
 * The facts, or null when none were given. A HELO or MAIL FROM without the
 * client address is refused: SPF cannot be evaluated without it.
 */
export function parseConnectionFacts(raw: RawFacts, names: FactNames): ConnectionFacts | null {
  const clientIp = raw.clientIp?.trim() || null
  const helo = raw.helo?.trim() || null
  const mailFrom = raw.mailFrom === undefined || raw.mailFrom === null ? null : raw.mailFrom.trim()

  if (clientIp === null) {
    if (helo !== null || mailFrom !== null) {
      throw new ClickgateError(
        'bad_request',
        `${names.helo} and ${names.mailFrom} need ${names.clientIp}`,
      )
    }
    return null
  }

  return {
    clientIp: checkIp(clientIp, names.clientIp),
    helo: helo === null ? null : checkHelo(helo, names.helo),
    mailFrom: mailFrom === null ? null : checkMailFrom(mailFrom, names.mailFrom),
  }
}

function checkIp(value: string, name: string): string {
  const bare = value.replace(/^\[(?:IPv6:)?(.*)\]$/i, '$1')
  if (IPV4.test(bare) || isIpv6(bare)) return bare.toLowerCase()
  throw new ClickgateError('bad_request', `${name} "${printable(value)}" is not an IP address`)
}

function isIpv6(value: string): boolean {
  if (!value.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(value)) return false
  try {
    return new URL(`http://[${value}]/`).hostname.length > 2
  } catch {
    // The URL parser rejects it, so it is not an IPv6 address.
    return false
  }
}

/** RFC 5321 4.1.1.1: a domain or an address literal. */
function checkHelo(value: string, name: string): string {
  if (
    value.length <= MAX_HELO_LENGTH &&
    (HOST.test(value) || /^\[[0-9A-Fa-f:.Iv]+\]$/.test(value))
  ) {
    return value
  }
  throw new ClickgateError('bad_request', `${name} "${printable(value)}" is not a host name`)
}

/** `<>` and '' are the null reverse-path; otherwise `local@domain`, brackets optional. */
function checkMailFrom(value: string, name: string): string {
  const bare = value.replace(/^<(.*)>$/, '$1').trim()
  if (bare === '') return ''

  const at = bare.lastIndexOf('@')
  const valid =
    bare.length <= MAX_MAIL_FROM_LENGTH &&
    at > 0 &&
    HOST.test(bare.slice(at + 1)) &&
    /^[\x21-\x7e]+$/.test(bare.slice(0, at))
  if (valid) return bare
  throw new ClickgateError('bad_request', `${name} "${printable(value)}" is not a mailbox`)
}

/** For error messages: no control characters, no unbounded length. */
function printable(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 80)
}
