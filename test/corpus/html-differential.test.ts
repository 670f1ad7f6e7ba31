/**
 * For every HTML part of the corpus, the links the scanner finds are exactly
 * the links parse5 finds (scripting disabled, as in mail clients, plus the
 * markup inside Outlook conditional comments): same source spans, in both
 * directions, for `a`/`area` hrefs, VML hrefs, form actions and formactions.
 * rewrite-corpus.test.ts checks the other half: that each of parse5's web
 * links was rewritten or skipped with a reason.
 */

import { type DefaultTreeAdapterTypes, parse, parseFragment } from 'parse5'
import { afterAll, describe, expect, it } from 'vitest'

import { resolveCharset } from '../../src/core/rewrite/charset.js'
import { leafDocument } from '../../src/core/rewrite/document.js'
import { scanHtml } from '../../src/core/rewrite/html.js'
import { parseMime } from '../../src/core/rewrite/mime.js'
import { HAS_CORPUS, corpusFiles, readCorpus } from './support.js'

type P5Node = DefaultTreeAdapterTypes.Node
type P5Element = DefaultTreeAdapterTypes.Element

const CONDITIONAL = /^\s*\[\s*if\s[^\]]*\]\s*>([\s\S]*)<!\s*\[\s*endif\s*\]\s*$/i

/** The attribute that makes an element a link, as parse5 names elements. */
function linkAttribute(element: P5Element): string | null {
  const name = element.tagName
  if (name === 'a' || name === 'area') return 'href'
  if (name.startsWith('v:')) return 'href'
  if (name === 'form') return 'action'
  if (name === 'button' || name === 'input') return 'formaction'
  return null
}

function isElement(node: P5Node): node is P5Element {
  return 'tagName' in node
}

function* walk(root: P5Node): Generator<P5Node> {
  const pending: P5Node[] = [root]
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    yield node
    if ('content' in node) pending.push(node.content)
    if ('childNodes' in node) pending.push(...[...node.childNodes].reverse())
  }
}

/** parse5 locates the whole `name="value"`; narrow that to the value's span. */
function valueSpan(html: string, start: number, end: number): string | null {
  const attribute = html.slice(start, end)
  const equals = attribute.indexOf('=')
  if (equals < 0) return null

  let valueStart = start + equals + 1
  while (/[\t\n\f\r ]/.test(html.charAt(valueStart))) valueStart++
  const quoted = html[valueStart] === '"' || html[valueStart] === "'"
  return quoted ? `${valueStart + 1}-${end - 1}` : `${valueStart}-${end}`
}

/** Link value spans parse5 finds in `html`, conditional comments re-parsed in place. */
function parse5Spans(html: string): Set<string> {
  const spans = new Set<string>()
  const collect = (root: P5Node, offset: number, source: string, conditional: boolean) => {
    for (const node of walk(root)) {
      if (isElement(node)) {
        const attribute = linkAttribute(node)
        const location = attribute ? node.sourceCodeLocation?.attrs?.[attribute] : undefined
        const span = location && valueSpan(source, location.startOffset, location.endOffset)
        if (span) {
          const [start = 0, end = 0] = span.split('-').map(Number)
          spans.add(`${start + offset}-${end + offset}`)
        }
        continue
      }
      const comment = conditional ? null : commentBody(node, source)
      if (comment) {
        const fragment = parseFragment(comment.body, {
          scriptingEnabled: false,
          sourceCodeLocationInfo: true,
        })
        collect(fragment, comment.start, comment.body, true)
      }
    }
  }

  collect(parse(html, { scriptingEnabled: false, sourceCodeLocationInfo: true }), 0, html, false)
  return spans
}

/**
 * The markup inside `<!--[if …]> … <![endif]-->`, with its offset, read from
 * the source (parse5's comment data has its line breaks normalised).
 */
function commentBody(node: P5Node, html: string): { body: string; start: number } | null {
  const location = node.sourceCodeLocation
  if (node.nodeName !== '#comment' || !location) return null

  const dataStart = location.startOffset + 4
  const raw = html.slice(dataStart, location.endOffset - 3)
  const match = CONDITIONAL.exec(raw)
  if (!match || match[1] === undefined) return null
  return { body: match[1], start: dataStart + raw.indexOf(match[1]) }
}

function scannerSpans(html: string): Set<string> {
  return new Set(scanHtml(html).links.map((link) => `${link.start}-${link.end}`))
}

describe.skipIf(!HAS_CORPUS)(
  'HTML links: the scanner and parse5 agree on every corpus part',
  () => {
    const totals = { parts: 0, links: 0 }
    afterAll(() => {
      console.log(`HTML differential: ${totals.parts} parts, ${totals.links} links, all equal`)
    })

    it.each(corpusFiles())('%s', (file) => {
      const message = parseMime(readCorpus(file))

      for (const leaf of message.leaves) {
        if (leaf.contentType !== 'text/html') continue
        const charset = resolveCharset(leaf.charset)
        const doc = charset && leafDocument(leaf.decoded, 'html', charset)
        if (!doc || typeof doc === 'string') continue

        const ours = [...scannerSpans(doc.text)].sort()
        const theirs = [...parse5Spans(doc.text)].sort()
        totals.parts++
        totals.links += ours.length

        const missing = theirs.filter((span) => !ours.includes(span))
        const extra = ours.filter((span) => !theirs.includes(span))
        const show = (spans: string[]) =>
          spans.slice(0, 5).map((span) => {
            const [start = 0, end = 0] = span.split('-').map(Number)
            return `${span} ${JSON.stringify(doc.text.slice(start, Math.min(end, start + 80)))}`
          })
        expect({ part: leaf.path, missing: show(missing), extra: show(extra) }).toEqual({
          part: leaf.path,
          missing: [],
          extra: [],
        })
      }
    })
  },
)
