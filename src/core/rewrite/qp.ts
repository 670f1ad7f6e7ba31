/**
 * Quoted-printable (RFC 2045 section 6.7) on binary strings.
 *
 * Decoding keeps hard line breaks exactly as written (CRLF or bare LF), so the
 * decoded text of a logical line can be compared with an edited copy and, when
 * equal, the original encoded bytes can be written back untouched.
 */

import { encodeMiddle, encodeQuotedPrintable, isBlank } from './qp-encode.js'

/** A line ending a QP body uses for the breaks the encoder adds. */
export type LineEnding = '\r\n' | '\n'

export { QP_MAX_LINE, encodeBeforeSoftBreak, encodeQuotedPrintable } from './qp-encode.js'

/** One physical line of an encoded body and the bytes it decodes to. */
export interface QpSegment {
  /** The physical line as written, its line break (soft or hard) included. */
  encoded: string
  /** What it decodes to; a hard line break is included, a soft one is not. */
  decoded: string
}

/** A logical line: physical lines joined by soft breaks, up to a hard break or the end. */
export interface QpLine {
  segments: QpSegment[]
  encoded: string
  decoded: string
}

/** Decodes a quoted-printable body. Invalid `=` sequences are kept literally. */
export function decodeQuotedPrintable(binary: string): string {
  // Line by line without building logical lines: this runs on every QP body.
  const pieces: string[] = []
  for (let pos = 0; pos < binary.length;) {
    const newline = binary.indexOf('\n', pos)
    const end = newline < 0 ? binary.length : newline + 1
    pieces.push(decodeSegment(binary.slice(pos, end)).segment.decoded)
    pos = end
  }
  return pieces.join('')
}

/**
 * Splits an encoded body into logical lines, each with its physical segments.
 * Concatenating `encoded` gives the input back; concatenating `decoded` gives
 * the decoded body.
 */
export function splitQpLines(binary: string): QpLine[] {
  const lines: QpLine[] = []
  let segments: QpSegment[] = []
  let pos = 0

  while (pos < binary.length) {
    const newline = binary.indexOf('\n', pos)
    const end = newline < 0 ? binary.length : newline + 1
    const segment = decodeSegment(binary.slice(pos, end))
    segments.push(segment.segment)
    pos = end

    if (!segment.soft || pos >= binary.length) {
      lines.push(joinSegments(segments))
      segments = []
    }
  }

  return lines
}

function joinSegments(segments: QpSegment[]): QpLine {
  let encoded = ''
  let decoded = ''
  for (const segment of segments) {
    encoded += segment.encoded
    decoded += segment.decoded
  }
  return { segments, encoded, decoded }
}

/** Decodes one physical line (with its line break, if any). */
function decodeSegment(physical: string): { segment: QpSegment; soft: boolean } {
  const lineBreak = physical.endsWith('\r\n') ? '\r\n' : physical.endsWith('\n') ? '\n' : ''
  const content = physical.slice(0, physical.length - lineBreak.length)
  const end = trimBlanksEnd(content)

  // RFC 2045 6.7 rule 5: `=` at the end of a line is a soft break; blanks after
  // it were added in transport. A final `=` with no line break (the CRLF before
  // a boundary belongs to the delimiter) is a soft break too.
  if (end > 0 && content.charCodeAt(end - 1) === 0x3d) {
    const decoded = unescapeQp(content.slice(0, end - 1))
    return { segment: { encoded: physical, decoded }, soft: true }
  }

  // RFC 2045 6.7 rule 3: trailing blanks on a line were added in transport and
  // must be removed when decoding.
  const decoded = unescapeQp(content.slice(0, end)) + lineBreak
  return { segment: { encoded: physical, decoded }, soft: false }
}

/** Length of `text` without its trailing spaces and tabs (a loop: no regex backtracking). */
function trimBlanksEnd(text: string): number {
  let end = text.length
  while (end > 0 && isBlank(text.charCodeAt(end - 1))) end--
  return end
}

function unescapeQp(text: string): string {
  let at = text.indexOf('=')
  if (at < 0) return text

  // A loop rather than a regex replace: this runs once per line of every QP body.
  let out = ''
  let from = 0
  for (; at >= 0; at = text.indexOf('=', at + 1)) {
    const high = hexValue(text.charCodeAt(at + 1))
    const low = hexValue(text.charCodeAt(at + 2))
    if (high < 0 || low < 0) continue
    out += text.slice(from, at) + String.fromCharCode(high * 16 + low)
    from = at + 3
    at += 2
  }
  return out + text.slice(from)
}

/** The value of a hex digit's character code, or -1. */
function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30
  if (code >= 0x41 && code <= 0x46) return code - 0x37
  if (code >= 0x61 && code <= 0x66) return code - 0x57
  return -1
}

