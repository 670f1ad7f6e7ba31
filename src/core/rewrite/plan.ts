/**
 * Plans the edits for one document (an HTML or plain-text body): which spans
 * are replaced by which target, and which links are skipped and why.
 * Planning is synchronous and pure; links are minted afterwards in one go.
 */

import { decodeHTMLAttribute } from 'entities'

import { type ClassifyOptions, type SkipReason, classifyHref, classifyTextUrl } from './classify.js'
import { scanHtml } from './html.js'
import { scanText } from './text.js'

export interface Edit {
  start: number
  end: number
  target: string
  /** `attribute` values are HTML-escaped when written; text is written as is. */
  kind: 'attribute' | 'text'
}

export interface Skip {
  url: string
  reason: SkipReason
}

export interface Plan {
  found: number
  edits: Edit[]
  skipped: Skip[]
}

/**
 * Turns the characters of a raw attribute value into text. For a MIME part
 * held as a binary string this applies the part's charset; for a string
 * that is already text it is the identity. Returns null when undecodable.
 */
export type ValueDecoder = (raw: string) => string | null

/** Longest URL we copy into a summary, so a hostile message cannot balloon it. */
const MAX_SUMMARY_URL = 2048

export function planHtml(src: string, decodeChars: ValueDecoder, options: ClassifyOptions): Plan {
  const scan = scanHtml(src)
  const base = scan.baseHref === null ? null : decodeAttribute(scan.baseHref, decodeChars)
  const plan: Plan = { found: scan.links.length, edits: [], skipped: [] }

  for (const link of scan.links) {
    const value = decodeAttribute(link.raw, decodeChars)
    if (value === null) {
      plan.skipped.push(skip(link.raw, 'undecodable'))
      continue
    }

    const decision = classifyHref(value, base, options)
    if (decision.rewrite) {
      plan.edits.push({
        start: link.start,
        end: link.end,
        target: decision.target,
        kind: 'attribute',
      })
    } else {
      plan.skipped.push(skip(value, decision.reason))
    }
  }
  return plan
}

/** Plans a plain-text document that is already text (offsets are string offsets). */
export function planText(src: string, options: ClassifyOptions): Plan {
  const links = scanText(src)
  const plan: Plan = { found: links.length, edits: [], skipped: [] }

  for (const link of links) {
    const decision = classifyTextUrl(link.text, link.hasScheme, options)
    if (decision.rewrite) {
      plan.edits.push({ start: link.start, end: link.end, target: decision.target, kind: 'text' })
    } else {
      plan.skipped.push(skip(link.text, decision.reason))
    }
  }
  return plan
}

/** Charset first, then character references: the order a browser decodes in. */
function decodeAttribute(raw: string, decodeChars: ValueDecoder): string | null {
  const chars = decodeChars(raw)
  return chars === null ? null : decodeHTMLAttribute(chars)
}

function skip(url: string, reason: SkipReason): Skip {
  return { url: url.length > MAX_SUMMARY_URL ? url.slice(0, MAX_SUMMARY_URL) + '…' : url, reason }
}

/** Writes each edit's link into the document. Edits must not overlap. */
export function applyEdits(
  src: string,
  edits: readonly Edit[],
  links: ReadonlyMap<string, string>,
): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start)
  let out = ''
  let cursor = 0

  for (const edit of sorted) {
    const link = links.get(edit.target)
    if (link === undefined || edit.start < cursor) continue

    out +=
      src.slice(cursor, edit.start) + (edit.kind === 'attribute' ? escapeAttribute(link) : link)
    cursor = edit.end
  }
  return out + src.slice(cursor)
}

/** Escapes exactly once; our links are ASCII, so the result is also valid in a binary string. */
export function escapeAttribute(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
}
