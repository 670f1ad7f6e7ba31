/**
 * Finds link-bearing attribute values in an HTML document without building a
 * tree, so that the caller can splice replacements into the original text and
 * leave every other byte alone.
 *
 * The scan is a tokenizer of our own that follows the states of the HTML
 * Standard (§13.2.5) wherever they decide what is markup, and jumps over
 * everything else with `indexOf`: text, quoted attribute values, comments,
 * raw text. A general-purpose tokenizer visits every character; this one
 * only visits the characters between `<` and `>`, which is why it is several
 * times faster on real mail, where most bytes are text and style attributes.
 *
 * A tokenizer on its own cannot know a few things that the WHATWG tree
 * builder decides (§13.2.6), and where it guesses differently from a browser
 * an attacker can hide a link from the rewriter. What the scan models:
 *
 * - raw text and RCDATA elements (`<script>`, `<style>`, `<textarea>`,
 *   `<title>`, `<xmp>`, `<iframe>`, `<noembed>`, `<noframes>`,
 *   `<plaintext>`), with the script data escaping of §13.2.5.15-§13.2.5.31;
 *   `<noscript>` is markup, because mail clients run no scripts;
 * - comments as §13.2.5.43-§13.2.5.52 end them: `<!-->`, `<!--->` and `--!>`;
 * - end tags carrying attributes (§13.2.5.9): a quoted `>` does not end them;
 * - foreign content (§13.2.6.5): inside `<svg>` and `<math>` the elements
 *   `<style>`, `<title>`, `<script>`… are not raw text and `<![CDATA[` is a
 *   real section (elsewhere it is a bogus comment ending at the first `>`),
 *   tracked with a stack of the open SVG/MathML elements; and once a document
 *   has opened either, its links are taken from parse5's tree instead
 *   (html-tree.ts), since the rest of the foreign-content rules need the whole
 *   stack of open elements;
 * - Outlook conditional comments, whose bodies Outlook renders as markup.
 *
 * Nothing recurses per nesting level: the only nesting is one extra scan for
 * the body of each Outlook conditional comment.
 *
 * A known gap, in markup that mail clients rarely render: `<style>`,
 * `<title>`… in a `<select>` are read as raw text, as the current standard
 * does (select content now goes through "in body"), whereas parsers with the
 * legacy "in select" insertion mode, parse5 8 among them, ignore those start
 * tags.
 */

import {
  type OpenTag,
  RAW_TEXT_ELEMENTS,
  type RegionKind,
  type ScanSink,
  attributeVisitor,
  knownTagName,
  linkSource,
  openTag,
} from './html-attributes.js'
import { EndifFinder, conditionHeadEnd, conditionalBody } from './html-conditional.js'
import { ForeignStack } from './html-foreign.js'
import { HtmlTextScan } from './html-text.js'
import { treeLinks } from './html-tree.js'
import {
  BANG,
  GT,
  LT,
  QUESTION,
  SLASH,
  asciiLowerCase,
  equalsAsciiLowerCase,
  findCommentEnd,
  findRawTextEnd,
  findScriptEnd,
  findTagEnd,
  isHtmlSpace,
} from './html-syntax.js'
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
  const sink: ScanSink = {
    links: [],
    baseHrefs: [],
    text: new HtmlTextScan(src),
    conditional: [],
    sawForeign: false,
    needsTree: false,
    bodyTagEnd: null,
    deadline,
    tagsUntilClock: TAGS_PER_CLOCK_CHECK,
  }

  const complete = new RegionScan(src, src.length, 'document', sink).run(0)
  if (complete && sink.needsTree && src.length <= TREE_MAX_CHARS) {
    const tree = treeLinks(src, sink.conditional)
    return scanResult(tree.links, tree.baseHrefs, sink, true)
  }
  return scanResult(sink.links, sink.baseHrefs, sink, complete)
}

