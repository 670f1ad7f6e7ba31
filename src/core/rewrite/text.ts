/**
 * Finds web URLs in plain text, so that the caller can wrap them in place.
 *
 * linkify-it does the recognising; a small trimming step afterwards fixes
 * where it lets trailing punctuation into a link (see {@link trimEnd}).
 */
import { LinkifyIt } from 'linkify-it'
import tlds from 'tlds' with { type: 'json' }

import type { Deadline } from './limits.js'
import type { TextLink } from './types.js'

/**
 * Text is handed to linkify-it in blocks of about this many characters, cut
 * at line breaks (a URL never spans one), so that the deadline is checked
 * between blocks and one huge part cannot run past it for long.
 */
const BLOCK_CHARS = 64 * 1024

/**
 * linkify-it caps a URL's path at `maxLength` characters (default 10,000) and
 * silently cuts longer ones short. A cut link would be rewritten to a wrong
 * target, so the cap is lifted to the largest quantifier a RegExp accepts;
 * length limits are the caller's business.
 */
const NO_LENGTH_LIMIT = 2 ** 31 - 1

/**
 * Every delegated top-level domain, not linkify-it's short default list:
 * mail clients make `www.evil.app` clickable, so we must find it. The
 * reserved `example` and `test` (RFC 2606) are added for documentation and
 * tests.
 */
const ALL_TLDS = [...tlds, 'example', 'test']

/** One instance for the module: building linkify-it's regular expressions is the costly part. */
const linkify = new LinkifyIt({
  urlAuth: true,
  fuzzyLink: true,
  fuzzyEmail: false,
  fuzzyIP: true,
  maxLength: NO_LENGTH_LIMIT,
}).tlds(ALL_TLDS, false)

/**
 * Schemas we report: web links and protocol-relative `//host` links, plus
 * fuzzy ones (`www.example.com`), for which linkify-it gives an empty schema.
 * `mailto:` and `ftp:` stay enabled in linkify-it so that they still consume
 * their text (an `http://` inside `mailto:…?body=http://…` is not a link of
 * its own), but they are dropped here.
 */
const WEB_SCHEMAS = new Set(['http:', 'https:', '//', ''])

const HAS_SCHEME = /^https?:\/\//i

/**
 * Scans plain text for web URLs. Matches come back in order, never overlap,
 * and `src.slice(start, end) === text` always holds. When `deadline` passes,
 * the scan stops and says it is incomplete.
 */
export function scanText(
  src: string,
  deadline?: Deadline,
): { links: TextLink[]; complete: boolean } {
  const links: TextLink[] = []

  for (let from = 0; from < src.length;) {
    if (deadline?.expired()) return { links, complete: false }

    const cut = src.indexOf('\n', from + BLOCK_CHARS)
    const to = cut < 0 ? src.length : cut + 1
    scanBlock(src, from, to, links)
    from = to
  }

  return { links, complete: true }
}

function scanBlock(src: string, from: number, to: number, links: TextLink[]): void {
  const block = from === 0 && to === src.length ? src : src.slice(from, to)
  let covered = from

  for (const match of linkify.match(block) ?? []) {
    const start = from + match.index
    let end = from + match.lastIndex
    addExplicitUrls(src, covered, start, links)
    covered = end
    if (!WEB_SCHEMAS.has(match.schema)) continue

    // linkify-it stops a host at `_`, which browsers accept: read such a host on to its end.
    if (HAS_SCHEME.test(block.slice(match.index, match.index + 8)) && src.charAt(end) === '_') {
      const longer = runEnd(src, end, to)
      if (hasUnderscoreHost(src.slice(start, trimEnd(src, start, longer)))) end = covered = longer
    }
    pushLink(src, start, end, links)
  }
  addExplicitUrls(src, covered, to, links)
}

/**
 * The URLs that mail clients link in the text of an HTML mail: `http://`,
 * `https://` and `www.` ones, each running to the next blank, less trailing
 * punctuation and unmatched closing brackets. This is the GitHub Flavored
 * Markdown autolink rule (spec section 6.9), which is also how Outlook and
 * Gmail read such text; it needs no regular expression over the whole text
 * and no top-level-domain list, so it costs little next to linkify-it.
 * `www.` must start a word, as it must for a client to see it.
 */
export function scanMarkedUrls(src: string): TextLink[] {
  const links: TextLink[] = []
  const marker = /https?:\/\/|www\./gi

  for (let match = marker.exec(src); match !== null; match = marker.exec(src)) {
    const start = match.index
    const end = runEnd(src, start, src.length)
    const startsWord = start === 0 || !/[\p{L}\p{N}_.+-]/u.test(src.charAt(start - 1))
    if (HAS_SCHEME.test(match[0]) || startsWord) pushLink(src, start, end, links)
    marker.lastIndex = Math.max(end, start + 1)
  }
  return links
}

/**
 * An `http://` or `https://` URL whose host holds `_` is skipped by
 * linkify-it, but browsers accept such hosts and mail clients link them, so
 * an attacker could use one to slip a link past the rewriter. Such URLs are
 * taken up to the next blank, when they start after a blank or an opening
 * bracket or quote.
 */
