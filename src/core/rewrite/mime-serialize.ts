/**
 * Writes a parsed message back with some text leaves replaced. Every byte
 * outside the changed leaves' bodies is copied, and changed leaves are
 * re-encoded in their own transfer encoding.
 */

import { BASE64_MAX_LINE, encodeBase64Body } from './base64.js'
import type { LeafSlot, MimeFlag, ParsedMime, SerializedMime } from './mime-types.js'
import { encodeQuotedPrintable, reencodeQuotedPrintable, type LineEnding } from './qp.js'
import {
  type BodyChanges,
  type ChangedSpan,
  type QpLayout,
  qpLayout,
  reencodeSpans,
} from './qp-spans.js'

export type { BodyChanges } from './qp-spans.js'

/**
 * RFC 5322 2.1.1: a line must not exceed 998 octets without its CRLF. Relays
 * cut longer lines, which breaks any link they cut through.
 */
export const MAX_LINE_OCTETS = 998

interface Edit {
  start: number
  end: number
  text: string
}

/**
 * Writes the message back with the given leaves replaced. `replacements` maps
 * a leaf path to its new decoded body (binary string), or to its changes
 * (quoted-printable parts then re-encode only the lines the changes touch).
 * Every byte outside the changed leaves' bodies is copied; with an empty map
 * the output equals the input. A replacement equal to the parsed body, or
 * with no changes, changes nothing. Throws a RangeError for a path that is
 * not a leaf of this message.
 */
export function serializeMime(
  message: ParsedMime,
  replacements: ReadonlyMap<string, string | BodyChanges>,
): SerializedMime {
  const edits: Edit[] = []
  const flags: MimeFlag[] = []

  for (const [path, replacement] of replacements) {
    const slot = message.slots.get(path)
    if (!slot) throw new RangeError(`no text leaf at MIME part "${path}"`)
    if (replacement === slot.decoded) continue
    if (typeof replacement !== 'string' && replacement.spans.length === 0) continue
    edits.push(...editLeaf(message.source, path, slot, replacement, flags))
  }

  edits.sort((a, b) => a.start - b.start)
  return { bytes: applyEdits(message.bytes, edits), flags }
}

/**
 * The input with the edits applied, assembled as bytes: unchanged ranges are
 * copied from the input (a native block copy) and only the edits' text is
 * converted, so a multi-megabyte message costs little more than its changes.
 */
function applyEdits(input: Uint8Array, edits: Edit[]): Uint8Array {
  if (edits.length === 0) return input

  const size = edits.reduce(
    (n, edit) => n + edit.text.length - (edit.end - edit.start),
    input.length,
  )
  const out = new Uint8Array(size)
  let from = 0
  let at = 0
  for (const edit of edits) {
    out.set(input.subarray(from, edit.start), at)
    at += edit.start - from
    writeBinary(edit.text, out.subarray(at, at + edit.text.length))
    at += edit.text.length
    from = edit.end
  }
  out.set(input.subarray(from), at)
  return out
}

const ASCII = new TextEncoder()

/**
 * Writes a binary string into `out`, one byte per code unit. Re-encoded
 * bodies (quoted-printable, base64) and links are ASCII, which UTF-8 writes
 * byte for byte, natively; a text with bytes above 0x7f would come out
 * longer in UTF-8 and short of `out`, and is then written by hand.
 */
function writeBinary(text: string, out: Uint8Array): void {
  // The native call costs more than a short loop: only long texts (whole bodies) take it.
  if (text.length > 2048) {
    const { read, written } = ASCII.encodeInto(text, out)
    if (read === text.length && written === text.length) return
  }
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i)
}

/** The edits that give one leaf its new decoded body, in its own transfer encoding. */
function editLeaf(
  source: string,
  path: string,
  slot: LeafSlot,
  replacement: string | BodyChanges,
  flags: MimeFlag[],
): Edit[] {
  const original = source.slice(slot.bodyStart, slot.bodyEnd)
  const body = (replacement: string): Edit => ({
    start: slot.bodyStart,
    end: slot.bodyEnd,
    text: replacement,
  })

  if (slot.transferEncoding === 'quoted-printable' && typeof replacement !== 'string') {
    const layout = layoutOf(slot, original)
    const pieces = reencodeSpans(original, layout, slot.decoded, replacement, slot.lineEnding)
    return pieces.map((piece) => ({
      ...piece,
      start: piece.start + slot.bodyStart,
      end: piece.end + slot.bodyStart,
    }))
  }

  // 7bit/8bit/binary bodies are their decoded text: when no line grows past
  // the limit, the changes are the edits, and the rest of the body is copied.
  const identity =
    slot.transferEncoding !== 'quoted-printable' && slot.transferEncoding !== 'base64'
  if (identity && typeof replacement !== 'string' && keepsLinesShort(slot, replacement.spans)) {
    return replacement.spans.map((span) => ({
      start: span.start + slot.bodyStart,
      end: span.end + slot.bodyStart,
      text: span.text,
    }))
  }

  const text = typeof replacement === 'string' ? replacement : replacement.body()
  if (slot.transferEncoding === 'quoted-printable') {
    return [body(reencodeQuotedPrintable(original, text, slot.lineEnding))]
  }
  if (slot.transferEncoding === 'base64') {
    return [body(reencodeBase64(original, text, slot.lineEnding))]
  }

  // RFC 5322 2.1.1: a 7bit/8bit line must stay within 998 octets, so a body
  // that grew past it switches to quoted-printable. `binary` has no limit.
  if (slot.transferEncoding === 'binary' || !hasLongLine(text)) return [body(text)]
  flags.push({ part: path, reason: 'reencoded_quoted_printable' })
  return [markQuotedPrintable(slot), body(encodeQuotedPrintable(text, slot.lineEnding))]
}