function scanResult(
  links: HtmlLink[],
  baseHrefs: string[],
  sink: ScanSink,
  complete: boolean,
): HtmlScan {
  const { text, bodyTagEnd } = sink
  return {
    links,
    textLinks: text.links,
    baseHref: baseHrefs[0] ?? null,
    baseHrefs,
    bodyTagEnd,
    complete,
  }
}

/**
 * The largest document read through parse5 when its SVG or MathML needs the
 * tree builder. parse5 cannot be stopped by the deadline, and crafted markup
 * (`<b><p>` repeated) runs it at about a megabyte a second, so a larger
 * document keeps the fast scan's links, which differ only for such markup.
 */
const TREE_MAX_CHARS = 1024 * 1024

/** How many start tags pass between two looks at the clock: cheap, yet prompt. */
const TAGS_PER_CLOCK_CHECK = 256

const CDATA_OPEN = '[CDATA['
const CDATA_CLOSE = ']]>'

function isAsciiAlpha(code: number): boolean {
  const lower = code | 0x20
  return lower >= 0x61 && lower <= 0x7a
}

/**
 * One pass over `src[from, to)`: the document, or the body of a conditional
 * comment. Each method takes the offset of a construct and returns the offset
 * where the data state resumes; `to` stands for the end of input.
 */
class RegionScan {
  /** Each region keeps its own: a conditional body is parsed as a fragment of its own. */
  private readonly foreign = new ForeignStack()
  /** Set when the deadline stopped the scan; the region and its callers stop too. */
  private outOfTime = false
  /** True between `<a …>` and `</a>`. */
  private inAnchor = false
  /** HTML `<template>` elements open: their content is a separate fragment, not the document. */
  private templates = 0
  /** Shared by the region's conditional comments, so that finding their ends stays linear. */
  private readonly endifs: EndifFinder

  constructor(
    private readonly src: string,
    private readonly to: number,
    private readonly kind: RegionKind,
    private readonly sink: ScanSink,
  ) {
    this.endifs = new EndifFinder(src)
  }

  /** Scans from `from` to the end of the region; false when the deadline stopped it. */
  run(from: number): boolean {
    const { src, to } = this
    const text = this.sink.text
    let pos = from

    while (pos < to && !this.outOfTime) {
      // Tags often follow each other (`<span …></span>`): look before calling indexOf.
      const lt = src.charCodeAt(pos) === LT ? pos : src.indexOf('<', pos)
      // The text before it; an anchor's own text is not linked a second time.
      const textEnd = lt < 0 || lt >= to ? to : lt
      if (!this.inAnchor && text.next < textEnd) text.scan(pos, textEnd)
      if (lt < 0 || lt + 1 >= to) break
      pos = this.construct(lt, src.charCodeAt(lt + 1))
    }
    return !this.outOfTime
  }

  /** The tag open state (§13.2.5.6): what follows a `<`. */
  private construct(lt: number, next: number): number {
    if (isAsciiAlpha(next)) return this.startTag(lt)
    if (next === SLASH) return this.endTag(lt)
    if (next === BANG) return this.markupDeclaration(lt)
    // `<?` opens a bogus comment that ends at the first `>` (§13.2.5.41).
    if (next === QUESTION) return this.afterNextGt(lt + 2)
    return lt + 1
  }

  private startTag(lt: number): number {
    if (this.checkClock()) return this.to

    const nameEnd = this.tagNameEnd(lt + 2)
    if (nameEnd >= this.to) return this.to

    const tag = this.openTag(lt + 1, nameEnd)
    const visit = tag === null ? null : attributeVisitor(tag, this.src)
    const gt = findTagEnd(this.src, nameEnd, this.to, visit)
    // A tag cut off by the end of input is dropped (§13.2.5.33, "eof-in-tag").
    if (gt < 0) return this.to

    return tag === null ? gt + 1 : this.finishStartTag(tag, gt)
  }

  private tagNameEnd(from: number): number {
    const { src, to } = this
    let i = from
    while (i < to) {
      const code = src.charCodeAt(i)
      if (code <= GT && (code === GT || code === SLASH || isHtmlSpace(code))) break
      i++
    }
    return i
  }

