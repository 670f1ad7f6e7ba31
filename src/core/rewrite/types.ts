/**
 * Shapes shared by the HTML, plain-text and MIME layers of the rewriter.
 *
 * Every offset is an index into the string the scanner was given. For MIME
 * parts that string is a "binary string": one UTF-16 code unit per decoded
 * byte (0x00-0xFF), so offsets are byte offsets and splicing never disturbs
 * bytes that were not replaced.
 */

/** Which element or syntax an HTML link came from. */
export type HtmlLinkSource = 'a' | 'area' | 'vml' | 'mso-a' | 'mso-area' | 'form' | 'formaction'

/** One link-bearing attribute value found in an HTML document. */
export interface HtmlLink {
  /** Offset of the first character of the attribute value (after any quote). */
  start: number
  /** Offset just past the last character of the value (before any closing quote). */
  end: number
  /** The value exactly as written in the source: character references not decoded. */
  raw: string
  /** How the value was quoted; decides how the replacement is escaped. */
  quote: 'double' | 'single' | 'none'
  /** Element the attribute belongs to. `vml` and `mso-*` come from `<!--[if mso]>` blocks. */
  source: HtmlLinkSource
  /** For `<a>`: the offset just past the start tag, where the link's text content begins. */
  contentStart?: number
}

/** A URL written as text in an HTML document (offsets into the source, raw value). */
export interface HtmlTextLink {
  start: number
  end: number
  /** The source text of the URL: character references not decoded. */
  raw: string
  /** True when it carries its own scheme (`https://…`), false for `www.…`. */
  hasScheme: boolean
}

/** The result of scanning one HTML document. */
export interface HtmlScan {
  links: HtmlLink[]
  /** URLs in the document's text, which mail clients make clickable (html-text.ts). */
  textLinks: HtmlTextLink[]
  /** The raw (undecoded) href of the first `<base href>`, or null when there is none. */
  baseHref: string | null
  /**
   * Every document `<base href>` in source order, the first included. Tree
   * order can differ (a `<base>` inside a table is moved before it), so the
   * planner tries them in turn rather than trusting the first alone.
   */
  baseHrefs: string[]
  /** Offset just after the `>` of the first `<body>` start tag, or null; notices go there. */
  bodyTagEnd: number | null
  /** False when the deadline stopped the scan: `links` then holds only what was found before. */
  complete: boolean
}

/** One URL found in plain text. */
export interface TextLink {
  start: number
  end: number
  /** The exact text of the URL as it appears between start and end. */
  text: string
  /** True when the text carries its own scheme (`https://…`), false for `www.…` and bare domains. */
  hasScheme: boolean
}
