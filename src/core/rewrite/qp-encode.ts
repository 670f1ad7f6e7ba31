/**
 * Quoted-printable encoding (RFC 2045 section 6.7): physical lines of at
 * most 76 characters, soft breaks placed after a blank or `>` where one is
 * near, escapes never split, and line starts that relays or MIME parsers
 * misread (`.`, `--`) escaped. qp.ts decodes and re-encodes edited bodies.
 */

import type { LineEnding } from './qp.js'

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

export function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09
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
 * Encodes text that starts a physical line and is continued, after a soft
 * break, by copied segments of the same logical line. Null when the text
 * holds a line break (it would end the logical line early).
 */
export function encodeBeforeSoftBreak(text: string, lineEnding: LineEnding): string | null {
  if (text.includes('\n')) return null
  return encodeMiddle(text, true, lineEnding)
}

/** Encodes the changed middle of a line; `beforeKept`: copied segments follow. */
export function encodeMiddle(middle: string, beforeKept: boolean, lineEnding: LineEnding): string {
  if (!beforeKept) return encodeLogicalLine(middle, lineEnding)
  if (middle === '') return ''
  // The copied segments continue the same logical line, so the middle ends in
  // a soft break and its last byte is not at a line end.
  return layout(new LineTokens(middle, false), lineEnding, true) + '=' + lineEnding
}
