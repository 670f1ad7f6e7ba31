/**
 * ISO-2022-JP (RFC 1468), the stateful 7-bit charset of Japanese mail. Escape
 * sequences switch between ASCII, JIS-Roman, half-width katakana and JIS X
 * 0208 (two bytes a character). To splice an ASCII link into such a part we
 * need each character's own bytes and the mode in force around the splice;
 * the splice is verified by decoding afterwards, so this only has to be
 * right for well-formed input.
 */

import type { ByteMap } from './offsets.js'

export const enum JisMode {
  Ascii,
  Roman,
  Katakana,
  Jis0208,
}

const ESC = 0x1b

/** Escape sequences of the WHATWG ISO-2022-JP decoder, each three bytes. */
const ESCAPES: Record<string, JisMode> = {
  '(B': JisMode.Ascii,
  '(J': JisMode.Roman,
  '(I': JisMode.Katakana,
  '$@': JisMode.Jis0208,
  $B: JisMode.Jis0208,
}

const SWITCH_TO: Record<JisMode, string> = {
  [JisMode.Ascii]: '\x1b(B',
  [JisMode.Roman]: '\x1b(J',
  [JisMode.Katakana]: '\x1b(I',
  [JisMode.Jis0208]: '\x1b$B',
}

/** Per-character byte ranges and the mode in force before every byte. */
export interface JisLayout {
  map: ByteMap
  /** Mode in force before byte i (i up to the byte length). */
  modeAt(byte: number): JisMode
  /** True when an escape sequence starts at byte i. */
  escapeAt(byte: number): boolean
}

/** Lays out a part that decoded without errors; null on a sequence this reader does not know. */
export function jisLayout(binary: string): JisLayout | null {
  const starts: number[] = []
  const ends: number[] = []
  const modes = new Uint8Array(binary.length + 1)
  let mode = JisMode.Ascii
  let i = 0

  while (i < binary.length) {
    modes[i] = mode
    if (binary.charCodeAt(i) === ESC) {
      const next = ESCAPES[binary.slice(i + 1, i + 3)]
      if (next === undefined) return null
      modes[i + 1] = mode
      modes[i + 2] = mode
      mode = next
      i += 3
      continue
    }

    const width = mode === JisMode.Jis0208 ? 2 : 1
    starts.push(i)
    ends.push(i + width)
    if (width === 2) modes[i + 1] = mode
    i += width
  }
  modes[binary.length] = mode

  const total = binary.length
  const map: ByteMap = {
    start: (index) => starts[index] ?? total,
    end: (index) => (index === 0 ? 0 : (ends[index - 1] ?? total)),
  }
  return {
    map,
    modeAt: (byte) => modes[byte] ?? mode,
    escapeAt: (byte) => binary.charCodeAt(byte) === ESC,
  }
}

/**
 * The bytes that replace [start, end) with ASCII `text`: switch to ASCII
 * first when needed, and back to the mode the following bytes expect unless
 * they begin with an escape of their own. An escape just before `start` is
 * folded into the replaced range, because two escapes in a row are an error
 * for the WHATWG decoder.
 */
export function jisSplice(
  layout: JisLayout,
  start: number,
  end: number,
  text: string,
): { start: number; end: number; bytes: string } {
  let from = start
  while (from >= 3 && layout.escapeAt(from - 3)) from -= 3

  const before = layout.modeAt(from)
  const after = layout.modeAt(end)
  const lead = before === JisMode.Ascii ? '' : SWITCH_TO[JisMode.Ascii]
  const restore = after === JisMode.Ascii || layout.escapeAt(end) ? '' : SWITCH_TO[after]

  return { start: from, end, bytes: lead + text + restore }
}
