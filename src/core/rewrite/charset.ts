/**
 * Which charset a text part is in, read the way a mail client reads it, and
 * how its bytes decode. Only the standard TextDecoder is used, so the code
 * runs wherever the WHATWG Encoding Standard is implemented; a runtime whose
 * TextDecoder lacks a legacy encoding treats the part as unsupported.
 */

import { binaryToBytes, bytesToBinary, isAscii } from '../bytes.js'

/**
 * How characters sit in the bytes. `ascii`: every ASCII byte is the ASCII
 * character (UTF-8, windows-125x, ISO-8859-x, KOI8, Shift_JIS, GBK, Big5…),
 * so markup can be found on the bytes. The others must be decoded first.
 */
export type CharsetLayout = 'ascii' | 'utf-16le' | 'utf-16be' | 'iso-2022-jp'

export interface PartCharset {
  /** WHATWG encoding name (`utf-8`, `windows-1252`…), or null when the label is unknown. */
  encoding: string | null
  layout: CharsetLayout
  /** `known`: as labelled; `repaired`: read from a damaged label; `unknown`: UTF-8 or windows-1252 by content. */
  label: 'known' | 'repaired' | 'unknown'
}

// Labels of charsets whose ASCII bytes are not ASCII characters and that the
// Encoding Standard cannot decode (UTF-7, UTF-32, ISO-2022-KR/CN, HZ): such a
// part cannot be read safely, so it passes through flagged.
const UNSUPPORTED = [
  /^utf-?7/,
  /^unicode-1-1-utf-7$/,
  /^csunicode11utf7$/,
  /^utf-?32/,
  /^ucs-?4/,
  /^iso-10646-ucs-4/,
  /^iso-?2022-?(?:kr|cn)/,
  /^csiso2022(?:kr|cn)/,
  /^hz-gb-2312$/,
]

const LAYOUTS: Record<string, CharsetLayout> = {
  'utf-16le': 'utf-16le',
  'utf-16be': 'utf-16be',
  'iso-2022-jp': 'iso-2022-jp',
}

/**
 * Reads a charset parameter. Returns null for a charset that cannot be
 * handled byte-exactly (the part then passes through, flagged). A damaged
 * label (`utf-8 xyz`, `"iso-8859-1`, `_iso-2022-jp$ESC` from Japanese mobile
 * carriers) is repaired when its first word is a known label.
 */
export function resolveCharset(label: string | null): PartCharset | null {
  const given = (label ?? '').trim().toLowerCase()
  if (given === '' || given === 'us-ascii' || given === 'ascii') return known('utf-8', 'known')
  if (UNSUPPORTED.some((pattern) => pattern.test(given))) return null

  const exact = encodingOf(given)
  if (exact) return known(exact, 'known')

  const word = /[a-z0-9][a-z0-9_.:-]*/.exec(given.replace(/\$.*$/, ''))?.[0] ?? ''
  if (UNSUPPORTED.some((pattern) => pattern.test(word))) return null
  const repaired = word === '' ? null : encodingOf(word)
  if (repaired) return known(repaired, 'repaired')

  return { encoding: null, layout: 'ascii', label: 'unknown' }
}

function known(encoding: string, label: PartCharset['label']): PartCharset {
  return { encoding, layout: LAYOUTS[encoding] ?? 'ascii', label }
}

/** The WHATWG name for a label, or null when TextDecoder does not know it here. */
function encodingOf(label: string): string | null {
  try {
    return new TextDecoder(label).encoding
  } catch {
    // RangeError: not a label of the Encoding Standard (or not built into this runtime).
    return null
  }
}

/** Decodes bytes like a browser: invalid sequences become U+FFFD. */
export type ByteDecoder = (binary: string) => string

/**
 * A decoder for link values and text of a part in an ASCII-compatible
 * charset. An unknown label decodes as UTF-8 when the bytes are valid UTF-8,
 * else as windows-1252, the usual fallback of mail clients and browsers.
 */
export function byteDecoder(charset: PartCharset): ByteDecoder {
  const encoding = charset.encoding
  if (encoding === null) return unknownDecoder

  if (encoding === 'windows-1252') return (binary) => decodeWindows1252(binary)

  const decoder = new TextDecoder(encoding, { ignoreBOM: true })
  return (binary) => (isAscii(binary) ? binary : decoder.decode(binaryToBytes(binary)))
}

function unknownDecoder(binary: string): string {
  if (isAscii(binary)) return binary
  return strictDecode('utf-8', binaryToBytes(binary)) ?? decodeWindows1252(binary)
}

/** Decodes with `fatal: true`; null when the bytes are invalid in the encoding. */
export function strictDecode(encoding: string, bytes: Uint8Array): string | null {
  if (encoding === 'windows-1252') return decodeWindows1252(bytesToBinary(bytes))
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    // TypeError: invalid bytes for the encoding; the caller falls back.
    return null
  }
}

/**
 * WHATWG windows-1252, by hand: Node 20's TextDecoder reads it (and its
 * labels latin1, iso-8859-1, us-ascii) as ISO-8859-1, so that 0x80-0x9F
 * come out as C1 controls instead of `€`, `’`, `“`… The Encoding Standard's
 * index for those 32 bytes; every other byte is its own code point.
 */
const WINDOWS_1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178'

export function decodeWindows1252(binary: string): string {
  if (!/[\x80-\x9f]/.test(binary)) return binary
  return binary.replace(/[\x80-\x9f]/g, (char) =>
    WINDOWS_1252_HIGH.charAt(char.charCodeAt(0) - 0x80),
  )
}

/**
 * Picks the byte order of a part labelled just `utf-16`: the byte order mark
 * when there is one (RFC 2781 3.2), else the order in which ASCII characters
 * (markup, spaces, line breaks) show their zero byte.
 */
export function utf16Order(binary: string): 'utf-16le' | 'utf-16be' {
  if (binary.startsWith('\xfe\xff')) return 'utf-16be'
  if (binary.startsWith('\xff\xfe')) return 'utf-16le'

  let even = 0
  let odd = 0
  const end = Math.min(binary.length, 4096)
  for (let i = 0; i + 1 < end; i += 2) {
    if (binary.charCodeAt(i) === 0) even++
    if (binary.charCodeAt(i + 1) === 0) odd++
  }
  // RFC 2781 4.3 defaults to big-endian when nothing tells.
  return odd > even ? 'utf-16le' : 'utf-16be'
}
