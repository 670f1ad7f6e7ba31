/**
 * Base64 bodies (RFC 2045 section 6.8) on binary strings, with the standard
 * web `atob`/`btoa` so the code runs on Workers as well as Node.
 */

import type { LineEnding } from './qp.js'

/** RFC 2045 6.8: encoded lines are at most 76 characters. */
export const BASE64_MAX_LINE = 76

// RFC 2045 6.8: characters outside the alphabet (line breaks, blanks) are
// ignored by decoders. We drop only whitespace and treat anything else as
// damage, because a body we cannot decode exactly must not be rewritten.
const WHITESPACE = /[ \t\r\n\f\v]+/g

const STRICT_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * Decodes a base64 body, ignoring whitespace and line breaks. Returns null for
 * anything else that is not base64: characters outside the alphabet, padding
 * in the middle, or a length that cannot come from whole bytes.
 */
export function decodeBase64Body(binary: string): string | null {
  const compact = binary.replace(WHITESPACE, '')
  if (!STRICT_BASE64.test(compact)) return null
  if (compact.includes('=') && compact.length % 4 !== 0) return null
  if (compact.length % 4 === 1) return null

  try {
    return atob(compact)
  } catch {
    // atob throws only on input it cannot decode; the caller treats that as damage.
    return null
  }
}

/**
 * Encodes a binary string as base64 lines of `lineLength` characters (clamped
 * to 1-76, RFC 2045 6.8) joined by `lineEnding`, without a final line break.
 */
export function encodeBase64Body(
  binary: string,
  lineLength: number,
  lineEnding: LineEnding,
): string {
  const encoded = btoa(binary)
  const width = Number.isFinite(lineLength)
    ? Math.min(BASE64_MAX_LINE, Math.max(1, Math.floor(lineLength)))
    : BASE64_MAX_LINE
  const lines: string[] = []
  for (let i = 0; i < encoded.length; i += width) lines.push(encoded.slice(i, i + width))
  return lines.join(lineEnding)
}