  /** The tag's bookkeeping, or null for a tag that changes nothing the scan tracks. */
  private openTag(start: number, end: number): OpenTag | null {
    // Outside SVG/MathML only a few names matter; inside, every name steers the stack.
    if (this.foreign.isEmpty()) {
      const name = knownTagName(this.src, start, end)
      return name === '' ? null : openTag(name, false)
    }
    return openTag(asciiLowerCase(this.src.slice(start, end)), this.foreign.isForeign())
  }

  /** Records the tag's link, updates the foreign-content stack, and skips raw text. */
  private finishStartTag(tag: OpenTag, gt: number): number {
    const after = gt + 1
    this.commitTag(tag, after)
    this.foreign.startTag(tag, tag.selfClosing)
    if (this.kind === 'document') this.noteForeignDecision(tag.name)
    if (tag.name === 'body' && this.kind === 'document' && this.sink.bodyTagEnd === null) {
      this.sink.bodyTagEnd = after
    }
    // Text inside a hyperlink is not linked again; an `<a>` without href is no hyperlink.
    if (tag.name === 'a') this.inAnchor = tag.hrefSeen
    // Only `</template>` closes a template (§13.2.6.4.4), so a count tracks it exactly.
    if (tag.name === 'template' && !tag.foreign) this.templates++

    // Start tags created in SVG/MathML switch no tokenizer state (§13.2.6.5).
    // A self-closing `<script/>` is still script data in HTML (§13.2.6.4.4).
    if (tag.foreign || tag.rawText === null) return after
    if (tag.rawText === 'plaintext') return this.to
    if (tag.rawText === 'script') return findScriptEnd(this.src, after, this.to)
    return findRawTextEnd(this.src, after, this.to, tag.rawText)
  }

  /**
   * Once SVG or MathML has been opened, the stack the scan keeps may be wrong
   * about what is still open (html-tree.ts says why). That only matters where
   * the scan acts on it: a raw-text element, a `<base>` or `<template>`, or a
   * CDATA section (name ''). A document reaching one is read by the tree
   * builder instead; inline SVG icons, the common case, never do.
   */
  private noteForeignDecision(name: string): void {
    const sink = this.sink
    if (!sink.sawForeign) {
      sink.sawForeign = !this.foreign.isEmpty()
      return
    }
    if (name === '' || RAW_TEXT_ELEMENTS.has(name) || name === 'base' || name === 'template') {
      sink.needsTree = true
    }
  }

  /** `contentStart` is the offset just past the start tag's `>`, where an anchor's text begins. */
  private commitTag(tag: OpenTag, contentStart: number): void {
    if (tag.name === 'base') {
      this.commitBase(tag)
      return
    }

    const source = linkSource(tag.name, this.kind)
    const href = tag.href ?? (tag.hrefSeen ? null : tag.xlinkHref)
    if (source === null || href === null) return

    const { start, end, quote } = href
    const link: HtmlLink = { start, end, raw: this.src.slice(start, end), quote, source }
    if (source === 'a' || source === 'mso-a') link.contentStart = contentStart
    this.sink.links.push(link)
    if (this.kind === 'conditional') this.sink.conditional.push(link)
  }

  /**
   * The document base URL comes from the first `base` element with an `href`
   * attribute in tree order (HTML §4.2.3), wherever it sits. A valueless
   * `<base href>` still counts, with an empty value. One in a template's
   * content is not in the document's tree (§4.12.3) and sets nothing.
   */
  private commitBase(tag: OpenTag): void {
    if (this.kind !== 'document' || tag.foreign || !tag.hrefSeen) return
    if (this.templates > 0) return

    const href = tag.href
    const value = href === null ? '' : this.src.slice(href.start, href.end)
    this.sink.baseHrefs.push(value)
  }

