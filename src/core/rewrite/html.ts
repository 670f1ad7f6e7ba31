/**
 * Finds link-bearing attribute values in an HTML document without building a
 * tree, so that the caller can splice replacements into the original text and
 * leave every other byte alone.
 *
 * The scan is driven by htmlparser2's tokenizer. A tokenizer on its own cannot
 * know a few things that the WHATWG tree builder decides (HTML Standard
 * §13.2.6), and where it guesses differently from a browser an attacker can
 * hide a link from the rewriter. The places we correct are:
 *
 * - script data escaping (§13.2.5.4-§13.2.5.31): `<!--<script>` keeps a
 *   `</script>` from ending the script, which htmlparser2 does not model;
 * - CDATA sections, which only exist in SVG/MathML content (§13.2.5.42);
 *   elsewhere `<![CDATA[` is a bogus comment that ends at the first `>`.
 *   htmlparser2 treats every `<![CDATA[` as a section running to `]]>`, so
 *   the tokenizer reads a copy in which it is spelt `<!-CDATA[` (a bogus
 *   comment, same length) and real sections are skipped by hand;
 * - end tags carrying attributes (§13.2.5.9, §13.2.5.32-§13.2.5.39): a `>`
 *   inside a quoted value does not end the tag;
 * - foreign content (§13.2.6.5): inside `<svg>` and `<math>` the elements
 *   `<style>`, `<title>`, `<script>`… are not raw text, approximated by a
 *   stack of the open SVG/MathML elements.
 *
 * The other corrections stop the tokenizer and start a fresh one at the
 * offset where a browser is back in the data state, so no tokenizer state
 * has to be patched. Nothing recurses per nesting level: the only nesting is
 * one extra scan for the body of each Outlook conditional comment.
 *
 * Known gaps, all in markup that mail clients rarely render: HTML elements
 * inside SVG `<foreignObject>` are not tracked, so a malformed mix of the two
 * can still mislead the foreign-content stack; and `<style>`, `<title>`… in a
 * `<select>` are read as raw text, as the current standard does (select
 * content now goes through "in body"), whereas parsers with the legacy "in
 * select" insertion mode, parse5 8 among them, ignore those start tags.
 */
import { type QuoteType, Tokenizer, type TokenizerCallbacks } from 'htmlparser2'

import {
  LINK_ATTRIBUTES,
  type OpenTag,
  type PendingAttribute,
  type RegionKind,
  type ScanSink,
  type SourceText,
  linkSource,
  recordAttribute,
} from './html-attributes.js'
import { ForeignStack } from './html-foreign.js'
import { GT, conditionalBody, findScriptEnd, findTagEnd } from './html-syntax.js'
import type { Deadline } from './limits.js'
import type { HtmlLink, HtmlScan } from './types.js'

/**
 * Scans an HTML document for the `href` values of `a`, `area` and VML
 * elements, the `action` of forms and the `formaction` of their buttons,
 * including those inside Outlook conditional comments, and the first
 * `<base href>`.
 *
 * `src` may be a binary string (one code unit per byte, charset not decoded):
 * only ASCII characters take part in markup. Values come back undecoded and in
 * document order. Malformed input never throws. When `deadline` passes, the
 * scan stops and says it is incomplete.
 */
export function scanHtml(src: string, deadline?: Deadline): HtmlScan {
  const sink: ScanSink = { links: [], baseHref: null, bodyTagEnd: null, deadline, tags: 0 }
  const text: SourceText = { src, markup: maskCdata(src) }

  const complete = scanRegion(text, 0, src.length, 'document', sink)

  return { links: sink.links, baseHref: sink.baseHref, bodyTagEnd: sink.bodyTagEnd, complete }
}

/** How many start tags pass between two looks at the clock: cheap, yet prompt. */
const TAGS_PER_CLOCK_CHECK = 256

/**
 * Spells every `<![CDATA[` as `<!-CDATA[`. Both are the same length and read
 * the same inside tags, values, comments and raw text, but the second is
 * always a bogus comment ending at the first `>`, which is what HTML content
 * makes of the first (§13.2.5.42). Real sections in SVG/MathML content are
 * then skipped by {@link RegionScanner.skipCdataSection}.
 */
function maskCdata(src: string): string {
  return src.includes(CDATA_OPEN) ? src.replaceAll(CDATA_OPEN, '<!-CDATA[') : src
}

const CDATA_OPEN = '<![CDATA['
const CDATA_CLOSE = ']]>'