/**
 * Re-encodes an edited body while keeping unchanged regions byte-identical.
 *
 * When the edit kept the line breaks (link rewriting), the edited decoded body
 * is cut into logical lines at the same line breaks as the original. An
 * unchanged logical line keeps its original encoded bytes; a changed one keeps
 * its unchanged leading and trailing physical lines and re-encodes the middle.
 * When lines were added or removed (an inserted banner), the unchanged lines
 * before and after the change keep their bytes and only the rest is encoded.
 */
export function reencodeQuotedPrintable(
  originalEncoded: string,
  newDecoded: string,
  lineEnding: LineEnding,
): string {
  const lines = splitQpLines(originalEncoded)
  const newLines = alignLines(lines, newDecoded)
  if (newLines === null) return reencodeShifted(lines, newDecoded, lineEnding)

  let out = ''
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const text = newLines[i]
    out += text === line.decoded ? line.encoded : reencodeLine(line, text, lineEnding)
  }
  return out
}

/**
 * Keeps the original logical lines that the edited text still starts and ends
 * with, and encodes what lies between. The kept tail must start a line of the
 * edited text, so the encoded middle ends in a hard break (or is empty).
 */
function reencodeShifted(lines: QpLine[], text: string, lineEnding: LineEnding): string {
  let head = 0
  let start = 0
  while (head < lines.length && text.startsWith(lines[head].decoded, start)) {
    // A kept line without a hard break must end the text: its encoding may end in `=`.
    const whole =
      lines[head].decoded.endsWith('\n') || start + lines[head].decoded.length === text.length
    if (!whole) break
    start += lines[head].decoded.length
    head++
  }

  let tail = 0
  let end = text.length
  while (head + tail < lines.length) {
    const decoded = lines[lines.length - 1 - tail].decoded
    if (end - decoded.length < start || !text.endsWith(decoded, end)) break
    end -= decoded.length
    tail++
  }
  while (tail > 0 && end > start && text[end - 1] !== '\n') {
    end += lines[lines.length - tail].decoded.length
    tail--
  }

  const kept = (from: number, to: number) => lines.slice(from, to).map((line) => line.encoded)
  return [
    ...kept(0, head),
    encodeQuotedPrintable(text.slice(start, end), lineEnding),
    ...kept(lines.length - tail, lines.length),
  ].join('')
}

/**
 * Cuts `text` into one piece per original logical line, each piece holding as
 * many LF bytes as the original line decoded to (an `=0A` inside a line
 * counts). Null when the counts or the final line break do not match.
 */
function alignLines(lines: QpLine[], text: string): string[] | null {
  const counts = lines.map((line) => countLf(line.decoded))
  if (counts.reduce((sum, n) => sum + n, 0) !== countLf(text)) return null
  if (lines.length === 0) return text === '' ? [] : null

  const pieces: string[] = []
  let pos = 0
  for (let i = 0; i < lines.length - 1; i++) {
    const end = afterNthLf(text, pos, counts[i])
    pieces.push(text.slice(pos, end))
    pos = end
  }
  pieces.push(text.slice(pos))

  const last = lines.length - 1
  if (lines[last].decoded.endsWith('\n') !== pieces[last].endsWith('\n')) return null
  return pieces
}

function countLf(text: string): number {
  let count = 0
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++
  return count
}

/** Offset just after the n-th LF at or after `from` (the caller checked there are n). */
function afterNthLf(text: string, from: number, n: number): number {
  let pos = from
  for (let k = 0; k < n; k++) pos = text.indexOf('\n', pos) + 1
  return pos
}

/**
 * Re-encodes one changed logical line. Physical lines at its start and end
 * whose decoded text is unchanged are copied; only the middle is encoded.
 */
function reencodeLine(line: QpLine, text: string, lineEnding: LineEnding): string {
  const { segments } = line
  let head = 0
  let start = 0
  // Leading segments end in soft breaks, so the middle starts on a fresh line.
  while (head < segments.length - 1 && text.startsWith(segments[head].decoded, start)) {
    start += segments[head].decoded.length
    head++
  }

  let tail = 0
  let end = text.length
  while (head + tail < segments.length) {
    const decoded = segments[segments.length - 1 - tail].decoded
    if (end - decoded.length < start || !text.endsWith(decoded, end)) break
    end -= decoded.length
    tail++
  }

  const middle = text.slice(start, end)
  const kept = (from: number, to: number) => segments.slice(from, to).map((s) => s.encoded)
  return [
    ...kept(0, head),
    encodeMiddle(middle, tail > 0, lineEnding),
    ...kept(segments.length - tail, segments.length),
  ].join('')
}
