/**
 * A text part as its scanner sees it, and the way back to bytes.
 *
 * In an ASCII-compatible charset an HTML part is scanned on its bytes (markup
 * is ASCII there) and only link values are decoded. Plain text, and every
 * part in UTF-16 or ISO-2022-JP, is decoded first; an edit found in the text
 * is then mapped back to the bytes of the characters it covers, and the new
 * bytes are spliced in. Wherever the mapping rests on assumptions about the
 * charset, the result is decoded again and must give exactly the edited
 * text, so a byte-exact result is proven rather than hoped for.
 */

import { binaryToBytes, isAscii } from '../bytes.js'
import {
  type ByteDecoder,
  type PartCharset,
  byteDecoder,
  strictDecode,
  utf16Order,
} from './charset.js'
import { jisLayout, jisSplice } from './iso2022jp.js'
import { type ByteMap, IDENTITY_MAP, UTF16_MAP, multibyteMap, utf8Map } from './offsets.js'

/** One edit in document coordinates; `text` is ASCII (links, notices, defanged URLs). */
export interface Replacement {
  start: number
  end: number
  text: string
}

export interface LeafDocument {
  /** What the scanner reads: the bytes as a binary string, or decoded text. */
  text: string
  /** Turns the raw characters of an HTML attribute value into text. */
  decodeValue: ByteDecoder
  /** The encoding a browser percent-encodes query strings of this document's links in. */
  urlEncoding: string
  /** The new body (binary string), or null when a byte-exact result cannot be proven. */
  write(replacements: readonly Replacement[]): Written | null
}

/**
 * A rewritten body and where it changed, so that re-encoding can skip the
 * rest. The whole body is built only when asked for: a quoted-printable part
 * rendered for many recipients never needs it.
 */
export interface Written {
  body(): string
  /** Changed ranges in the old body's coordinates, sorted, with their new bytes. */
  spans: BodySpan[]
}

export interface BodySpan {
  start: number
  end: number
  /** The new bytes (binary string). */
  text: string
}

/** Why a part could not be turned into a document; the part then passes through. */
export type DocumentFailure = 'charset_undecodable'

/** Builds the document for a part body (a binary string) of the given kind and charset. */
export function leafDocument(
  binary: string,
  kind: 'html' | 'text',
  charset: PartCharset,
): LeafDocument | DocumentFailure {
  if (charset.layout === 'ascii') {
    return kind === 'html' ? asciiHtml(binary, charset) : asciiText(binary, charset)
  }
  return decodedDocument(binary, charset)
}

/** HTML in an ASCII-compatible charset: scanned and edited on its bytes. */
function asciiHtml(binary: string, charset: PartCharset): LeafDocument {
  return {
    text: binary,
    decodeValue: byteDecoder(charset),
    urlEncoding: charset.encoding ?? 'utf-8',
    write: (replacements) => splice(binary, IDENTITY_MAP, replacements),
  }
}

/** Plain text in an ASCII-compatible charset: decoded, so that non-ASCII URLs are found. */
function asciiText(binary: string, charset: PartCharset): LeafDocument {
  const identity = (text: string) => text
  const base = { decodeValue: identity, urlEncoding: 'utf-8' }
  if (isAscii(binary)) {
    return { ...base, text: binary, write: (r) => splice(binary, IDENTITY_MAP, r) }
  }

  const encoding = charset.encoding ?? (isUtf8(binary) ? 'utf-8' : 'windows-1252')
  const text = strictDecode(encoding, binaryToBytes(binary))
  // Invalid bytes: fall back to the bytes themselves, which still finds every ASCII URL.
  if (text === null) return { ...base, text: binary, write: (r) => splice(binary, IDENTITY_MAP, r) }

  if (encoding === 'utf-8') {
    // Built on the first write and kept: a batch writes the same part once per recipient.
    let map: ByteMap | undefined
    return { ...base, text, write: (r) => splice(binary, (map ??= utf8Map(text)), r) }
  }
  if (text.length === binary.length) {
    return { ...base, text, write: (r) => splice(binary, IDENTITY_MAP, r) }
  }

  const map = multibyteMap(binary, encoding)
  return {
    ...base,
    text,
    write: (r) => verified(binary, text, encoding, splice(binary, map, r), r),
  }
}

function isUtf8(binary: string): boolean {
  return strictDecode('utf-8', binaryToBytes(binary)) !== null
}