/** Scans `src[from, to)` as markup, restarting the tokenizer wherever it would desync. */
function scanRegion(
  text: SourceText,
  from: number,
  to: number,
  kind: RegionKind,
  sink: ScanSink,
): boolean {
  const region = new RegionScanner(text, to, kind, sink)

  let pos = from
  while (pos < to && !region.outOfTime) pos = region.runFrom(pos)
  return !region.outOfTime
}

/** Tokenizer callbacks for one region; positions from the tokenizer are relative to `base`. */
class RegionScanner implements TokenizerCallbacks {
  private readonly foreignStack = new ForeignStack()
  private readonly src: string
  private tokenizer: Tokenizer | null = null
  private base = 0
  private restartAt: number | null = null
  /** Set when the deadline stopped the scan; the region and its callers stop too. */
  outOfTime = false
  private tag: OpenTag | null = null
  private attribute: PendingAttribute | null = null

  constructor(
    private readonly source: SourceText,
    private readonly to: number,
    private readonly kind: RegionKind,
    private readonly sink: ScanSink,
  ) {
    this.src = source.src
  }

  /** Tokenizes from `pos` until the end of the region or a restart; returns where to go on. */
  runFrom(pos: number): number {
    this.base = pos
    this.restartAt = null
    this.tag = null
    this.attribute = null
    this.tokenizer = new Tokenizer({ decodeEntities: false }, this)

    this.tokenizer.write(this.source.markup.slice(pos, this.to))
    if (this.restartAt === null) this.tokenizer.end()

    // Every restart point lies after `pos`; the guard only makes progress obvious.
    return this.restartAt === null ? this.to : Math.max(this.restartAt, pos + 1)
  }

  isInForeignContext(): boolean {
    return this.foreignStack.isForeign()
  }

  onopentagname(start: number, end: number): void {
    if (this.stopped() || this.checkClock()) return

    const name = this.text(start, end).toLowerCase()
    this.tag = {
      name,
      foreign: this.foreignStack.isForeign(),
      linkAttribute: LINK_ATTRIBUTES.get(name) ?? (name.startsWith('v:') ? 'href' : null),
      hrefSeen: false,
      href: null,
      encoding: null,
      hasFontAttribute: false,
    }
    this.attribute = null
  }

  onattribname(start: number, end: number): void {
    const tag = this.tag
    this.attribute = null
    if (this.stopped() || tag === null) return

    // Outside SVG/MathML only the link attribute matters: skip the rest without
    // reading their names. Only short names matter at all.
    const length = end - start
    if (!tag.foreign && length !== tag.linkAttribute?.length) return
    const name = length <= 10 ? this.text(start, end).toLowerCase() : ''
    this.attribute = { name, start: -1, end: -1 }
  }

  onattribdata(start: number, end: number): void {
    const attribute = this.attribute
    if (this.stopped() || attribute === null) return

    if (attribute.start < 0) attribute.start = this.base + start
    attribute.end = this.base + end
  }

  onattribend(quote: QuoteType): void {
    const { tag, attribute } = this
    this.attribute = null
    if (this.stopped() || tag === null || attribute === null) return

    recordAttribute(tag, attribute, quote, this.src)
  }

  onopentagend(end: number): void {
    this.finishStartTag(end, false)
  }

  onselfclosingtag(end: number): void {
    this.finishStartTag(end, true)
  }

  onclosetag(start: number, end: number): void {
    if (this.stopped()) return

    // The name is only read while SVG or MathML is open: most documents never pay for it.
    if (!this.foreignStack.isEmpty()) this.foreignStack.endTag(this.text(start, end).toLowerCase())
    this.checkEndTagAttributes(this.base + end)
  }

  oncomment(start: number, end: number, endOffset: number): void {
    if (this.stopped()) return

    const contentStart = this.base + start
    if (this.src.startsWith(CDATA_OPEN, contentStart - 2)) {
      this.skipCdataSection(contentStart + CDATA_OPEN.length - 2)
      return
    }

    if (this.kind === 'document') {
      this.scanConditionalComment(contentStart, this.base + end - endOffset)
    }
  }

  /** Never called: the tokenizer reads `<![CDATA[` masked as a bogus comment. */
  oncdata(): void {}

  ontext(): void {}

  ontextentity(): void {}

  onattribentity(): void {}

  ondeclaration(): void {}

  onprocessinginstruction(): void {}

  onend(): void {}

  private stopped(): boolean {
    return this.restartAt !== null
  }

