/**
 * The start-tag bookkeeping of the HTML scanner: which attribute carries an
 * element's link, how a value was quoted, and which kind of link it is.
 */

import { FONT_BREAKOUT_ATTRIBUTES } from './html-foreign.js'
import type { HtmlTextScan } from './html-text.js'
import {
  type AttributeVisitor,
  type ValueSpan,
  asciiLowerCase,
  equalsAsciiLowerCase,
} from './html-syntax.js'
import type { Deadline } from './limits.js'
import type { HtmlLink, HtmlLinkSource } from './types.js'

/** The document itself, or the body of an `<!--[if …]> … <![endif]-->` comment. */
export type RegionKind = 'document' | 'conditional'

/** Where a scan puts its results; shared by the document and its conditional comments. */
export interface ScanSink {
  links: HtmlLink[]
  /** Every document `<base href>` value in source order; the first is the base href. */
  baseHrefs: string[]
  /** URLs in the text between tags. */
  text: HtmlTextScan
  /** The links of `links` that were found in conditional comments. */
  conditional: HtmlLink[]
  /** True once the document opened an SVG or MathML element. */
  sawForeign: boolean
  /**
   * True when, after that, the scan took a decision that rests on its
   * approximate foreign-content stack: raw text, CDATA, `<base>`, `<template>`.
   */
  needsTree: boolean
  bodyTagEnd: number | null
  deadline: Deadline | undefined
  /** Start tags still to pass before the clock is next read. */
  tagsUntilClock: number
}

/** An attribute value as written in the source. */
export type AttributeValue = ValueSpan

/** A start tag between its name and its closing `>`. */
export interface OpenTag {
  /** The lower-cased name, or '' for a name the scan has no use for. */
  name: string
  /** True when this tag sits in SVG/MathML content (no raw-text switch). */
  foreign: boolean
  /** The attribute that holds this element's link (`href`, `action`…), or null. */
  linkAttribute: string | null
  /** The element whose end tag ends the raw text or RCDATA this tag opens, or null. */
  rawText: string | null
  /** True when the tag ended in `/>`. */
  selfClosing: boolean
  /** True once the link attribute was seen: later duplicates are dropped (§13.2.5.33). */
  hrefSeen: boolean
  href: AttributeValue | null
  encoding: string | null
  hasFontAttribute: boolean
  /** An SVG `<a>`'s `xlink:href` (SVG 1.1), the link when there is no `href` (SVG 2 §16.3). */
  xlinkHref: AttributeValue | null
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

/**
 * Elements whose content the tokenizer reads as text up to their own end tag
 * (§13.2.6.4.4, "in head", and §13.2.6.4.7, "in body"): RAWTEXT, RCDATA,
 * script data and PLAINTEXT. `<noscript>` is missing on purpose: with
 * scripting disabled, as in every mail client, its content is markup.
 */
export const RAW_TEXT_ELEMENTS = new Set([
  'iframe',
  'noembed',
  'noframes',
  'plaintext',
  'script',
  'style',
  'textarea',
  'title',
  'xmp',
])

/** Every name the scan acts on while no SVG or MathML element is open, by length. */
const KNOWN_BY_LENGTH: string[][] = []
const OTHER_KNOWN = ['body', 'math', 'svg', 'template']
const KNOWN = [...LINK_ATTRIBUTES.keys(), ...RAW_TEXT_ELEMENTS, ...OTHER_KNOWN]
const MAX_KNOWN_LENGTH = Math.max(...KNOWN.map((name) => name.length))
/** 1 at `length * 32 + (first letter & 31)` for each known name. */
const KNOWN_FIRST = new Uint8Array((MAX_KNOWN_LENGTH + 1) * 32)
for (const name of KNOWN) {
  ;(KNOWN_BY_LENGTH[name.length] ??= []).push(name)
  KNOWN_FIRST[name.length * 32 + (name.charCodeAt(0) & 31)] = 1
}

/**
 * The lower-cased name of the tag `src[start, end)` if the scan acts on it
 * (link elements, raw text elements, `body`, `svg`, `math`, `template`, VML's `v:*`),
 * else ''. Compared in place, so the common `<td>` or `<span>` costs no string.
 */
export function knownTagName(src: string, start: number, end: number): string {
  const length = end - start
  if (length > 2 && src.charCodeAt(start + 1) === COLON && (src.charCodeAt(start) | 0x20) === V) {
    return asciiLowerCase(src.slice(start, end))
  }

  const first = src.charCodeAt(start) | 0x20
  // Most tags (`span`, `td`, `div`) fail this one look-up and cost nothing more.
  if (length > MAX_KNOWN_LENGTH || KNOWN_FIRST[length * 32 + (first & 31)] === 0) return ''

  for (const name of KNOWN_BY_LENGTH[length] ?? []) {
    if (name.charCodeAt(0) === first && equalsAsciiLowerCase(src, start, name)) return name
  }
  return ''
}

const COLON = 0x3a
const V = 0x76

export function openTag(name: string, foreign: boolean): OpenTag {
  return {
    name,
    foreign,
    linkAttribute: LINK_ATTRIBUTES.get(name) ?? (name.startsWith('v:') ? 'href' : null),
    rawText: RAW_TEXT_ELEMENTS.has(name) ? name : null,
    selfClosing: false,
    hrefSeen: false,
    href: null,
    encoding: null,
    hasFontAttribute: false,
    xlinkHref: null,
  }
}

/**
 * Notes an attribute of a start tag if the scan needs it. The name is
 * `src[nameStart, nameEnd)`, compared in ASCII lower case (§13.2.5.33);
 * `value` is null for an attribute written without one.
 */
export function recordAttribute(
  tag: OpenTag,
  src: string,
  nameStart: number,
  nameEnd: number,
  value: AttributeValue | null,
): void {
  const length = nameEnd - nameStart
  const link = tag.linkAttribute

  if (link !== null && length === link.length && equalsAsciiLowerCase(src, nameStart, link)) {
    // Duplicate attributes are dropped by the tokenizer (§13.2.5.33): the first wins,
    // even when it has no value.
    if (tag.hrefSeen) return
    tag.hrefSeen = true
    tag.href = value
    return
  }

  // The rest only matters in SVG/MathML content.
  if (!tag.foreign || length > 10) return
  const name = asciiLowerCase(src.slice(nameStart, nameEnd))
  if (name === 'xlink:href' && tag.name === 'a') {
    tag.xlinkHref ??= value
  } else if (name === 'encoding' && tag.encoding === null) {
    tag.encoding = value === null ? '' : src.slice(value.start, value.end)
  } else if (FONT_BREAKOUT_ATTRIBUTES.has(name)) {
    tag.hasFontAttribute = true
  }
}

/** Notes the attributes of `tag` that the scan needs as findTagEnd reads them. */
export function attributeVisitor(tag: OpenTag, src: string): AttributeVisitor {
  const wanted = tag.linkAttribute !== null || tag.foreign
  return {
    attribute(nameStart, nameEnd, value) {
      if (wanted) recordAttribute(tag, src, nameStart, nameEnd, value)
    },
    selfClosing() {
      tag.selfClosing = true
    },
  }
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
