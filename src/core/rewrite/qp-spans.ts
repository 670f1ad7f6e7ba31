/**
 * Re-encoding a quoted-printable body when the changed ranges are known, as
 * they are when one message is rendered for many recipients. The body is
 * split into physical lines once; lines no change touches are copied as runs
 * of the original bytes, and only the touched lines are encoded again. The
 * cost per recipient follows the changes, not the body's size, even for a
 * body that is one multi-megabyte logical line joined by soft breaks.
 */

import {
  type LineEnding,
  encodeBeforeSoftBreak,
  encodeQuotedPrintable,
  reencodeQuotedPrintable,
  splitQpLines,
} from './qp.js'

/** A changed range of the decoded body, old coordinates, with its new bytes. */
export interface ChangedSpan {
  start: number
  end: number
  text: string
}

/** A body's changes, and the whole new body for when only that will do. */
export interface BodyChanges {
  spans: readonly ChangedSpan[]
  body(): string
}

/** An encoded body's physical lines: where each starts, decoded and encoded, and how it ends. */
export interface QpLayout {
  /** Decoded offset of each physical line, plus the decoded length at the end. */
  decodedStarts: number[]
  /** Encoded offset of each physical line, plus the encoded length at the end. */
  encodedStarts: number[]
  /** True when the line ends in a soft break and the logical line goes on after it. */
  continues: boolean[]
}

export function qpLayout(encoded: string): QpLayout {
  const layout: QpLayout = { decodedStarts: [], encodedStarts: [], continues: [] }
  let decoded = 0
  let at = 0

  for (const line of splitQpLines(encoded)) {
    line.segments.forEach((segment, i) => {
      layout.decodedStarts.push(decoded)
      layout.encodedStarts.push(at)
      layout.continues.push(i < line.segments.length - 1)
      decoded += segment.decoded.length
      at += segment.encoded.length
    })
  }
  layout.decodedStarts.push(decoded)
  layout.encodedStarts.push(at)
  return layout
}

/** A replacement of `encoded[start, end)`. */
export interface EncodedEdit {
  start: number
  end: number
  text: string
}

/**
 * Re-encodes the old decoded body with `changes` applied against the
 * original `encoded`, as edits of the encoded body: everything outside them
 * stays as it was.
 */
export function reencodeSpans(
  encoded: string,
  layout: QpLayout,
  decoded: string,
  changes: BodyChanges,
  lineEnding: LineEnding,
): EncodedEdit[] {
  const { decodedStarts, encodedStarts, continues } = layout
  const spans = changes.spans
  const lines = continues.length
  const whole = () => [
    {
      start: 0,
      end: encoded.length,
      text: reencodeQuotedPrintable(encoded, changes.body(), lineEnding),
    },
  ]
  const out: EncodedEdit[] = []

  for (let s = 0; s < spans.length;) {
    const first = spans[s]
    if (first === undefined || lines === 0) break
    const a = lineAt(decodedStarts, lines, first.start)
    let b = lineAt(decodedStarts, lines, Math.max(first.start, first.end - 1))
    const group = [first]
    s++

    // Take every further change that starts before the group's last line ends.
    for (let span = spans[s]; span !== undefined && span.start < (decodedStarts[b + 1] ?? 0);) {
      b = Math.max(b, lineAt(decodedStarts, lines, Math.max(span.start, span.end - 1)))
      group.push(span)
      span = spans[++s]
    }

    const middle = applyGroup(decoded, decodedStarts[a] ?? 0, decodedStarts[b + 1] ?? 0, group)
    // A change that removed the hard break ending its line would glue the next
    // copied line onto the new one: encode the whole body the plain way.
    const lostBreak = !continues[b] && b + 1 < lines && !middle.endsWith('\n')
    if (lostBreak) return whole()
    const piece = continues[b]
      ? encodeBeforeSoftBreak(middle, lineEnding)
      : encodeQuotedPrintable(middle, lineEnding)
    if (piece === null) return whole()

    out.push({
      start: encodedStarts[a] ?? 0,
      end: encodedStarts[b + 1] ?? encoded.length,
      text: piece,
    })
  }
  return out
}

/** `decoded[from, to)` with the group's changes applied. */
function applyGroup(
  decoded: string,
  from: number,
  to: number,
  group: readonly ChangedSpan[],
): string {
  let out = ''
  let cursor = from
  for (const span of group) {
    out += decoded.slice(cursor, span.start) + span.text
    cursor = span.end
  }
  return out + decoded.slice(cursor, to)
}

/** The physical line holding decoded offset `at` (the last line for the end of the body). */
function lineAt(starts: readonly number[], lines: number, at: number): number {
  let low = 0
  let high = lines - 1
  while (low < high) {
    const mid = (low + high + 1) >> 1
    if ((starts[mid] ?? 0) <= at) low = mid
    else high = mid - 1
  }
  return low
}
