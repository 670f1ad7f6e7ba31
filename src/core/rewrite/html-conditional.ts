/**
 * Outlook conditional comments (`<!--[if mso]> … <![endif]-->`): HTML
 * parsers read them as comments, Outlook renders their bodies as markup, so
 * the scan reads those bodies too. These helpers find where a body starts
 * and ends, including where Outlook's block runs past the HTML comment.
 */

import { ForwardSearch } from './forward-search.js'

/** Matches `[if mso]>`, `[if !mso]>`, `[ if gte mso 9 ]>`… at the start of a comment. */
const CONDITION_START = /^\s*\[\s*if\s[^\]]*\]\s*>/i
/** Matches `<![endif]` (whitespace tolerant) at the end of a comment. */
const CONDITION_END = /<!\s*\[\s*endif\s*\]\s*$/i
/** Longest prefix/suffix we test, so the patterns never run over a whole large comment. */
const CONDITION_WINDOW = 256

/**
 * The markup inside an Outlook conditional comment (`<!--[if mso]> … <![endif]-->`),
 * given the comment's content span; null for an ordinary comment. The
 * downlevel-revealed forms (`<!--[if !mso]><!-- -->`) are ordinary comments
 * whose links sit outside them.
 */
export function conditionalBody(
  src: string,
  start: number,
  end: number,
  endifs: EndifFinder,
): { start: number; end: number; resumeAt: number | null } | null {
  const head = CONDITION_START.exec(src.slice(start, Math.min(end, start + CONDITION_WINDOW)))
  if (head === null) return null

  const tailStart = Math.max(start + head[0].length, end - CONDITION_WINDOW)
  const tail = CONDITION_END.exec(src.slice(tailStart, end))
  if (tail !== null)
    return { start: start + head[0].length, end: tailStart + tail.index, resumeAt: null }

  // `<!--[if !mso]><!-- -->` opens a downlevel-revealed block: its links are
  // ordinary markup after the comment, not part of a hidden block.
  // Trimmed first: two `\s*` around an optional `-` backtrack quadratically on a long blank run.
  const rest = src.slice(start + head[0].length, end).trim()
  if (/^<!(?:--)?(?:\s*-)?$/.test(rest)) return null

  return extendedConditionalBody(start + head[0].length, end, endifs)
}

/** Where the `[if …]>` at the start of a comment's content ends, or null when there is none. */
export function conditionHeadEnd(src: string, start: number, end: number): number | null {
  const head = CONDITION_START.exec(src.slice(start, Math.min(end, start + CONDITION_WINDOW)))
  return head === null ? null : start + head[0].length
}

/** Outlook's end of a conditional block, as a whole token. */
const ENDIF_CLOSE = /<!\s*\[\s*endif\s*\]\s*-->/gi

/**
 * Outlook ends a conditional block at `<![endif]-->`, not at the first `-->`
 * as HTML does, so a plain comment inside the block (`<!-- button -->`) ends
 * the HTML comment early while Outlook still renders the rest as part of the
 * block. The block then runs to the next `<![endif]-->`; the caller resumes
 * scanning after it, so nothing is read twice.
 */
function extendedConditionalBody(bodyStart: number, commentEnd: number, endifs: EndifFinder) {
  const close = endifs.next(commentEnd)
  if (close === null) return null
  return { start: bodyStart, end: close.start, resumeAt: close.end }
}

/**
 * Finds the next `<![endif]-->` at or after an offset. Every conditional
 * comment without its own `<![endif]` asks, so the answers come from one
 * forward search: `<!--[if mso]>x-->` repeated would otherwise be quadratic.
 */
export class EndifFinder extends ForwardSearch<{ start: number; end: number }> {
  constructor(src: string) {
    super((from) => {
      ENDIF_CLOSE.lastIndex = from
      const close = ENDIF_CLOSE.exec(src)
      return close === null ? null : { start: close.index, end: close.index + close[0].length }
    })
  }
}
