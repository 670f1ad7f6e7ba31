/**
 * The visible warning banner put at the top of a suspect message's HTML and
 * plain-text bodies. It is inserted into the decoded body of the part and
 * re-encoded by `serializeMime` in the part's own transfer encoding, so the
 * rest of the part and every other part keep their bytes.
 *
 * Known limit: hostile HTML can still draw over the banner (positioned
 * content); the inline `!important` styles only stop style sheets from
 * hiding it. The click-time warnings do not depend on the banner.
 */

import { parse } from 'parse5'

import { binaryToBytes, bytesToBinary, isAscii } from '../bytes.js'
import type { TextLeaf } from '../rewrite/mime-types.js'
import type { MessageFinding } from '../store.js'

export interface Banner {
  /** The headline, plain text. */
  headline: string
  /** One plain-text line per finding. */
  details: string[]
}

/** The banner for a set of findings: the configured headline and each finding's detail. */
export function bannerFor(headline: string, findings: readonly MessageFinding[]): Banner {
  const details = [...new Set(findings.map((f) => f.detail ?? f.reason))]
  return { headline, details }
}

/**
 * A decorator for the rewriter: the banner goes into the first text/html and
 * the first text/plain part of the message itself, not into attached
 * messages. `inserted` collects the paths of the parts that received it.
 */
export function bannerDecorator(banner: Banner, inserted: string[]) {
  const done = new Set<string>()

  return function decorate(leaf: TextLeaf, text: string): string {
    if (leaf.embedded || done.has(leaf.contentType)) return text
    done.add(leaf.contentType)
    inserted.push(leaf.path)

    return leaf.contentType === 'text/html'
      ? insertHtmlBanner(text, banner)
      : insertTextBanner(text, banner, leaf)
  }
}

// ---------------------------------------------------------------------------
// HTML

const BOX_STYLE =
  'width:100%;border-collapse:collapse;margin:0 0 16px 0;' +
  'display:table !important;visibility:visible !important;opacity:1 !important'
const CELL_STYLE =
  'border:2px solid #b3261e;background:#fdecea;color:#1f1f1f;padding:10px 14px;' +
  'font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.45;' +
  'display:table-cell !important;visibility:visible !important'

/**
 * Inserts the banner where a browser starts the body: after the `<body>`
 * start tag, or before the first body content when the tag is implied.
 * parse5 follows the WHATWG tree builder, so markup that fools a simpler
 * tokenizer (a `<body>` inside an escaped script) cannot hide the banner.
 * `html` is a binary string; the banner is ASCII, so any ASCII-compatible
 * charset holds it.
 */
export function insertHtmlBanner(html: string, banner: Banner): string {
  const at = bodyStart(html)
  const eol = lineEndingOf(html)
  const markup = [
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="${BOX_STYLE}">`,
    `<tr><td style="${CELL_STYLE}">`,
    `<strong>${escapeHtml(banner.headline)}</strong>`,
    ...banner.details.map((line) => `<br>${escapeHtml(line)}`),
    '</td></tr></table>',
  ].join(eol)
  return html.slice(0, at) + markup + eol + html.slice(at)
}

function bodyStart(html: string): number {
  const document = parse(html, { sourceCodeLocationInfo: true, scriptingEnabled: false })
  const root = document.childNodes.find((node) => node.nodeName === 'html')
  if (!root || !('childNodes' in root)) return 0

  const body = root.childNodes.find((node) => node.nodeName === 'body')
  const startTag = body && 'childNodes' in body ? body.sourceCodeLocation?.startTag : undefined
  if (startTag) return startTag.endOffset

  const first = body && 'childNodes' in body ? body.childNodes[0]?.sourceCodeLocation : undefined
  if (first) return first.startOffset
  return root.sourceCodeLocation?.endTag?.startOffset ?? html.length
}

/** Escapes text for HTML and writes every non-ASCII character as a numeric reference. */
function escapeHtml(text: string): string {
  let out = ''
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0x3f
    if (ch === '&') out += '&amp;'
    else if (ch === '<') out += '&lt;'
    else if (ch === '>') out += '&gt;'
    else if (ch === '"') out += '&quot;'
    else if (code < 0x20 || code > 0x7e) out += code < 0x20 ? ' ' : `&#${code};`
    else out += ch
  }
  return out
}

// ---------------------------------------------------------------------------
// Plain text

/** Longest banner line; RFC 3676 section 4.1 recommends 78 characters at most. */
const TEXT_WIDTH = 76

/**
 * Puts the banner lines and a rule at the start of a plain-text body (after
 * a byte-order mark), in the part's charset. No line ends in a space, so a
 * `format=flowed` reader does not join them (RFC 3676 section 4.2).
 */
export function insertTextBanner(text: string, banner: Banner, leaf: TextLeaf): string {
  const eol = lineEndingOf(text)
  const lines = [
    ...wrap(`*** ${banner.headline} ***`),
    ...banner.details.flatMap(wrap),
    '_'.repeat(24),
    '',
  ]
  const encoded = encodeText(lines.join(eol) + eol, leaf)
  const bom = text.startsWith('\xef\xbb\xbf') ? 3 : 0
  return text.slice(0, bom) + encoded + text.slice(bom)
}

function wrap(line: string): string[] {
  const words = line.replace(/\s+/g, ' ').trim().split(' ')
  const out: string[] = []
  let current = ''
  for (const word of words) {
    if (current !== '' && current.length + 1 + word.length > TEXT_WIDTH) {
      out.push(current)
      current = word
    } else {
      current = current === '' ? word : `${current} ${word}`
    }
  }
  if (current !== '') out.push(current)
  return out
}

/**
 * Text to the part's bytes (a binary string). UTF-8 parts get UTF-8; other
 * charsets get each character that has a one-byte form in them, found by
 * decoding every byte value, and `?` for the rest. A 7bit part gets ASCII
 * only, so that it stays 7bit (RFC 2045 section 2.7).
 */
function encodeText(text: string, leaf: TextLeaf): string {
  const label = leaf.charset ?? 'us-ascii'
  if (leaf.transferEncoding === '7bit' || label === 'us-ascii' || label === 'ascii') {
    return text.replace(/[^\x00-\x7f]/gu, '?')
  }
  if (label === 'utf-8' || label === 'utf8') return bytesToBinary(new TextEncoder().encode(text))
  if (isAscii(text)) return text

  const table = singleByteTable(label)
  return [...text].map((ch) => table.get(ch) ?? '?').join('')
}

function singleByteTable(label: string): Map<string, string> {
  const table = new Map<string, string>()
  let decoder: TextDecoder
  try {
    decoder = new TextDecoder(label, { fatal: true })
  } catch {
    // An unknown charset label: only ASCII is safe to write.
    return table
  }
  for (let byte = 0; byte < 0x100; byte++) {
    try {
      const ch = decoder.decode(binaryToBytes(String.fromCharCode(byte)))
      if (ch.length > 0 && !table.has(ch)) table.set(ch, String.fromCharCode(byte))
    } catch {
      // A lead byte of a multi-byte charset means nothing on its own.
    }
  }
  return table
}

/** The first line ending of a body, CRLF when it has none (RFC 5322 2.3). */
function lineEndingOf(text: string): string {
  const newline = text.indexOf('\n')
  if (newline < 0) return '\r\n'
  return newline > 0 && text[newline - 1] === '\r' ? '\r\n' : '\n'
}
