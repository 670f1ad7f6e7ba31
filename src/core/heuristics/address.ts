/**
 * An email address hidden in a link. Phishing kits personalise each link
 * with the recipient's address so that the fake sign-in page greets them
 * by it and fills it in; to keep the address out of sight of filters and of
 * the reader, they encode it (base64, hex) or put it after the `#`, which
 * browsers never send to the server, so only the page's own script reads it
 * (Microsoft and Cofense describe the pattern in their write-ups of
 * adversary-in-the-middle kits). Legitimate mail that names the recipient
 * does so in the clear, in the query (`?email=…` on an unsubscribe link),
 * which is left alone.
 */

import type { Heuristic, Observation } from './types.js'

const EMAIL = /[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/i

/**
 * Shortest encoded run we decode. An address has at least six characters
 * (`a@b.co`), eight base64 characters; twelve bytes is the shortest
 * plausible real one (`jo@corp.com`), 16 base64 or 24 hex characters.
 */
const MIN_BASE64 = 16
const MIN_HEX = 24

/** Most pieces of one URL we try to decode: a hostile link must not cost more. */
const MAX_PIECES = 64

/**
 * Most `@` signs looked at, and how far around each: RFC 5321 section
 * 4.5.3.1 caps a local part at 64 octets and a domain at 255. Matching in
 * a window keeps a 32 KiB link from costing a scan per starting position.
 */
const MAX_AT_SIGNS = 16
const LOCAL_PART_MAX = 64
const DOMAIN_MAX = 255

const BASE64_PIECE = /^[A-Za-z0-9+/_-]+={0,2}$/
const HEX_PIECE = /^(?:[0-9a-fA-F]{2})+$/

export const hiddenAddress: Heuristic = ({ url }) => {
  const fragment = percentDecoded(url.hash.slice(1))
  if (containsAddress(fragment)) {
    return [observation('after the #, where only the page’s own script reads it')]
  }

  const encoding = encodedAddress(percentDecoded(url.pathname + url.search + url.hash))
  return encoding === null ? [] : [observation(`written in ${encoding}, so it cannot be read`)]
}

function observation(where: string): Observation {
  return {
    verdict: 'warn',
    reason: 'address_hidden_in_link',
    detail: `the link carries an email address ${where}; phishing pages use it to show your own address on a fake sign-in form`,
  }
}

/** Which encoding hides an address in these pieces of the URL, or null. */
function encodedAddress(text: string): 'base64' | 'hex' | null {
  for (const piece of piecesOf(text)) {
    if (piece.length >= MIN_HEX && HEX_PIECE.test(piece) && isAddressText(fromHex(piece))) {
      return 'hex'
    }
    if (piece.length >= MIN_BASE64 && BASE64_PIECE.test(piece)) {
      const decoded = fromBase64(piece)
      if (decoded !== null && isAddressText(decoded)) return 'base64'
    }
  }
  return null
}

/**
 * Query values, path segments and the fragment, split where URLs separate
 * fields. Base64 may itself contain `/`, so a piece is also tried whole.
 */
function piecesOf(text: string): string[] {
  const fields = text.split(/[?&=#;,|]/).filter((field) => field.length >= MIN_BASE64)
  const pieces = fields.flatMap((field) => [field, ...field.split('/')])
  return pieces.slice(0, MAX_PIECES)
}

/**
 * Printable text containing an address. A JSON record (`{"email":…}`) is
 * how mail platforms pack their tracking data, not a kit hiding an address.
 */
function isAddressText(decoded: string): boolean {
  if (!/^[\x20-\x7e]+$/.test(decoded) || /^\s*[{[]/.test(decoded)) return false
  return containsAddress(decoded)
}

/** Whether `text` holds an email address, looked for around each of its first `@` signs. */
function containsAddress(text: string): boolean {
  let at = text.indexOf('@')
  for (let seen = 0; at >= 0 && seen < MAX_AT_SIGNS; seen++) {
    const window = text.slice(Math.max(0, at - LOCAL_PART_MAX), at + 1 + DOMAIN_MAX)
    if (EMAIL.test(window)) return true
    at = text.indexOf('@', at + 1)
  }
  return false
}

function fromHex(hex: string): string {
  let text = ''
  for (let i = 0; i < hex.length; i += 2)
    text += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16))
  return text
}

/** Standard or URL-safe base64, padding optional; null when it is not base64. */
function fromBase64(piece: string): string | null {
  const standard = piece.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/')
  if (standard.length % 4 === 1) return null
  try {
    return atob(standard.padEnd(Math.ceil(standard.length / 4) * 4, '='))
  } catch {
    // Not base64 after all (a word that happens to use only its alphabet).
    return null
  }
}

function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    // A stray `%` that is not an escape: read the rest as written.
    return text
  }
}
