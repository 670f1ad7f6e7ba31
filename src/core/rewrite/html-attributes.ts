/**
 * The start-tag bookkeeping of the HTML scanner: which attribute carries an
 * element's link, how a value was quoted, and which kind of link it is.
 */

import { QuoteType } from 'htmlparser2'

import { FONT_BREAKOUT_ATTRIBUTES } from './html-foreign.js'
import type { Deadline } from './limits.js'
import type { HtmlLink, HtmlLinkSource } from './types.js'

/** The document itself, or the body of an `<!--[if …]> … <![endif]-->` comment. */
export type RegionKind = 'document' | 'conditional'

/** The document, and the same-length copy the tokenizer reads (see maskCdata in html.ts). */
export interface SourceText {
  src: string
  markup: string
}

/** Where a scan puts its results; shared by the document and its conditional comments. */
export interface ScanSink {
  links: HtmlLink[]
  baseHref: string | null
  bodyTagEnd: number | null
  deadline: Deadline | undefined
  /** Start tags seen so far, for pacing the deadline checks. */
  tags: number
}

/** An attribute whose name we care about, while its value is being read. */
export interface PendingAttribute {
  name: string
  start: number
  end: number
}

/** An attribute value as written in the source. */
export interface AttributeValue {
  start: number
  end: number
  quote: HtmlLink['quote']
}

/** A start tag between its name and its closing `>`. */
export interface OpenTag {
  name: string
  /** True when the tokenizer was told this tag sits in SVG/MathML content. */
  foreign: boolean
  /** The attribute that holds this element's link (`href`, `action`…), or null. */
  linkAttribute: string | null
  /** True once the link attribute was seen: later duplicates are dropped (§13.2.5.33). */
  hrefSeen: boolean
  href: AttributeValue | null
  encoding: string | null
  hasFontAttribute: boolean
}

/**
 * The attribute that carries each element's link. VML shapes (`v:*`) use
 * `href` too; `<base href>` is read for the document base URL.
 */
export const LINK_ATTRIBUTES = new Map([
  ['a', 'href'],
  ['area', 'href'],
  ['base', 'href'],
  ['form', 'action'],
  ['button', 'formaction'],
  ['input', 'formaction'],
])

/** Notes the attributes of a start tag that the scan needs. */
export function recordAttribute(
  tag: OpenTag,
  attribute: PendingAttribute,
  quote: QuoteType,
  src: string,
): void {
  const value = attributeValue(attribute, quote)

  if (attribute.name === tag.linkAttribute) {
    // Duplicate attributes are dropped by the tokenizer (§13.2.5.33): the first wins,
    // even when it has no value.
    if (tag.hrefSeen) return
    tag.hrefSeen = true
    tag.href = value
  } else if (attribute.name === 'encoding' && tag.encoding === null) {
    tag.encoding = value === null ? '' : src.slice(value.start, value.end)
  } else if (FONT_BREAKOUT_ATTRIBUTES.has(attribute.name)) {
    tag.hasFontAttribute = true
  }
}

function attributeValue(attribute: PendingAttribute, quote: QuoteType): AttributeValue | null {
  if (quote === QuoteType.NoValue || attribute.start < 0) return null

  return { start: attribute.start, end: attribute.end, quote: quoteName(quote) }
}

function quoteName(quote: QuoteType): HtmlLink['quote'] {
  if (quote === QuoteType.Double) return 'double'
  if (quote === QuoteType.Single) return 'single'
  return 'none'
}

/** Which kind of link an element's `href` is, or null when it is not one we report. */
export function linkSource(name: string, kind: RegionKind): HtmlLinkSource | null {
  const conditional = kind === 'conditional'

  if (name === 'a') return conditional ? 'mso-a' : 'a'
  if (name === 'area') return conditional ? 'mso-area' : 'area'
  // A form in a mail sends what the reader types to its action: a credential
  // harvester's favourite, so its target is checked like a link.
  if (name === 'form') return 'form'
  if (name === 'button' || name === 'input') return 'formaction'
  // VML shapes (v:roundrect, v:rect, v:oval, v:shape…) are Outlook's clickable buttons.
  if (name.startsWith('v:')) return 'vml'
  return null
}
