/**
 * Encoders for legacy charsets, as the WHATWG Encoding Standard defines them,
 * for one purpose: percent-encoding the query of a link the way a browser
 * does in a document in that charset (WHATWG URL, "query state").
 *
 * The Web platform has no legacy encoders, and shipping the index tables
 * would add hundreds of kilobytes. Each table is instead derived once, on
 * first use, by running the runtime's own WHATWG decoder over every byte
 * sequence and inverting the result, with the exceptions the Encoding
 * Standard lists for each encoder. A runtime whose TextDecoder lacks the
 * encoding gets null, and the caller falls back to UTF-8.
 */

import { decodeWindows1252 } from './charset.js'

/** Bytes for a string, or null for a character the encoding cannot represent. */
export type CharEncoder = (char: string) => number[] | null

/** Encodes a whole string, stateful encodings included; unencodable characters are `null` entries. */
export type StringEncoder = (text: string) => (number | { unencodable: number })[]

const cache = new Map<string, StringEncoder | null>()

/** The encoder for a WHATWG encoding name, or null when the runtime cannot provide one. */
export function legacyEncoder(encoding: string): StringEncoder | null {
  if (!cache.has(encoding)) cache.set(encoding, buildEncoder(encoding))
  return cache.get(encoding) ?? null
}

function buildEncoder(encoding: string): StringEncoder | null {
  try {
    if (encoding === 'iso-2022-jp') return iso2022jpEncoder(jis0208Table())
    const encodeChar = charEncoder(encoding)
    return encodeChar === null ? null : statelessEncoder(encodeChar)
  } catch {
    // RangeError from TextDecoder: this runtime does not implement the encoding.
    return null
  }
}

function statelessEncoder(encodeChar: CharEncoder): StringEncoder {
  return (text) => {
    const out: (number | { unencodable: number })[] = []
    for (const char of text) {
      const bytes = char.charCodeAt(0) < 0x80 ? [char.charCodeAt(0)] : encodeChar(char)
      if (bytes === null) out.push({ unencodable: char.codePointAt(0) ?? 0 })
      else out.push(...bytes)
    }
    return out
  }
}

