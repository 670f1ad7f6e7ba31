/**
 * Quoted-printable (RFC 2045 section 6.7) on binary strings.
 *
 * Decoding keeps hard line breaks exactly as written (CRLF or bare LF), so the
 * decoded text of a logical line can be compared with an edited copy and, when
 * equal, the original encoded bytes can be written back untouched.
 */

/** A line ending a QP body uses for the breaks the encoder adds. */
export type LineEnding = '\r\n' | '\n'

/**
 * RFC 2045 6.7 rule 5: encoded lines are at most 76 characters, the `=` of a
 * soft break included. Longer lines are cut or rejected by some relays.
 */
export const QP_MAX_LINE = 76

/**
 * How far back (in encoded characters) the encoder looks for a nicer break
 * point (after a space or `>`). Bounded so a long run without one still fills
 * lines to the limit instead of leaving short lines.
 */
const BREAK_LOOKBACK = 20

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

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09
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
 * Encodes a binary string as quoted-printable. Line breaks matching
 * `lineEnding` (and bare LF when it is CRLF) become hard breaks; every other
 * CR or LF byte is escaped so that decoding gives the input back exactly.
 */
export function encodeQuotedPrintable(binary: string, lineEnding: LineEnding): string {
  let out = ''
  let pos = 0

  while (pos < binary.length) {
    const newline = binary.indexOf('\n', pos)
    const end = newline < 0 ? binary.length : newline + 1
    out += encodeLogicalLine(binary.slice(pos, end), lineEnding)
    pos = end
  }

  return out
}

/** Encodes one decoded line, which ends with LF or is the last line. */
function encodeLogicalLine(line: string, lineEnding: LineEnding): string {
  const hardBreak = pickHardBreak(line, lineEnding)
  const content = line.slice(0, line.length - hardBreak.length)
  return layout(new LineTokens(content, true), lineEnding, false) + hardBreak
}

/**
 * The hard break written for a decoded line. In an LF body a CR before the LF
 * is content (`=0D`); in a CRLF body a bare LF stays a bare LF hard break,
 * which the decoder gives back as it was.
 */
function pickHardBreak(line: string, lineEnding: LineEnding): string {
  if (!line.endsWith('\n')) return ''
  if (lineEnding === '\r\n' && line.endsWith('\r\n')) return '\r\n'
  return '\n'
}

/**
 * Each byte's token away from a line end: printable ASCII and blanks stay,
 * the rest is `=XX`. A byte is one token, so that an escape is never split.
 */
const BYTE_TOKENS = Array.from({ length: 256 }, (_, code) =>
  isBlank(code) || (code >= 33 && code <= 126 && code !== 0x3d)
    ? String.fromCharCode(code)
    : escapeByte(code),
)

function escapeByte(code: number): string {
  return '=' + code.toString(16).toUpperCase().padStart(2, '0')
}

/**
 * The tokens of one decoded line (or part of one). `atLineEnd`: the text
 * ends a line, so a final blank must be escaped (RFC 2045 6.7 rule 3);
 * before a soft break it may stay literal.
 */
class LineTokens {
  constructor(
    readonly text: string,
    private readonly atLineEnd: boolean,
  ) {}

  get length(): number {
    return this.text.length
  }

  at(i: number): string {
    const code = this.text.charCodeAt(i)
    if (this.atLineEnd && i === this.text.length - 1 && isBlank(code)) return escapeByte(code)
    return BYTE_TOKENS[code & 0xff] ?? ''
  }

  /**
   * The token for the first character of a physical line. Case 3a: a leading `.`
   * gets dot-stuffing wrong on some relays (RFC 5321 4.5.2), so it becomes
   * `=2E`. A leading `--` could read as a boundary delimiter once wrapping puts
   * it first on a line (RFC 2046 5.1.1), so its first dash becomes `=2D`.
   */
  atLineStart(i: number): string {
    const code = this.text.charCodeAt(i)
    if (code === DOT) return '=2E'
    if (code === DASH && this.text.charCodeAt(i + 1) === DASH) return '=2D'
    return this.at(i)
  }
}

const DOT = 0x2e
const DASH = 0x2d

/**
 * Places tokens on physical lines of at most QP_MAX_LINE characters, adding
 * soft breaks. `endsSoft`: the output is followed by a soft break too, so the
 * last line also needs room for the `=`.
 */
function layout(tokens: LineTokens, lineEnding: LineEnding, endsSoft: boolean): string {
  let out = ''
  const line = new LineRun(tokens)
  let i = 0

  while (i < tokens.length) {
    const token = line.count === 0 ? tokens.atLineStart(i) : tokens.at(i)
    const isLast = i === tokens.length - 1 && !endsSoft
    const limit = isLast ? QP_MAX_LINE : QP_MAX_LINE - 1

    if (line.chars + token.length <= limit) {
      line.push(i, token)
      i++
      continue
    }

    const keep = line.breakPoint()
    out += line.text(keep) + '=' + lineEnding
    // Tokens after the break point go round again, so a carried `.` or `--` is escaped.
    i -= line.count - keep
    line.reset()
  }

  return out + line.text(line.count)
}

/**
 * One physical line being laid out: `count` tokens from `start`, and the
 * latest place it could break, just after a blank or `>` (the one a search
 * back from the end would find first).
 */
class LineRun {
  count = 0
  chars = 0
  private start = 0
  private first = ''
  /** True while every token after the first is its own character: the text is then a slice. */
  private literal = true
  private candidate = 0

  constructor(private readonly tokens: LineTokens) {}

  push(index: number, token: string): void {
    if (this.count === 0) {
      this.start = index
      this.first = token
    } else if (token.length !== 1) {
      this.literal = false
    }
    this.count++
    this.chars += token.length
    if (token === ' ' || token === '\t' || token === '>') this.candidate = this.count
  }

  /** How many tokens of a full line to keep: the latest candidate not too far back. */
  breakPoint(): number {
    const floor = Math.max(1, this.count - BREAK_LOOKBACK)
    return this.candidate > floor ? this.candidate : this.count
  }

  /** The line's first `keep` tokens as text. */
  text(keep: number): string {
    if (keep === 0) return ''
    const { start, tokens } = this
    if (this.literal) return this.first + tokens.text.slice(start + 1, start + keep)

    let out = this.first
    for (let i = start + 1; i < start + keep; i++) out += tokens.at(i)
    return out
  }

  reset(): void {
    this.count = 0
    this.chars = 0
    this.literal = true
    this.candidate = 0
  }
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

/**
 * Encodes text that starts a physical line and is continued, after a soft
 * break, by copied segments of the same logical line. Null when the text
 * holds a line break (it would end the logical line early).
 */
export function encodeBeforeSoftBreak(text: string, lineEnding: LineEnding): string | null {
  if (text.includes('\n')) return null
  return encodeMiddle(text, true, lineEnding)
}

/** Encodes the changed middle of a line; `beforeKept`: copied segments follow. */
function encodeMiddle(middle: string, beforeKept: boolean, lineEnding: LineEnding): string {
  if (!beforeKept) return encodeLogicalLine(middle, lineEnding)
  if (middle === '') return ''
  // The copied segments continue the same logical line, so the middle ends in
  // a soft break and its last byte is not at a line end.
  return layout(new LineTokens(middle, false), lineEnding, true) + '=' + lineEnding
}
