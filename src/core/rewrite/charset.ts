/**
 * Charset handling for text parts held as binary strings. Markup and URL
 * syntax are ASCII, so structure is found on the bytes; only link values and
 * plain text are decoded with the part's charset.
 */

import { binaryToBytes, isAscii } from '../bytes.js'

export interface PartDecoder {
  /** Decodes a byte run (binary string) to text; null when the bytes are invalid. */
  decode(binary: string): string | null
  /** False when the charset label is not one the WHATWG Encoding Standard knows. */
  known: boolean
}

export function partDecoder(charset: string | null): PartDecoder {
  const label = charset && charset !== 'us-ascii' ? charset : 'utf-8'
  const decoder = tryDecoder(label)
  const fallback = decoder ?? new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

  return {
    known: decoder !== null,
    decode(binary) {
      if (isAscii(binary)) return binary
      try {
        return fallback.decode(binaryToBytes(binary))
      } catch {
        // Invalid bytes for the charset: the caller reports the link as undecodable.
        return null
      }
    },
  }
}

function tryDecoder(label: string): TextDecoder | null {
  try {
    // ignoreBOM keeps a byte-order mark as a character, so text offsets still map to bytes.
    return new TextDecoder(label, { fatal: label === 'utf-8' || label === 'utf8', ignoreBOM: true })
  } catch {
    // RangeError: a label the Encoding Standard does not define.
    return null
  }
}

/**
 * A binary-string document viewed as text, with a way back from text offsets
 * to byte offsets. Used for plain text, where URLs may hold non-ASCII
 * characters that must be found as characters, not bytes.
 */
export interface TextView {
  text: string
  byteOffset(index: number): number
}

export function textView(binary: string, charset: string | null): TextView {
  const label = charset && charset !== 'us-ascii' ? charset : 'utf-8'
  if (isAscii(binary)) return { text: binary, byteOffset: (i) => i }

  if (label === 'utf-8' || label === 'utf8') return utf8View(binary)
  return singleByteView(binary, label)
}

function utf8View(binary: string): TextView {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(binaryToBytes(binary))
  } catch {
    // Not valid UTF-8: fall back to the bytes, which still finds every ASCII URL.
    return { text: binary, byteOffset: (i) => i }
  }

  const offsets = new Uint32Array(text.length + 1)
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    offsets[i] = bytes
    const code = text.charCodeAt(i)
    if (code < 0x80) bytes += 1
    else if (code < 0x800) bytes += 2
    else if (code >= 0xd800 && code <= 0xdbff) bytes += 4
    else if (code >= 0xdc00 && code <= 0xdfff) bytes += 0
    else bytes += 3
  }
  offsets[text.length] = bytes
  return { text, byteOffset: (i) => offsets[i] ?? bytes }
}

/** Single-byte charsets decode one byte to one code unit, so offsets carry over. */
function singleByteView(binary: string, label: string): TextView {
  try {
    const text = new TextDecoder(label, { ignoreBOM: true }).decode(binaryToBytes(binary))
    if (text.length === binary.length) return { text, byteOffset: (i) => i }
  } catch {
    // Unknown label: handled below like a multi-byte charset.
  }
  return { text: binary, byteOffset: (i) => i }
}
