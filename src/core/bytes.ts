/**
 * Byte helpers that run on any runtime with the standard web APIs.
 *
 * A "binary string" holds one UTF-16 code unit per byte (0x00-0xFF). MIME
 * work happens on binary strings so that offsets are byte offsets and bytes
 * we do not touch come back exactly as they were.
 */

/** Bytes backed by a plain ArrayBuffer, which is what Web Crypto accepts. */
export type Bytes = Uint8Array<ArrayBuffer>

// UTF-16LE decoding of bytes widened to 16-bit code units gives one code unit
// per byte, natively: an order of magnitude faster than String.fromCharCode in
// chunks, which matters for multi-megabyte messages. No unit is above 0xFF, so
// there is no surrogate or byte order mark to trip over.
const WIDE = new TextDecoder('utf-16le')

/** Bytes to a binary string, one code unit per byte. */
export function bytesToBinary(bytes: Uint8Array): string {
  const wide = new Uint16Array(bytes.length)
  wide.set(bytes)
  return WIDE.decode(wide)
}

/** A binary string back to bytes. Code units above 0xFF are a programming error. */
export function binaryToBytes(binary: string): Bytes {
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) {
    const code = binary.charCodeAt(i)
    if (code > 0xff) throw new TypeError(`binary string has a code unit above 0xff at ${i}`)
    out[i] = code
  }
  return out
}

/** True when every code unit is below 0x80. */
export function isAscii(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(text)
}

/** RFC 4648 section 5 base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  return btoa(bytesToBinary(bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/**
 * Decodes RFC 4648 base64url; returns null for anything that is not strict,
 * canonical base64url. Canonical matters: the unused low bits of the last
 * character must be zero (RFC 4648 section 3.5), or several spellings would
 * decode to one token and a "tampered" link would still work.
 */
export function fromBase64Url(text: string): Bytes | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null
  const padded =
    text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4)

  let bytes: Bytes
  try {
    bytes = binaryToBytes(atob(padded))
  } catch {
    // atob throws only on malformed input, which the caller treats as "not base64url".
    return null
  }
  return toBase64Url(bytes) === text ? bytes : null
}

export function utf8(text: string): Bytes {
  return new TextEncoder().encode(text)
}
