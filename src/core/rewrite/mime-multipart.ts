/**
 * Splitting a multipart body into its parts (RFC 2046 5.1.1) without copying:
 * only offsets into the source are returned.
 */

import { lineBreakAt } from './mime-headers.js'

interface Delimiter {
  /** Offset of the line break before `--boundary` (RFC 2046 5.1.1: it belongs to the delimiter). */
  start: number
  /** Offset after the delimiter line's own line break. */
  end: number
  close: boolean
}

/**
 * Finds the parts of a multipart body in [start, end). Preamble and epilogue
 * are simply not part of any part. Stops looking after `budget + 1` parts.
 */
export function splitMultipart(
  source: string,
  start: number,
  end: number,
  boundary: string,
  budget: number,
): { parts: { start: number; end: number }[]; closed: boolean } {
  // Searching a slice bounds each indexOf to this entity, so nested
  // multiparts cost O(size x depth) rather than O(size x parts).
  const body = source.slice(start, end)
  const delimiters = findDelimiters(body, boundary, budget + 2)
  const parts: { start: number; end: number }[] = []

  for (let i = 0; i < delimiters.length && !delimiters[i].close; i++) {
    const partEnd = i + 1 < delimiters.length ? delimiters[i + 1].start : body.length
    parts.push({ start: start + delimiters[i].end, end: start + partEnd })
  }

  const closed = delimiters.some((delimiter) => delimiter.close)
  return { parts, closed }
}

/**
 * RFC 2046 5.1.1: a delimiter is `--boundary` at the start of a line, then
 * `--` for the close delimiter, then optional transport padding (blanks), then
 * the line end. Search stops at the close delimiter: the rest is epilogue.
 */
function findDelimiters(body: string, boundary: string, limit: number): Delimiter[] {
  const marker = '--' + boundary
  const found: Delimiter[] = []
  let from = 0

  while (found.length < limit) {
    const at = body.indexOf(marker, from)
    if (at < 0) break

    const lineStart = at === 0 || body.charCodeAt(at - 1) === 0x0a
    const line = lineStart ? readDelimiterLine(body, at + marker.length) : null
    if (!line) {
      from = at + 1
      continue
    }

    const previousEnd = found.length > 0 ? found[found.length - 1].end : 0
    const breakStart = at >= 2 && body.charCodeAt(at - 2) === 0x0d ? at - 2 : Math.max(0, at - 1)
    found.push({ start: Math.max(previousEnd, breakStart), end: line.end, close: line.close })
    if (line.close) break
    from = line.end
  }

  return found
}

/** The rest of a delimiter line after `--boundary`, or null when the line is something else. */
function readDelimiterLine(body: string, pos: number): { end: number; close: boolean } | null {
  const close = body.startsWith('--', pos)
  let at = close ? pos + 2 : pos
  while (at < body.length && (body[at] === ' ' || body[at] === '\t')) at++

  if (at === body.length) return { end: at, close }
  const length = lineBreakAt(body, at, body.length)
  return length > 0 ? { end: at + length, close } : null
}
