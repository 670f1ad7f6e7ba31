/**
 * The text a reader sees for an `<a>` link, read from the markup after its
 * start tag. Used for one check only (link text that names a different
 * site), so it is an approximation: tags are dropped, character references
 * decoded, whitespace collapsed, and the text ends at the first `</a>` or at
 * the next `<a`, which is where a browser's tree builder closes the link
 * (HTML Standard §13.2.6.4.7, "a start tag whose tag name is a").
 */

import { decodeHTML } from 'entities'

import { MAX_LINK_TEXT } from '../heuristics/link-text.js'
import type { ValueDecoder } from './plan.js'

/**
 * How far past the start tag we look for the text. Real link texts are a
 * line or a button; the cap keeps an unclosed `<a>` from costing a scan of
 * the rest of the document for each link.
 */
export const MAX_ANCHOR_SCAN = 4096

const ANCHOR_END = /<\/a[\s/>]|<a[\s/>]/i

export function anchorText(src: string, contentStart: number, decodeChars: ValueDecoder): string {
  const window = src.slice(contentStart, contentStart + MAX_ANCHOR_SCAN)
  const end = window.search(ANCHOR_END)
  const markup = end < 0 ? window : window.slice(0, end)

  const chars = decodeChars(markup.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<[^>]*>/g, ' '))
  return decodeHTML(chars).replace(/\s+/g, ' ').trim().slice(0, MAX_LINK_TEXT)
}