  /** Every TAGS_PER_CLOCK_CHECK start tags, stops the whole scan once the deadline has passed. */
  private checkClock(): boolean {
    const sink = this.sink
    sink.tags++
    if (sink.tags % TAGS_PER_CLOCK_CHECK !== 0 || !sink.deadline?.expired()) return false

    this.stopForTime()
    return true
  }

  private stopForTime(): void {
    this.outOfTime = true
    this.restart(this.to)
  }

  private text(start: number, end: number): string {
    return this.src.slice(this.base + start, this.base + end)
  }

  /** Stops this tokenizer; `runFrom` starts a fresh one at `offset` (a data-state position). */
  private restart(offset: number): void {
    this.restartAt = offset
    this.tokenizer?.pause()
  }

  /** Records the tag's link, updates the foreign-content stack and handles `<script>`. */
  private finishStartTag(end: number, selfClosing: boolean): void {
    const tag = this.tag
    this.tag = null
    this.attribute = null
    if (this.stopped() || tag === null) return

    this.commitTag(tag, this.base + end + 1)
    this.foreignStack.startTag(tag, selfClosing)
    if (tag.name === 'body' && this.kind === 'document' && this.sink.bodyTagEnd === null) {
      this.sink.bodyTagEnd = this.base + end + 1
    }

    // The tokenizer switched to script data iff it was not told about foreign content.
    // A self-closing `<script/>` is still script data in HTML (§13.2.6.4.4).
    if (tag.name === 'script' && !tag.foreign) {
      this.restart(findScriptEnd(this.src, this.base + end + 1, this.to))
    }
  }

  /** `contentStart` is the offset just past the start tag's `>`, where an anchor's text begins. */
  private commitTag(tag: OpenTag, contentStart: number): void {
    if (tag.name === 'base') {
      this.commitBase(tag)
      return
    }

    const source = linkSource(tag.name, this.kind)
    if (source === null || tag.href === null) return

    const { start, end, quote } = tag.href
    const link: HtmlLink = { start, end, raw: this.src.slice(start, end), quote, source }
    if (source === 'a' || source === 'mso-a') link.contentStart = contentStart
    this.sink.links.push(link)
  }

  /**
   * The document base URL comes from the first `base` element with an `href`
   * attribute in tree order (HTML §4.2.3), wherever it sits. A valueless
   * `<base href>` still counts, with an empty value.
   */
  private commitBase(tag: OpenTag): void {
    if (this.kind !== 'document' || tag.foreign || !tag.hrefSeen) return
    if (this.sink.baseHref !== null) return

    const href = tag.href
    this.sink.baseHref = href === null ? '' : this.src.slice(href.start, href.end)
  }

  /**
   * htmlparser2 ends an end tag at the first `>`, but the HTML tokenizer reads
   * attributes in end tags like in start tags (§13.2.5.9), so `</a x=">">`
   * ends at the second `>`. Restart where a browser does when they disagree.
   */
  private checkEndTagAttributes(afterName: number): void {
    if (this.src.charCodeAt(afterName) === GT) return

    const specEnd = findTagEnd(this.src, afterName, this.to)
    const tokenizerEnd = this.src.indexOf('>', afterName)
    const tokenizerEndInRegion = tokenizerEnd < 0 || tokenizerEnd >= this.to ? -1 : tokenizerEnd
    if (specEnd === tokenizerEndInRegion) return

    this.restart(specEnd < 0 ? this.to : specEnd + 1)
  }

  /**
   * The tokenizer has read a masked `<![CDATA[` as a bogus comment, which is
   * right in HTML content (§13.2.5.42, "cdata-in-html-content"). In SVG and
   * MathML content it is a CDATA section whose text runs to `]]>`.
   */
  private skipCdataSection(dataStart: number): void {
    if (!this.foreignStack.allowsCdata()) return

    const close = this.src.indexOf(CDATA_CLOSE, dataStart)
    const end = close < 0 ? this.to : close + CDATA_CLOSE.length
    this.restart(Math.min(end, this.to))
  }

  /** Scans the body of `<!--[if mso]> … <![endif]-->`, which Outlook renders as markup. */
  private scanConditionalComment(start: number, end: number): void {
    const body = conditionalBody(this.src, start, end)
    if (body === null) return

    const complete = scanRegion(this.source, body.start, body.end, 'conditional', this.sink)
    if (!complete) this.stopForTime()
    else if (body.resumeAt !== null) this.restart(Math.min(body.resumeAt, this.to))
  }
}
