/**
 * What a browser requests for a link in a document that is not UTF-8. The
 * WHATWG URL parser encodes a special URL's query in the document's encoding
 * (URL Standard, "query state"; HTML, "encoding-parse a URL"), while the path
 * and fragment are always UTF-8 and the host goes through IDNA.
 */

import { legacyEncoder } from './legacy-encoder.js'

// URL Standard: the special-query percent-encode set.
function inSpecialQuerySet(byte: number): boolean {
  return (
    byte < 0x21 ||
    byte > 0x7e ||
    byte === 0x22 ||
    byte === 0x23 ||
    byte === 0x3c ||
    byte === 0x3e ||
    byte === 0x27
  )
}

const UTF8_LIKE = new Set(['utf-8', 'utf-16le', 'utf-16be'])

/**
 * Re-serialises `target` (an absolute http(s) URL as authored) with its query
 * percent-encoded in `encoding`, as a browser would request it from a
 * document in that encoding. Targets without a non-ASCII query, and
 * encodings this runtime cannot encode, come back unchanged.
 */
export function encodeQueryFor(target: string, encoding: string): string {
  if (UTF8_LIKE.has(encoding)) return target

  const query = rawQuery(target)
  // ISO-2022-JP cannot carry SO, SI or ESC as themselves; everything else ASCII is left to the parser.
  const special = encoding === 'iso-2022-jp' ? /[^\x00-\x7f]|[\x0e\x0f\x1b]/ : /[^\x00-\x7f]/
  if (query === null || !special.test(query)) return target

  const encode = legacyEncoder(encoding)
  let url: URL
  try {
    url = new URL(target)
  } catch {
    // Unparseable: stored as authored; the resolver warns on it.
    return target
  }
  if (encode === null) return target

  url.search = '?' + percentEncode(encode(query))
  return url.href
}

/** The query as the URL parser reads it: from the first `?` to the first `#` after it. */
function rawQuery(target: string): string | null {
  const hash = target.indexOf('#')
  const question = target.indexOf('?')
  if (question < 0 || (hash >= 0 && hash < question)) return null
  return target.slice(question + 1, hash < 0 ? undefined : hash)
}

/** URL Standard, "percent-encode after encoding", with the URL error mode for unencodable characters. */
function percentEncode(bytes: ReturnType<NonNullable<ReturnType<typeof legacyEncoder>>>): string {
  let out = ''
  for (const item of bytes) {
    if (typeof item !== 'number') {
      out += `%26%23${item.unencodable}%3B`
    } else if (inSpecialQuerySet(item)) {
      out += '%' + item.toString(16).toUpperCase().padStart(2, '0')
    } else {
      out += String.fromCharCode(item)
    }
  }
  return out
}