/** Each QP leaf is split into lines once, however many times it is rendered. */
const layouts = new WeakMap<LeafSlot, QpLayout>()

function layoutOf(slot: LeafSlot, original: string): QpLayout {
  const known = layouts.get(slot)
  if (known) return known
  const layout = qpLayout(original)
  layouts.set(slot, layout)
  return layout
}

/** Rewrites the Content-Transfer-Encoding value in place, or inserts the field after Content-Type. */
function markQuotedPrintable(slot: LeafSlot): Edit {
  const value = slot.transferEncodingValue
  if (value) return { start: value.start, end: value.end, text: ' quoted-printable' }

  const field = 'Content-Transfer-Encoding: quoted-printable' + slot.headerLineEnding
  return { start: slot.headerInsertAt, end: slot.headerInsertAt, text: field }
}

/**
 * True when applying `spans` to an identity-encoded body leaves every line
 * they touch within MAX_LINE_OCTETS (always, for `binary`). False, to take
 * the general path, when a change adds or removes a line break.
 */
function keepsLinesShort(slot: LeafSlot, spans: readonly ChangedSpan[]): boolean {
  const decoded = slot.decoded
  // A line already too long elsewhere in the part still makes the part switch to QP.
  if (slot.transferEncoding !== 'binary' && originalHasLongLine(slot)) return false
  let i = 0
  while (i < spans.length) {
    const first = spans[i]
    if (first === undefined) break
    const lineStart = decoded.lastIndexOf('\n', first.start - 1) + 1
    let lineEnd = decoded.indexOf('\n', first.end)
    if (lineEnd < 0) lineEnd = decoded.length
    let length = lineEnd - lineStart - (decoded.charCodeAt(lineEnd - 1) === 0x0d ? 1 : 0)

    for (let span = spans[i]; span !== undefined && span.start < lineEnd + 1; span = spans[++i]) {
      if (span.text.includes('\n') || decoded.slice(span.start, span.end).includes('\n'))
        return false
      if (span.end > lineEnd) return false
      length += span.text.length - (span.end - span.start)
    }
    if (length > MAX_LINE_OCTETS && slot.transferEncoding !== 'binary') return false
  }
  return true
}

/** Whether a leaf's parsed body has a line over the limit, worked out once per leaf. */
const longLines = new WeakMap<LeafSlot, boolean>()

function originalHasLongLine(slot: LeafSlot): boolean {
  let known = longLines.get(slot)
  if (known === undefined) {
    known = hasLongLine(slot.decoded)
    longLines.set(slot, known)
  }
  return known
}

function hasLongLine(text: string): boolean {
  let start = 0
  for (;;) {
    const newline = text.indexOf('\n', start)
    const end = newline < 0 ? text.length : newline
    const length = end - start - (end > start && text.charCodeAt(end - 1) === 0x0d ? 1 : 0)
    if (length > MAX_LINE_OCTETS) return true
    if (newline < 0) return false
    start = newline + 1
  }
}

/**
 * Base64 is re-encoded as a whole: same line length as the original's first
 * line (when it has several lines), same line ending, and the original's
 * trailing whitespace (the blank line some senders put before the delimiter).
 */
function reencodeBase64(original: string, text: string, lineEnding: LineEnding): string {
  const trimmed = original.slice(0, trimWhitespaceEnd(original))
  const trailing = original.slice(trimmed.length)
  const newline = trimmed.indexOf('\n')
  const firstLine = newline < 0 ? '' : trimmed.slice(0, newline).replace(/\r$/, '')
  const lineLength = firstLine.length > 0 ? firstLine.length : BASE64_MAX_LINE
  return encodeBase64Body(text, lineLength, lineEnding) + trailing
}

/** Length of `text` without trailing whitespace (a loop: a `\s+$` regex can backtrack quadratically). */
function trimWhitespaceEnd(text: string): number {
  let end = text.length
  while (end > 0 && ' \t\r\n\f\v'.includes(text[end - 1])) end--
  return end
}