  /**
   * `</`: an end tag, whose attributes are read like a start tag's
   * (§13.2.5.9), `</>` (ignored), or a bogus comment ending at the first `>`.
   */
  private endTag(lt: number): number {
    const nameStart = lt + 2
    if (nameStart >= this.to) return this.to

    const first = this.src.charCodeAt(nameStart)
    if (first === GT) return nameStart + 1
    if (!isAsciiAlpha(first)) return this.afterNextGt(nameStart)

    const nameEnd = this.tagNameEnd(nameStart + 1)
    const gt = findTagEnd(this.src, nameEnd, this.to)
    if (gt < 0) return this.to

    if (nameEnd - nameStart === 1 && (this.src.charCodeAt(nameStart) | 0x20) === 0x61) {
      this.inAnchor = false
    }
    if (this.templates > 0 && nameEnd - nameStart === 8) {
      if (equalsAsciiLowerCase(this.src, nameStart, 'template')) this.templates--
    }
    // The name is only read while SVG or MathML is open: most documents never pay for it.
    if (!this.foreign.isEmpty()) {
      this.foreign.endTag(asciiLowerCase(this.src.slice(nameStart, nameEnd)))
    }
    return gt + 1
  }

  /** `<!`: a comment, a CDATA section, a DOCTYPE or a bogus comment (§13.2.5.42). */
  private markupDeclaration(lt: number): number {
    const { src } = this
    const open = lt + 2

    if (src.startsWith('--', open) && open + 2 <= this.to) return this.comment(open + 2)
    // CDATA sections only exist with an adjusted current node outside HTML.
    if (src.startsWith(CDATA_OPEN, open) && this.kind === 'document') this.noteForeignDecision('')
    if (src.startsWith(CDATA_OPEN, open) && this.foreign.allowsCdata()) {
      const close = src.indexOf(CDATA_CLOSE, open + CDATA_OPEN.length)
      return close < 0 || close >= this.to ? this.to : close + CDATA_CLOSE.length
    }
    // A DOCTYPE ends at the first `>` even inside its quoted identifiers.
    return this.afterNextGt(open)
  }

  private comment(contentStart: number): number {
    if (this.kind === 'conditional') {
      // A block nested in a block (`<!--[if mso]><!--[if gte mso 9]>…`) is markup to
      // Outlook as well: read on after its condition, in this same region, so nothing
      // recurses, before looking for the comment's end, which would make deep nesting
      // quadratic. Rewriting a link Outlook might not show costs nothing.
      const head = conditionHeadEnd(this.src, contentStart, this.to)
      if (head !== null) return head
    }
    const end = findCommentEnd(this.src, contentStart, this.to)

    if (this.kind === 'document') {
      const resume = this.scanConditionalComment(contentStart, end.contentEnd)
      if (resume !== null) return resume
    }
    return end.resume
  }

  /**
   * Scans the body of `<!--[if mso]> … <![endif]-->`, which Outlook renders
   * as markup. Returns where the document scan resumes when Outlook's block
   * runs past the HTML comment, else null.
   */
  private scanConditionalComment(start: number, end: number): number | null {
    const body = conditionalBody(this.src, start, end, this.endifs)
    if (body === null) return null

    const inner = new RegionScan(this.src, body.end, 'conditional', this.sink)
    if (!inner.run(body.start)) {
      this.outOfTime = true
      return this.to
    }
    return body.resumeAt === null ? null : Math.min(body.resumeAt, this.to)
  }

  private afterNextGt(from: number): number {
    const gt = this.src.indexOf('>', from)
    return gt < 0 || gt >= this.to ? this.to : gt + 1
  }

  /** Every TAGS_PER_CLOCK_CHECK start tags, stops the whole scan once the deadline has passed. */
  private checkClock(): boolean {
    const sink = this.sink
    if (--sink.tagsUntilClock > 0) return false
    sink.tagsUntilClock = TAGS_PER_CLOCK_CHECK
    if (!sink.deadline?.expired()) return false

    this.outOfTime = true
    return true
  }
}