/** UTF-16 and ISO-2022-JP: decoded first, HTML and text alike. */
function decodedDocument(binary: string, charset: PartCharset): LeafDocument | DocumentFailure {
  const encoding = charset.layout === 'iso-2022-jp' ? 'iso-2022-jp' : utf16Order(binary)
  const text = strictDecode(encoding, binaryToBytes(binary))
  if (text === null) return 'charset_undecodable'

  const base = {
    text,
    decodeValue: (raw: string) => raw,
    // WHATWG URL: a UTF-16 document's links are encoded as UTF-8.
    urlEncoding: encoding === 'iso-2022-jp' ? encoding : 'utf-8',
  }

  if (encoding !== 'iso-2022-jp') {
    const unit = encoding === 'utf-16le' ? utf16le : utf16be
    const write = (r: readonly Replacement[]) =>
      verified(binary, text, encoding, splice(binary, UTF16_MAP, r, unit), r)
    return { ...base, write }
  }

  const layout = jisLayout(binary)
  if (layout === null) return 'charset_undecodable'
  const write = (r: readonly Replacement[]) => {
    const spliced = spliceWith(binary, r, (edit) => {
      const start = layout.map.start(edit.start)
      const end = edit.end === edit.start ? start : layout.map.end(edit.end)
      const range = jisSplice(layout, start, end, edit.text)
      return range.start <= range.end ? range : null
    })
    return verified(binary, text, encoding, spliced, r)
  }
  return { ...base, write }
}

function utf16le(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) out += text[i] + '\x00'
  return out
}

function utf16be(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) out += '\x00' + text[i]
  return out
}

/** Splices ASCII replacements at mapped byte offsets, optionally transcoding them. */
function splice(
  binary: string,
  map: ByteMap,
  replacements: readonly Replacement[],
  encode: (text: string) => string = (text) => text,
): Written | null {
  return spliceWith(binary, replacements, (edit) => ({
    start: map.start(edit.start),
    end: Math.max(map.start(edit.start), map.end(edit.end)),
    bytes: encode(edit.text),
  }))
}

type ByteEdit = { start: number; end: number; bytes: string }

function spliceWith(
  binary: string,
  replacements: readonly Replacement[],
  toBytes: (edit: Replacement) => ByteEdit | null,
): Written | null {
  const sorted = [...replacements].sort((a, b) => a.start - b.start || a.end - b.end)
  const spans: BodySpan[] = []
  let cursor = 0

  for (const edit of sorted) {
    const range = toBytes(edit)
    if (range === null || range.start < cursor) return null
    spans.push({ start: range.start, end: range.end, text: range.bytes })
    cursor = range.end
  }
  return written(binary, spans)
}

/** A Written whose body is assembled from the original and the spans on first use. */
export function written(original: string, spans: BodySpan[]): Written {
  let body: string | null = null
  const build = () => {
    const pieces: string[] = []
    let cursor = 0
    for (const span of spans) {
      pieces.push(original.slice(cursor, span.start), span.text)
      cursor = span.end
    }
    pieces.push(original.slice(cursor))
    return pieces.join('')
  }
  return { spans, body: () => (body ??= build()) }
}

/** Accepts a spliced body only when it decodes to exactly the edited text. */
function verified(
  original: string,
  text: string,
  encoding: string,
  spliced: Written | null,
  replacements: readonly Replacement[],
): Written | null {
  if (spliced === null) return null
  if (replacements.length === 0) return written(original, [])

  const expected = applyReplacements(text, replacements)
  return strictDecode(encoding, binaryToBytes(spliced.body())) === expected ? spliced : null
}

/** Applies non-overlapping replacements to a string. */
export function applyReplacements(text: string, replacements: readonly Replacement[]): string {
  const sorted = [...replacements].sort((a, b) => a.start - b.start || a.end - b.end)
  let out = ''
  let cursor = 0
  for (const edit of sorted) {
    if (edit.start < cursor) continue
    out += text.slice(cursor, edit.start) + edit.text
    cursor = edit.end
  }
  return out + text.slice(cursor)
}

/** A bare body that is already text (an API or CLI body): edits are applied to the string. */
export function stringDocument(text: string): LeafDocument {
  return {
    text,
    decodeValue: (raw) => raw,
    urlEncoding: 'utf-8',
    write: (replacements) =>
      spliceWith(text, replacements, (edit) => ({ ...edit, bytes: edit.text })),
  }
}