function charEncoder(encoding: string): CharEncoder | null {
  switch (encoding) {
    case 'shift_jis':
      return shiftJisEncoder()
    case 'euc-jp':
      return eucJpEncoder()
    case 'euc-kr':
      return tableEncoder(doubleByteTable('euc-kr', range(0x81, 0xfe), range(0x41, 0xfe)))
    case 'big5':
      return big5Encoder()
    case 'gbk':
    case 'gb18030':
      return gbEncoder(encoding)
    default:
      return tableEncoder(singleByteTable(encoding))
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

function tableEncoder(table: Map<string, number[]>): CharEncoder {
  return (char) => table.get(char) ?? null
}

/** Single-byte encodings: invert the decoder over 0x80-0xFF. */
function singleByteTable(encoding: string): Map<string, number[]> {
  const table = new Map<string, number[]>()
  for (let byte = 0x80; byte <= 0xff; byte++) {
    const char =
      encoding === 'windows-1252'
        ? decodeWindows1252(String.fromCharCode(byte))
        : new TextDecoder(encoding).decode(new Uint8Array([byte]))
    if (char !== '\ufffd' && !table.has(char)) table.set(char, [byte])
  }
  return table
}

/**
 * Decodes every lead/trail pair in one call (each pair followed by a line
 * feed, which resynchronises the decoder) and keeps, for each character, the
 * first pair in pointer order, unless `keep` rejects it.
 */
function doubleByteTable(
  encoding: string,
  leads: number[],
  trails: number[],
  keep: (lead: number, trail: number, index: number) => boolean = () => true,
): Map<string, number[]> {
  const pairs: [number, number][] = leads.flatMap((lead) =>
    trails.map((t): [number, number] => [lead, t]),
  )
  const bytes = new Uint8Array(pairs.length * 3)
  pairs.forEach(([lead, trail], i) => bytes.set([lead, trail, 0x0a], i * 3))

  const lines = new TextDecoder(encoding).decode(bytes).split('\n')
  const table = new Map<string, number[]>()
  pairs.forEach(([lead, trail], i) => {
    const char = lines[i]
    if (char === undefined || char.includes('\ufffd') || [...char].length !== 1) return
    if (char.charCodeAt(0) < 0x80 || !keep(lead, trail, i)) return
    if (!table.has(char)) table.set(char, [lead, trail])
  })
  return table
}

/** WHATWG Shift_JIS encoder: the index minus pointers 8272-8835, plus its special cases. */
function shiftJisEncoder(): CharEncoder {
  const trails = [...range(0x40, 0x7e), ...range(0x80, 0xfc)]
  const leads = [...range(0x81, 0x9f), ...range(0xe0, 0xfc)]
  const table = doubleByteTable('shift_jis', leads, trails, (_lead, _trail, index) => {
    // The NEC-selected IBM duplicates and the user-defined area are decode-only.
    return (index < 8272 || index > 8835) && index < 8836 + 1880
  })
  return (char) => {
    const code = char.codePointAt(0) ?? 0
    if (code === 0xa5) return [0x5c]
    if (code === 0x203e) return [0x7e]
    if (code >= 0xff61 && code <= 0xff9f) return [code - 0xff61 + 0xa1]
    return table.get(code === 0x2212 ? '\uff0d' : char) ?? null
  }
}

/** JIS X 0208 as EUC-JP byte pairs (0xA1-0xFE each). */
function jis0208Table(): Map<string, number[]> {
  return doubleByteTable('euc-jp', range(0xa1, 0xfe), range(0xa1, 0xfe))
}

function eucJpEncoder(): CharEncoder {
  const table = jis0208Table()
  return (char) => {
    const code = char.codePointAt(0) ?? 0
    if (code === 0xa5) return [0x5c]
    if (code === 0x203e) return [0x7e]
    if (code >= 0xff61 && code <= 0xff9f) return [0x8e, code - 0xff61 + 0xa1]
    return table.get(code === 0x2212 ? '\uff0d' : char) ?? null
  }
}

/** WHATWG Big5 encoder: no HKSCS pointers (below 5024); six characters take their last pointer. */
const BIG5_LAST = new Set(['\u2550', '\u255e', '\u2561', '\u256a', '\u5341', '\u5345'])

function big5Encoder(): CharEncoder {
  const trails = [...range(0x40, 0x7e), ...range(0xa1, 0xfe)]
  const leads = range(0xa1, 0xfe)
  const first = doubleByteTable('big5', leads, trails)
  const last = new Map<string, number[]>()
  const reversed = doubleByteTable('big5', [...leads].reverse(), [...trails].reverse())
  for (const char of BIG5_LAST) {
    const bytes = reversed.get(char)
    if (bytes) last.set(char, bytes)
  }
  return (char) => last.get(char) ?? first.get(char) ?? null
}

/** WHATWG gb18030 / GBK encoders: two-byte index, then (gb18030 only) four-byte ranges. */
function gbEncoder(encoding: 'gbk' | 'gb18030'): CharEncoder {
  const trails = [...range(0x40, 0x7e), ...range(0x80, 0xfe)]
  const table = doubleByteTable('gb18030', range(0x81, 0xfe), trails)
  const fourByte = encoding === 'gb18030' ? gbFourByteTable() : null

  return (char) => {
    const code = char.codePointAt(0) ?? 0
    if (code === 0xe5e5) return null
    if (encoding === 'gbk' && code === 0x20ac) return [0x80]
    if (code === 0xe7c7 && encoding === 'gb18030') return [0x81, 0x35, 0xf4, 0x37]
    const pair = table.get(char)
    if (pair || fourByte === null) return pair ?? null
    if (code >= 0x10000) return gbPointerBytes(189000 + code - 0x10000)
    const pointer = fourByte.get(code)
    return pointer === undefined ? null : gbPointerBytes(pointer)
  }
}

/** BMP characters outside the two-byte index, by four-byte pointer (0-39419). */
function gbFourByteTable(): Map<number, number> {
  const count = 39420
  const bytes = new Uint8Array(count * 5)
  for (let pointer = 0; pointer < count; pointer++) {
    bytes.set([...gbPointerBytes(pointer), 0x0a], pointer * 5)
  }
  const lines = new TextDecoder('gb18030').decode(bytes).split('\n')
  const table = new Map<number, number>()
  lines.forEach((char, pointer) => {
    if (pointer < count && char.length === 1) table.set(char.charCodeAt(0), pointer)
  })
  return table
}

function gbPointerBytes(pointer: number): number[] {
  const b1 = Math.floor(pointer / (10 * 126 * 10))
  const b2 = Math.floor(pointer / (10 * 126)) % 10
  const b3 = Math.floor(pointer / 10) % 126
  const b4 = pointer % 10
  return [b1 + 0x81, b2 + 0x30, b3 + 0x81, b4 + 0x30]
}

/**
 * WHATWG ISO-2022-JP encoder: ASCII, JIS-Roman for U+00A5 and U+203E,
 * half-width katakana widened, JIS X 0208 otherwise; ends in ASCII mode.
 */
function iso2022jpEncoder(jis0208: Map<string, number[]>): StringEncoder {
  return (text) => {
    const out: (number | { unencodable: number })[] = []
    const state: { mode: 'ascii' | 'roman' | 'jis' } = { mode: 'ascii' }
    const switchTo = (next: typeof state.mode, escape: number[]) => {
      if (state.mode !== next) out.push(...escape)
      state.mode = next
    }

    for (const original of text) {
      const char = widenKatakana(original)
      const code = char.codePointAt(0) ?? 0
      if (code === 0x0e || code === 0x0f || code === 0x1b) {
        // These would change the decoder's state: an error reported as U+FFFD.
        out.push({ unencodable: 0xfffd })
      } else if (code < 0x80) {
        const roman = state.mode === 'roman' && code !== 0x5c && code !== 0x7e
        if (!roman) switchTo('ascii', [0x1b, 0x28, 0x42])
        out.push(code)
      } else if (code === 0xa5 || code === 0x203e) {
        switchTo('roman', [0x1b, 0x28, 0x4a])
        out.push(code === 0xa5 ? 0x5c : 0x7e)
      } else {
        const pair = jis0208.get(code === 0x2212 ? '\uff0d' : char)
        if (pair === undefined) {
          if (state.mode === 'jis') switchTo('ascii', [0x1b, 0x28, 0x42])
          out.push({ unencodable: code })
        } else {
          switchTo('jis', [0x1b, 0x24, 0x42])
          out.push(pair[0] - 0x80, pair[1] - 0x80)
        }
      }
    }
    switchTo('ascii', [0x1b, 0x28, 0x42])
    return out
  }
}

/** index-iso-2022-jp-katakana: half-width katakana to full width (NFKC, plus the two sound marks). */
function widenKatakana(char: string): string {
  const code = char.codePointAt(0) ?? 0
  if (code < 0xff61 || code > 0xff9f) return char
  if (code === 0xff9e) return '\u309b'
  if (code === 0xff9f) return '\u309c'
  return char.normalize('NFKC')
}
