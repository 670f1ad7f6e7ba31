/**
 * The links of a document as the WHATWG tree builder sees them, through
 * parse5, for documents with SVG or MathML content.
 *
 * The scan in html.ts approximates the tree builder with a stack of open
 * SVG/MathML elements only. That is exact for HTML, but foreign content has
 * rules that need the whole stack of open elements: an HTML end tag such as
 * `</div>` closes an `<svg>` inside it, an `</svg>` is ignored while an HTML
 * element opened in an integration point is still open, and `<mglyph>` in
 * `<mi>` changes namespace after an HTML child (§13.2.6.5). An attacker can
 * use each of them to make a `<style>` raw text for us and markup for a
 * browser, or the reverse. SVG and MathML are rare in mail, so rather than
 * approximate further, a document that opens either is read by parse5, which
 * implements those rules; its cost (a tree, about 10 MB/s) is paid only then.
 */

import { type DefaultTreeAdapterTypes, html, parse } from 'parse5'

import type { HtmlLink, HtmlLinkSource } from './types.js'

type Node = DefaultTreeAdapterTypes.Node
type Element = DefaultTreeAdapterTypes.Element

export interface TreeLinks {
  links: HtmlLink[]
  /** Every `<base href>` of the document in tree order (template contents excluded). */
  baseHrefs: string[]
}

/** The link attribute of an element as parse5 names it, and the kind of link it is. */
function linkOf(element: Element): { attribute: string; source: HtmlLinkSource } | null {
  const name = element.tagName
  if (name === 'a') return { attribute: svgHref(element), source: 'a' }
  if (name === 'area') return { attribute: 'href', source: 'area' }
  if (name === 'form') return { attribute: 'action', source: 'form' }
  if (name === 'button' || name === 'input')
    return { attribute: 'formaction', source: 'formaction' }
  if (name.startsWith('v:')) return { attribute: 'href', source: 'vml' }
  return null
}

/**
 * An SVG `<a>` links with `href` or, in SVG 1.1, `xlink:href`; SVG 2 lets
 * `href` win when both are present (SVG 2 §16.3, "href" attribute).
 */
function svgHref(element: Element): string {
  if (element.namespaceURI !== html.NS.SVG) return 'href'
  const plain = element.attrs.some((attr) => attr.name === 'href' && !attr.prefix)
  return plain ? 'href' : 'xlink:href'
}

/**
 * Reads `src` with parse5 (scripting disabled, as in mail clients) and lists
 * its links and bases, with the links the scan found in Outlook conditional
 * comments, which are comments to any HTML parser. A link both report
 * (markup after a comment that Outlook's block still covers) is kept once,
 * as the conditional one.
 */
export function treeLinks(src: string, conditional: readonly HtmlLink[]): TreeLinks {
  const document = parse(src, { scriptingEnabled: false, sourceCodeLocationInfo: true })
  const out: TreeLinks = { links: [], baseHrefs: [] }

  // An explicit stack: documents nest deeper than the call stack goes.
  const pending: Array<{ node: Node; inTemplate: boolean }> = [
    { node: document, inTemplate: false },
  ]
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { node, inTemplate } = item
    if ('tagName' in node) visitElement(src, node, inTemplate, out)
    if ('content' in node) pending.push({ node: node.content, inTemplate: true })
    if ('childNodes' in node) {
      for (let i = node.childNodes.length - 1; i >= 0; i--) {
        const child = node.childNodes[i]
        if (child !== undefined) pending.push({ node: child, inTemplate })
      }
    }
  }

  out.links = inSourceOrder([...conditional, ...out.links])
  return out
}

/**
 * Each source span once (the first given wins), in source order. The
 * adoption agency algorithm clones formatting elements such as `<a>`
 * (§13.2.6.4.7, "reconstruct the active formatting elements"), so one
 * attribute can stand for several.
 */
function inSourceOrder(links: HtmlLink[]): HtmlLink[] {
  const byStart = new Map<number, HtmlLink>()
  for (const link of links) if (!byStart.has(link.start)) byStart.set(link.start, link)
  return [...byStart.values()].sort((a, b) => a.start - b.start)
}

function visitElement(src: string, element: Element, inTemplate: boolean, out: TreeLinks): void {
  const location = element.sourceCodeLocation
  if (!location) return

  if (element.tagName === 'base' && element.namespaceURI === html.NS.HTML) {
    const href = location.attrs?.['href']
    if (href && !inTemplate) out.baseHrefs.push(valueOf(src, href.startOffset, href.endOffset))
    return
  }

  const link = linkOf(element)
  const attribute = link && location.attrs?.[link.attribute]
  if (!link || !attribute) return

  const span = valueSpan(src, attribute.startOffset, attribute.endOffset)
  if (span === null) return
  const found: HtmlLink = { ...span, raw: src.slice(span.start, span.end), source: link.source }
  if (link.source === 'a' && location.startTag) found.contentStart = location.startTag.endOffset
  out.links.push(found)
}

/** parse5 locates a whole `name="value"`: the value's own span, or null for a bare name. */
function valueSpan(src: string, start: number, end: number) {
  const equals = src.indexOf('=', start)
  if (equals < 0 || equals >= end) return null

  let at = equals + 1
  while (at < end && /[\t\n\f\r ]/.test(src.charAt(at))) at++
  const quote = src.charAt(at)
  if (quote === '"' || quote === "'") {
    const kind: HtmlLink['quote'] = quote === '"' ? 'double' : 'single'
    return { start: at + 1, end: end - 1, quote: kind }
  }
  return { start: at, end, quote: 'none' as const }
}

function valueOf(src: string, start: number, end: number): string {
  const span = valueSpan(src, start, end)
  return span === null ? '' : src.slice(span.start, span.end)
}
