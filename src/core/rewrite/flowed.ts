/**
 * format=flowed (RFC 3676): a line ending in a space is a soft break, and the
 * reader joins it with the next line. A long URL is often cut there, so the
 * text is scanned as the reader sees it (unflowed), and each edit is mapped
 * back to the physical lines. The edit replaces the whole span of the URL,
 * soft breaks included, with one link that holds no space, so no flowed
 * decoder can split it again.
 */

import type { LeafDocument, Replacement } from './document.js'

/** A run of unflowed text copied from the physical text. */
interface Piece {
  /** Offset in the unflowed text. */
  at: number
  /** Offset in the physical text. */
  from: number
  length: number
}

/** The unflowed view of a text, with the way back. */
export interface Unflowed {
  text: string
  /** Physical offset of unflowed offset `index`, for the start of an edit. */
  start(index: number): number
  /** Physical offset just past unflowed offset `index - 1`, for the end of an edit. */
  end(index: number): number
}

/** Joins flowed lines (RFC 3676 4.1-4.5). `delSp`: the `delsp=yes` parameter (4.2). */
export function unflow(physical: string, delSp: boolean): Unflowed {
  const pieces: Piece[] = []
  let text = ''
  let previous: { flowed: boolean; depth: number } | null = null
  let pos = 0

  while (pos < physical.length) {
    const line = readLine(physical, pos)
    const continues = previous !== null && previous.flowed && previous.depth === line.depth

    // A continuation loses its quote marks and stuffing space; a paragraph's first line is kept whole.
    const from = continues ? line.contentStart : pos
    let to = line.contentEnd
    if (line.flowed && delSp) to--

    pieces.push({ at: text.length, from, length: to - from })
    text += physical.slice(from, to)
    if (!line.flowed) {
      pieces.push({ at: text.length, from: line.contentEnd, length: line.end - line.contentEnd })
      text += physical.slice(line.contentEnd, line.end)
    }

    previous = { flowed: line.flowed, depth: line.depth }
    pos = line.end
  }

  return { text, start: (i) => locate(pieces, i, false), end: (i) => locate(pieces, i, true) }
}

interface FlowedLine {
  depth: number
  /** After quote marks and the stuffing space. */
  contentStart: number
  /** Before the line break. */
  contentEnd: number
  /** After the line break. */
  end: number
  flowed: boolean
}

function readLine(text: string, pos: number): FlowedLine {
  const newline = text.indexOf('\n', pos)
  const end = newline < 0 ? text.length : newline + 1
  let contentEnd = newline < 0 ? text.length : newline
  if (contentEnd > pos && text.charCodeAt(contentEnd - 1) === 0x0d) contentEnd--

  let contentStart = pos
  while (contentStart < contentEnd && text.charCodeAt(contentStart) === 0x3e) contentStart++
  const depth = contentStart - pos
  if (text.charCodeAt(contentStart) === 0x20 && contentStart < contentEnd) contentStart++

  const content = text.slice(contentStart, contentEnd)
  // RFC 3676 4.3: the signature separator "-- " stays a fixed line.
  const flowed = content.endsWith(' ') && content !== '-- ' && newline >= 0
  return { depth, contentStart, contentEnd, end, flowed }
}

function locate(pieces: readonly Piece[], index: number, isEnd: boolean): number {
  const probe = isEnd ? index - 1 : index
  let low = 0
  let high = pieces.length - 1
  while (low < high) {
    const mid = (low + high + 1) >> 1
    if (pieces[mid].at <= probe) low = mid
    else high = mid - 1
  }

  const piece = pieces[low]
  if (piece === undefined) return 0
  const offset = Math.min(Math.max(probe - piece.at, 0), piece.length)
  return piece.from + offset + (isEnd ? 1 : 0)
}

/** Wraps a plain-text document so that it is scanned and edited as unflowed text. */
export function flowedDocument(inner: LeafDocument, delSp: boolean): LeafDocument {
  const view = unflow(inner.text, delSp)
  return {
    ...inner,
    text: view.text,
    write(replacements: readonly Replacement[]) {
      const mapped = replacements.map((edit) => {
        const start = view.start(edit.start)
        const end = edit.end === edit.start ? start : Math.max(start, view.end(edit.end))
        return { start, end, text: edit.text }
      })
      return inner.write(mapped)
    },
  }
}
