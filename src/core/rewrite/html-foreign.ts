/**
 * Foreign content (HTML Standard §13.2.6.5): inside `<svg>` and `<math>`,
 * `<style>`, `<title>`, `<script>`… are not raw text and `<![CDATA[` is a
 * real section. The scanner asks this approximation of the tree builder's
 * stack of open elements which rules apply.
 */

/** What the stack needs to know about a start tag. */
export interface ForeignTag {
  name: string
  /** The value of an `encoding` attribute (for MathML `annotation-xml`), or null. */
  encoding: string | null
  /** True when a `color`, `face` or `size` attribute was present (a `<font>` breakout). */
  hasFontAttribute: boolean
}

/** Attributes that make `<font>` break out of SVG/MathML content (§13.2.6.5). */
export const FONT_BREAKOUT_ATTRIBUTES = new Set(['color', 'face', 'size'])

/** Start tags that end SVG/MathML content (§13.2.6.5, "in foreign content"). */
const BREAKOUT_TAGS = new Set([
  'b',
  'big',
  'blockquote',
  'body',
  'br',
  'center',
  'code',
  'dd',
  'div',
  'dl',
  'dt',
  'em',
  'embed',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'head',
  'hr',
  'i',
  'img',
  'li',
  'listing',
  'menu',
  'meta',
  'nobr',
  'ol',
  'p',
  'pre',
  'ruby',
  's',
  'small',
  'span',
  'strong',
  'strike',
  'sub',
  'sup',
  'table',
  'tt',
  'u',
  'ul',
  'var',
])

/** MathML text integration points (§13.2.6.1): their children are HTML. */
const MATHML_TEXT_POINTS = new Set(['mi', 'mo', 'mn', 'ms', 'mtext'])

/** SVG HTML integration points (§13.2.6.1), lower-cased. */
const SVG_HTML_POINTS = new Set(['foreignobject', 'desc', 'title'])

type ForeignNamespace = 'svg' | 'math'

/** One open SVG or MathML element. */
interface ForeignElement {
  name: string
  namespace: ForeignNamespace
  /** Start tags inside it are HTML: an HTML or MathML text integration point. */
  htmlInside: boolean
  /** A MathML text integration point, where `mglyph` and `malignmark` stay MathML. */
  textPoint: boolean
}

/**
 * An approximation of the tree builder's stack of open elements, kept only
 * for SVG and MathML content: enough to tell the tokenizer when `<style>`,
 * `<title>`… are raw text and when `<![CDATA[` is a CDATA section. HTML
 * elements are not tracked, so ordinary documents cost nothing here.
 */
export class ForeignStack {
  private readonly open: ForeignElement[] = []
  /** Open elements per name, so an end tag for nothing open costs O(1), not O(depth). */
  private readonly counts = new Map<string, number>()

  /** True when the next start tag is created in SVG/MathML (no raw-text switch). */
  isForeign(): boolean {
    const top = this.top()
    return top !== undefined && !top.htmlInside
  }

  /** CDATA needs an adjusted current node outside HTML (§13.2.5.42). */
  allowsCdata(): boolean {
    return this.isForeign()
  }

  startTag(tag: ForeignTag, selfClosing: boolean): void {
    if (this.followsForeignRules(tag.name)) {
      this.foreignStartTag(tag, selfClosing)
    } else {
      this.htmlStartTag(tag.name, selfClosing)
    }
  }

  /** True when no SVG or MathML element is open: end tags then need no name. */
  isEmpty(): boolean {
    return this.open.length === 0
  }

  endTag(name: string): void {
    if (this.open.length === 0) return

    if ((name === 'p' || name === 'br') && this.isForeign()) {
      this.popToHtml()
      return
    }

    // Foreign end tags close the nearest open element of that name (§13.2.6.5).
    // Each element popped here was pushed once, so the loop is amortised O(1).
    if (!this.counts.get(name)) return
    while (this.pop()?.name !== name) {
      // keep popping up to and including the match
    }
  }

  private top(): ForeignElement | undefined {
    // Reading index -1 of an empty array leaves V8's fast path; it runs once per start tag.
    const depth = this.open.length
    return depth === 0 ? undefined : this.open[depth - 1]
  }

  /** The tree construction dispatcher's choice (§13.2.6) for a start tag. */
  private followsForeignRules(name: string): boolean {
    const top = this.top()
    if (top === undefined) return false

    if (top.textPoint) return name === 'mglyph' || name === 'malignmark'
    if (top.htmlInside) return false
    return !(top.namespace === 'math' && top.name === 'annotation-xml' && name === 'svg')
  }

  private htmlStartTag(name: string, selfClosing: boolean): void {
    if (selfClosing || (name !== 'svg' && name !== 'math')) return

    this.push({ name, namespace: name, htmlInside: false, textPoint: false })
  }

  private foreignStartTag(tag: ForeignTag, selfClosing: boolean): void {
    if (BREAKOUT_TAGS.has(tag.name) || (tag.name === 'font' && tag.hasFontAttribute)) {
      this.popToHtml()
      return
    }

    if (selfClosing) return

    const namespace = this.top()?.namespace ?? 'svg'
    this.push(foreignElement(tag, namespace))
  }

  private popToHtml(): void {
    while (this.isForeign()) this.pop()
  }

  private push(element: ForeignElement): void {
    this.open.push(element)
    this.counts.set(element.name, (this.counts.get(element.name) ?? 0) + 1)
  }

  private pop(): ForeignElement | undefined {
    const element = this.open.pop()
    if (element === undefined) return undefined

    this.counts.set(element.name, (this.counts.get(element.name) ?? 1) - 1)
    return element
  }
}

function foreignElement(tag: ForeignTag, namespace: ForeignNamespace): ForeignElement {
  const { name } = tag
  const textPoint = namespace === 'math' && MATHML_TEXT_POINTS.has(name)
  const htmlInside =
    textPoint ||
    (namespace === 'svg' && SVG_HTML_POINTS.has(name)) ||
    (namespace === 'math' && name === 'annotation-xml' && isHtmlEncoding(tag.encoding))

  return { name, namespace, htmlInside, textPoint }
}

function isHtmlEncoding(encoding: string | null): boolean {
  const value = encoding?.toLowerCase()
  return value === 'text/html' || value === 'application/xhtml+xml'
}
