/**
 * Plans the edits for one document (an HTML or plain-text body): which spans
 * are replaced by which target, and which links are skipped and why.
 * Planning is synchronous and pure; links are minted afterwards in one go.
 */

import { decodeHTML, decodeHTMLAttribute } from 'entities'

import { cleanHref, tryParseUrl } from '../url.js'

import { anchorText } from './anchor-text.js'
import {
  type ClassifyOptions,
  type Decision,
  type SkipReason,
  classifyHref,
  classifyTextUrl,
} from './classify.js'
import { scanHtml } from './html.js'
import type { Deadline } from './limits.js'
import { scanText } from './text.js'
import type { HtmlLinkSource, HtmlTextLink } from './types.js'

export interface Edit {
  start: number
  end: number
  target: string
  /** `attribute` values are HTML-escaped when written; text is written as is. */
  kind: 'attribute' | 'text'
  /** For HTML anchors: the text the reader sees for the link (what it shows, not the href). */
  shownText?: string
}

export interface Skip {
  url: string
  reason: SkipReason
}

/** A link that a defang must make unclickable: every rewritable one, and script or over-long ones. */
export interface Hazard {
  start: number
  end: number
  kind: 'attribute' | 'text'
  /** The link text (plain text), used to write a visibly defanged copy. */
  text: string
}

export interface Plan {
  found: number
  edits: Edit[]
  skipped: Skip[]
  hazards: Hazard[]
  /** Targets of `<form action>` and `formaction`: what a form in the message submits to. */
  formTargets: string[]
  /** Where a visible notice goes: after `<body>` in HTML, the start of plain text. */
  noticeAt: number
  /** False when the deadline stopped the scan. */
  complete: boolean
}

/**
 * Turns the characters of a raw attribute value into text. For a MIME part
 * held as a binary string this applies the part's charset; for a string
 * that is already text it is the identity.
 */
export type ValueDecoder = (raw: string) => string

/** Longest URL we copy into a summary, so a hostile message cannot balloon it. */
const MAX_SUMMARY_URL = 2048

/** Skip reasons whose links a defang still neutralises. */
const HAZARDOUS_SKIPS = new Set<SkipReason>(['unsafe_scheme', 'url_too_long'])

const FORM_SOURCES = new Set<HtmlLinkSource>(['form', 'formaction'])

export interface PlanOptions {
  classify: ClassifyOptions
  /** The document's encoding for query strings (see classifyHref). */
  urlEncoding?: string
  deadline?: Deadline
}

export function planHtml(src: string, decodeChars: ValueDecoder, options: PlanOptions): Plan {
  const scan = scanHtml(src, options.deadline)
  const base = documentBase(scan.baseHrefs.map((raw) => decodeAttribute(raw, decodeChars)))
  const found = scan.links.length + scan.textLinks.length
  const plan = emptyPlan(found, scan.bodyTagEnd ?? 0, scan.complete)

  for (const link of scan.links) {
    const value = decodeAttribute(link.raw, decodeChars)
    const decision = classifyHref(value, base, options.classify, options.urlEncoding)
    const span = { start: link.start, end: link.end, kind: 'attribute' as const, text: value }

    const edit = file(plan, span, decision)
    if (edit && link.contentStart !== undefined) {
      edit.shownText = anchorText(src, link.contentStart, decodeChars)
    }
    if (edit && FORM_SOURCES.has(link.source)) plan.formTargets.push(edit.target)
  }

  planHtmlText(scan.textLinks, decodeChars, options, plan)
  plan.edits.sort((a, b) => a.start - b.start)
  plan.hazards.sort((a, b) => a.start - b.start)
  return plan
}

/**
 * URLs written as text in HTML, which mail clients link by themselves. They
 * are judged like plain-text URLs; the written link replaces the URL's text,
 * as in a plain-text part, so what the reader can click is our link.
 */
function planHtmlText(
  links: readonly HtmlTextLink[],
  decodeChars: ValueDecoder,
  options: PlanOptions,
  plan: Plan,
): void {
  for (const link of links) {
    const value = decodeHTML(decodeChars(link.raw))
    const decision = classifyTextUrl(value, link.hasScheme, options.classify)
    file(plan, { start: link.start, end: link.end, kind: 'text', text: value }, decision)
  }
}

/**
 * Files a found link under the plan's edits or its skips, and under its
 * hazards when a defang must neutralise it. Returns the edit, if any.
 */
function file(plan: Plan, span: Hazard, decision: Decision): Edit | null {
  if (!decision.rewrite) {
    plan.skipped.push(skip(span.text, decision.reason))
    if (HAZARDOUS_SKIPS.has(decision.reason)) plan.hazards.push(span)
    return null
  }

  const edit: Edit = { ...span, target: decision.target }
  plan.edits.push(edit)
  plan.hazards.push(span)
  return edit
}

/**
 * The base URL links are resolved against: the first `<base href>` that is
 * an absolute URL, else the first one (which then resolves nothing).
 *
 * A browser uses the first base in tree order (HTML §4.2.3), and tree order
 * can put a later one first: a `<base>` inside a table is moved before it
 * (§13.2.6.1, foster parenting). Trying each in turn means that whenever the
 * browser could resolve a relative link to a web address, so do we, and the
 * link is rewritten and checked; once rewritten, the browser's base no longer
 * decides where the click goes.
 */
function documentBase(bases: readonly string[]): string | null {
  return bases.find((base) => tryParseUrl(cleanHref(base)) !== null) ?? bases[0] ?? null
}

/** Plans a plain-text document that is already text (offsets are string offsets). */
export function planText(src: string, options: PlanOptions): Plan {
  const scan = scanText(src, options.deadline)
  const plan = emptyPlan(scan.links.length, 0, scan.complete)

  for (const link of scan.links) {
    const decision = classifyTextUrl(link.text, link.hasScheme, options.classify)
    file(plan, { start: link.start, end: link.end, kind: 'text', text: link.text }, decision)
  }
  return plan
}

function emptyPlan(found: number, noticeAt: number, complete: boolean): Plan {
  return { found, edits: [], skipped: [], hazards: [], formTargets: [], noticeAt, complete }
}

/** Charset first, then character references: the order a browser decodes in. */
function decodeAttribute(raw: string, decodeChars: ValueDecoder): string {
  return decodeHTMLAttribute(decodeChars(raw))
}

function skip(url: string, reason: SkipReason): Skip {
  return { url: url.length > MAX_SUMMARY_URL ? url.slice(0, MAX_SUMMARY_URL) + '…' : url, reason }
}

/** Writes each edit's link into a string document. Edits must not overlap. */
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

    out += src.slice(cursor, edit.start) + writtenLink(edit, link)
    cursor = edit.end
  }
  return out + src.slice(cursor)
}

/** The text written for an edit: attribute values are escaped, text is written as is. */
export function writtenLink(edit: Pick<Edit, 'kind'>, link: string): string {
  return edit.kind === 'attribute' ? escapeAttribute(link) : link
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