function addExplicitUrls(src: string, from: number, to: number, links: TextLink[]): void {
  const pattern = /https?:\/\//gi
  pattern.lastIndex = from
  for (
    let match = pattern.exec(src);
    match !== null && match.index < to;
    match = pattern.exec(src)
  ) {
    const end = runEnd(src, match.index, to)
    const boundary = match.index === 0 || /[\s(<[{"'>]/.test(src.charAt(match.index - 1))
    if (boundary && hasUnderscoreHost(src.slice(match.index, trimEnd(src, match.index, end)))) {
      pushLink(src, match.index, end, links)
    }
    pattern.lastIndex = end
  }
}

/** A URL that parses, with a host of well-formed labels, at least one holding `_`. */
function hasUnderscoreHost(text: string): boolean {
  let host: string
  try {
    host = new URL(text).hostname
  } catch {
    // Not a URL at all: nothing a client would link.
    return false
  }
  const labels = host.split('.')
  const wellFormed = labels.every((label) => /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/i.test(label))
  return host.includes('_') && labels.length > 1 && wellFormed
}

/** End of a run of characters that can be part of a URL. */
function runEnd(src: string, from: number, to: number): number {
  let end = from
  while (end < to && !/[\s<>"\x00-\x1f\x7f]/.test(src.charAt(end))) end++
  return end
}

function pushLink(src: string, start: number, rawEnd: number, links: TextLink[]): void {
  const end = trimEnd(src, start, rawEnd)
  const text = src.slice(start, end)
  if (!hasHost(text)) return

  const hasScheme = HAS_SCHEME.test(text)
  if (!hasScheme && isInsideAddress(src, start, end)) return
  links.push({ start, end, text, hasScheme })
}

/**
 * A bare domain that touches `@` or follows `+` is part of an e-mail address
 * (`first.last@…`, `tag+x@mail.example`), not a link of its own: with every
 * top-level domain known, `test.example@…` would otherwise read as a domain.
 */
function isInsideAddress(src: string, start: number, end: number): boolean {
  const before = src.charAt(start - 1)
  return src.charAt(end) === '@' || before === '@' || before === '+'
}

/**
 * Characters that end a sentence or a quotation rather than a URL when they
 * come last. GitHub Flavored Markdown's autolink extension excludes `?`, `!`,
 * `.`, `,`, `:`, `*`, `_` and `~` (spec section 6.9); we add `;`, quotes and
 * their CJK full-width forms. linkify-it already stops before most of these,
 * but keeps a trailing `:` and a `?` that is followed by other punctuation.
 */
const TRAILING_PUNCTUATION = new Set([
  '.',
  ',',
  ':',
  ';',
  '!',
  '?',
  '*',
  '_',
  '~',
  "'",
  '"',
  '\u3002', // 。 ideographic full stop
  '\uff0c', // ， full-width comma
  '\u3001', // 、 ideographic comma
  '\uff1b', // ； full-width semicolon
  '\uff1a', // ： full-width colon
  '\uff01', // ！ full-width exclamation mark
  '\uff1f', // ？ full-width question mark
  '\uff0e', // ． full-width full stop
])

/** Closing brackets and their openers, including the full-width forms. */
const CLOSERS = new Map([
  [')', '('],
  [']', '['],
  ['}', '{'],
  ['\uff09', '\uff08'], // （ ）
  ['\uff3d', '\uff3b'], // ［ ］
  ['\uff5d', '\uff5b'], // ｛ ｝
])

/** Opening brackets and their closers. */
const OPENERS = new Map([...CLOSERS].map(([close, open]) => [open, close]))

/**
 * Moves the end of a match back past trailing punctuation and past closing
 * brackets that have no opener inside the match, so that
 * `(https://en.wikipedia.org/wiki/Mercury_(planet))` keeps its inner pair and
 * loses the outer `)`.
 */
function trimEnd(src: string, start: number, end: number): number {
  const unmatched = unmatchedClosers(src, start, end)

  let last = end
  while (last > start) {
    const char = src.charAt(last - 1)
    const open = unmatched.get(char) ?? 0

    if (open > 0) unmatched.set(char, open - 1)
    else if (isQuotePair(src, start, last, char)) break
    else if (!TRAILING_PUNCTUATION.has(char)) break
    last--
  }

  return last
}

/** A final quote that closes a quote opened inside the URL (`/blah_"quoted"`) belongs to it. */
function isQuotePair(src: string, start: number, end: number, char: string): boolean {
  if (char !== '"' && char !== "'") return false
  let count = 0
  for (let i = start; i < end; i++) if (src.charAt(i) === char) count++
  return count % 2 === 0
}

/**
 * For each closing bracket, how many more closers than openers the match
 * holds (GFM counts the same way, spec section 6.9). Dropping a trailing closer lowers its count by one, so one pass is
 * enough however many brackets the tail has.
 */
function unmatchedClosers(src: string, start: number, end: number): Map<string, number> {
  const balance = new Map<string, number>()

  for (let i = start; i < end; i++) {
    const char = src.charAt(i)
    if (CLOSERS.has(char)) balance.set(char, (balance.get(char) ?? 0) + 1)

    const closer = OPENERS.get(char)
    if (closer !== undefined) balance.set(closer, (balance.get(closer) ?? 0) - 1)
  }

  return balance
}

/** A trimmed match must still have something after `scheme://` (or be a fuzzy host). */
function hasHost(text: string): boolean {
  const afterSlashes = text.indexOf('//')
  if (afterSlashes < 0) return text.length > 0

  return text.length > afterSlashes + 2
}
