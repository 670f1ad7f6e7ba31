/**
 * URLs written as plain text in an HTML part. Outlook, Gmail and Apple Mail
 * turn `https://…` and `www.…` in the text of an HTML mail into links, so an
 * attacker can skip `<a href>` altogether; the scan hands this module every
 * run of text that a reader sees (not markup, comments or raw text, and not
 * inside an `<a>`, whose text is not linked again).
 *
 * Most text holds no URL, so a run is only looked at when it holds `//`,
 * `www.` or a reference that could spell them (`https&#58;//` is a URL once
 * decoded, as the client sees it). The searches for those markers move
 * forward only, so the whole document costs one pass of `indexOf` however
 * many runs it has. URLs are then read the way clients autolink them
 * (`scanMarkedUrls`), not with linkify-it, which reads text at a few
 * megabytes a second.
 */

import { decodeHTML } from 'entities'

import { ForwardSearch } from './forward-search.js'
import { equalsAsciiLowerCase } from './html-syntax.js'
import { scanMarkedUrls } from './text.js'
import type { HtmlTextLink } from './types.js'

const HAS_URL_MARKER = /:\/\/|www\./i
const REFERENCE = /&(?:#[0-9]{1,8};?|#[xX][0-9a-fA-F]{1,7};?|[A-Za-z][A-Za-z0-9]{1,31};?)/y

/** Named references that decode to a character of `://` or `www.`; numeric ones all may. */
const MARKER_REFERENCES = ['#', 'colon;', 'sol;', 'period;']

export class HtmlTextScan {
  readonly links: HtmlTextLink[] = []
  private readonly searches: Array<ForwardSearch<{ start: number }>>

  constructor(private readonly src: string) {
    const marker = (find: (from: number) => number) =>
      new ForwardSearch((from) => {
        const start = find(from)
        return start < 0 ? null : { start }
      })
    // Each search is one forward pass of indexOf, several times faster than a regular
    // expression; every pass costs about a memchr over the document, so there are few.
    this.searches = [
      // `//` rather than `://`: a colon is in every CSS declaration, a double slash is rare.
      marker((from) => src.indexOf('//', from)),
      marker((from) => nextWww(src, from)),
      marker((from) => nextMarkerReference(src, from)),
    ]
  }

  /**
   * The first marker at or after the last run's start (Infinity: none). A
   * run ending at or before it holds none: the scan tests that before calling.
   */
  next = -1

  private nextMarker(from: number): number {
    let first = Infinity
    for (const search of this.searches)
      first = Math.min(first, search.next(from)?.start ?? Infinity)
    return first
  }

  /** Looks for URLs in the text `src[from, to)`. */
  scan(from: number, to: number): void {
    if (this.next < from) this.next = this.nextMarker(from)
    if (to <= from || this.next >= to) return

    const raw = this.src.slice(from, to)
    // A reference such as `&#8217;` marks most runs it is in for nothing: decode once, cheaply.
    if (raw.includes('&') && !HAS_URL_MARKER.test(decodeHTML(raw))) return

    const run = decodeRun(raw)
    for (const link of scanMarkedUrls(run.text)) {
      const start = from + run.at(link.start)
      const end = withoutCutCharacter(this.src, start, from + run.at(link.end))
      this.links.push({ start, end, raw: this.src.slice(start, end), hasScheme: link.hasScheme })
    }
  }
}

/** The next `www.` in any case, found from its dot: one pass serves every case. */
function nextWww(src: string, from: number): number {
  for (let dot = src.indexOf('.', from + 3); dot >= 0; dot = src.indexOf('.', dot + 1)) {
    if (equalsAsciiLowerCase(src, dot - 3, 'www')) return dot - 3
  }
  return -1
}

function nextMarkerReference(src: string, from: number): number {
  for (let i = src.indexOf('&', from); i >= 0; i = src.indexOf('&', i + 1)) {
    if (MARKER_REFERENCES.some((name) => src.startsWith(name, i + 1))) return i
  }
  return -1
}

/**
 * The text is scanned as bytes, so a URL can run into the first byte of a
 * UTF-8 sequence whose next byte the text scanner reads as a space (U+00A0
 * is 0xC2 0xA0): a lead byte left last is not part of the URL.
 */
function withoutCutCharacter(src: string, start: number, end: number): number {
  let cut = end
  while (cut > start && src.charCodeAt(cut - 1) >= 0xc2 && src.charCodeAt(cut - 1) <= 0xf4) cut--
  return cut
}

/** A run of text with its character references decoded, and where each character came from. */
interface DecodedRun {
  text: string
  /** The offset in the raw run of character `i` of `text` (the raw length at the end). */
  at(i: number): number
}

/**
 * Decodes the character references of a text run (HTML §13.2.5.72), keeping
 * for each decoded character the offset it came from, so that a URL found in
 * the decoded text maps back to exactly the raw bytes that spell it.
 */
function decodeRun(raw: string): DecodedRun {
  if (!raw.includes('&')) return { text: raw, at: (i) => i }

  let text = ''
  const offsets: number[] = []
  for (let i = 0; i < raw.length;) {
    const next = raw.indexOf('&', i)
    const plainEnd = next < 0 ? raw.length : next
    for (let k = i; k < plainEnd; k++) offsets.push(k)
    text += raw.slice(i, plainEnd)
    if (next < 0) break

    REFERENCE.lastIndex = next
    const reference = REFERENCE.exec(raw)?.[0] ?? '&'
    const decoded = reference === '&' ? '&' : decodeHTML(reference)
    for (let k = 0; k < decoded.length; k++) offsets.push(next)
    text += decoded
    i = next + reference.length
  }
  offsets.push(raw.length)
  return { text, at: (i) => offsets[i] ?? raw.length }
}
