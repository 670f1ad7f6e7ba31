/**
 * Maps character offsets in decoded text back to byte offsets in the part,
 * so that an edit found in the text changes only the bytes of the characters
 * it covers. One map per way characters sit in bytes.
 */

/** Character offsets (UTF-16 code units) to byte offsets. */
export interface ByteMap {
  /** Offset of the first byte of character `index`; the byte length at the end. */
  start(index: number): number
  /** Offset just past the bytes of character `index - 1`; 0 at the start. */
  end(index: number): number
}

/** One byte per character (ASCII text, single-byte charsets, undecoded bytes). */
export const IDENTITY_MAP: ByteMap = { start: (i) => i, end: (i) => i }

/** UTF-8: computed once from the decoded text, which is assumed valid. */
export function utf8Map(text: string): ByteMap {
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

  const at = (i: number) => offsets[Math.min(i, text.length)] ?? bytes
  return { start: at, end: at }
}

/** UTF-16LE/BE: two bytes per code unit (a byte order mark decodes to U+FEFF and counts). */
export const UTF16_MAP: ByteMap = { start: (i) => 2 * i, end: (i) => 2 * i }

/**
 * Multi-byte ASCII-compatible charsets (Shift_JIS, EUC-JP, EUC-KR, GBK,
 * gb18030, Big5). A byte below 0x30 is never part of a multi-byte sequence in
 * any of them, so the bytes split there into runs that decode on their own.
 * All-ASCII runs map one to one; the others are decoded byte by byte, and
 * only when an offset inside them is asked for. `binary` must decode without
 * errors.
 */
export function multibyteMap(binary: string, encoding: string): ByteMap {
  const runs = splitRuns(binary, encoding)
  const inner = new Map<number, Uint32Array>()

  const locate = (index: number): number => {
    let low = 0
    let high = runs.length - 1
    while (low < high) {
      const mid = (low + high + 1) >> 1
      if (runs[mid].charStart <= index) low = mid
      else high = mid - 1
    }
    return low
  }

  const start = (index: number): number => {
    if (runs.length === 0) return 0
    const k = locate(index)
    const run = runs[k]
    const offset = index - run.charStart
    if (offset >= run.chars) return run.byteEnd
    if (run.ascii) return run.byteStart + offset

    const table = inner.get(k) ?? charStarts(binary, run, encoding)
    inner.set(k, table)
    return table[offset] ?? run.byteEnd
  }

  return { start, end: start }
}

interface Run {
  byteStart: number
  byteEnd: number
  charStart: number
  chars: number
  ascii: boolean
}

function splitRuns(binary: string, encoding: string): Run[] {
  const runs: Run[] = []
  let chars = 0
  let i = 0

  while (i < binary.length) {
    const from = i
    let ascii = true
    if (binary.charCodeAt(i) < 0x30) {
      i++
    } else {
      while (i < binary.length && binary.charCodeAt(i) >= 0x30) {
        if (binary.charCodeAt(i) >= 0x80) ascii = false
        i++
      }
    }
    const count = ascii ? i - from : decodeRun(binary, from, i, encoding).length
    runs.push({ byteStart: from, byteEnd: i, charStart: chars, chars: count, ascii })
    chars += count
  }
  return runs
}

function decodeRun(binary: string, from: number, to: number, encoding: string): string {
  return new TextDecoder(encoding).decode(runBytes(binary, from, to))
}

function runBytes(binary: string, from: number, to: number): Uint8Array {
  const bytes = new Uint8Array(to - from)
  for (let i = from; i < to; i++) bytes[i - from] = binary.charCodeAt(i)
  return bytes
}

/** Byte offset of each character of a run, found by feeding the decoder one byte at a time. */
function charStarts(binary: string, run: Run, encoding: string): Uint32Array {
  const decoder = new TextDecoder(encoding)
  const bytes = runBytes(binary, run.byteStart, run.byteEnd)
  const table = new Uint32Array(run.chars)
  let pending = run.byteStart
  let char = 0

  for (let i = 0; i < bytes.length; i++) {
    const out = decoder.decode(bytes.subarray(i, i + 1), { stream: true })
    for (let k = 0; k < out.length && char < table.length; k++) table[char++] = pending
    if (out.length > 0) pending = run.byteStart + i + 1
  }
  return table
}
