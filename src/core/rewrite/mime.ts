/**
 * MIME parse and serialize for the link rewriter.
 *
 * The parser never copies or normalises the message: it records where each
 * text leaf's body lives in the original bytes. Serializing splices new bodies
 * into those ranges and copies every other byte as it was, so a message with
 * nothing to rewrite comes back byte for byte (and its DKIM body hash holds).
 */

import { binaryToBytes, bytesToBinary } from '../bytes.js'
import { BASE64_MAX_LINE, decodeBase64Body, encodeBase64Body } from './base64.js'
import type { MimeFlag, MimeMessage, PartFlag, TextLeaf } from './mime-types.js'
import {
  decodeQuotedPrintable,
  encodeQuotedPrintable,
  reencodeQuotedPrintable,
  type LineEnding,
} from './qp.js'

/**
 * Default nesting limit for multipart and message entities. Protects against
 * messages built to exhaust time or memory with deep nesting; entities below
 * it are passed through unparsed.
 */
export const MAX_MIME_DEPTH = 32

/**
 * Most entities parsed in one message. Protects against a message with a huge
 * number of tiny parts turning into a huge tree; the rest is passed through.
 */
export const MAX_MIME_PARTS = 10_000

/**
 * RFC 5322 2.1.1: a line must not exceed 998 octets without its CRLF. Relays
 * cut longer lines, which breaks any link they cut through.
 */
export const MAX_LINE_OCTETS = 998

/** How deep to parse and whether to look inside attached messages. */
export interface MimeOptions {
  /** Nesting limit counting every multipart and message level; default MAX_MIME_DEPTH. */
  maxDepth: number
  /** Parse message/rfc822 parts with `Content-Disposition: attachment`; default true. */
  rewriteAttachedMessages?: boolean
}

/** Where a text leaf lives in the source and what serializing it needs. */
export interface LeafSlot {
  /** Offset of the first body byte, after the blank line. */
  bodyStart: number
  /** Offset just past the body: before the line break of the next delimiter, or the end. */
  bodyEnd: number
  transferEncoding: string
  /** Line ending the body uses (or its header block, for a body without one). */
  lineEnding: LineEnding
  /** The decoded body as parsed: a replacement equal to it changes nothing. */
  decoded: string
  /** The Content-Transfer-Encoding value range (after the colon), or null when absent. */
  transferEncodingValue: { start: number; end: number } | null
  /** Where to insert a Content-Transfer-Encoding field when there is none. */
  headerInsertAt: number
  /** Line ending for an inserted header field. */
  headerLineEnding: LineEnding
}

/** A parsed message: the MimeMessage view plus what serializeMime needs. */
export interface ParsedMime extends MimeMessage {
  /** The whole input as a binary string; every offset points into it. */
  readonly source: string
  /** Each text leaf's location, keyed by its path. */
  readonly slots: ReadonlyMap<string, LeafSlot>
}

/** The result of serializing. */
export interface SerializedMime {
  bytes: Uint8Array
  /** Flags raised while serializing (e.g. `reencoded_quoted_printable`); parse flags stay on the message. */
  flags: MimeFlag[]
}

// RFC 2045 6.2: these mean "no encoding"; the body bytes are the content.
const IDENTITY_ENCODINGS = new Set(['7bit', '8bit', 'binary'])

// RFC 2046 5.2.1 / RFC 6532 3.5: types whose body is a whole message.
const MESSAGE_TYPES = new Set(['message/rfc822', 'message/global'])

const TEXT_TYPES = new Set(['text/plain', 'text/html'])

// Header fields the parser reads; others are never interpreted.
const WANTED_FIELDS = new Set([
  'content-type',
  'content-transfer-encoding',
  'content-disposition',
  'message-id',
])

// Charsets in which ASCII bytes do not stand for ASCII characters, so a URL
// cannot be found or written byte-wise. Matched against the lower-cased label.
const NON_ASCII_COMPATIBLE = [
  /^utf-?(?:16|32)/,
  /^ucs-?[24]/,
  /^iso-10646-ucs-[24]/,
  /^utf-?7/,
  /^unicode-1-1-utf-7$/,
  /^csunicode11utf7$/,
  /^unicode(?:fffe|feff)?$/,
  /^csunicode$/,
  /^iso-?2022/,
  /^csiso2022/,
  /^hz-gb-2312$/,
]

// RFC 2045 5.1: `type "/" subtype`, tokens; surrounding blanks tolerated.
const MEDIA_TYPE = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*\/\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)/

// RFC 2231 3 and 4: `name*`, `name*0`, `name*1*`.
const EXTENDED_PARAM = /^([^*]+)\*(\d+)?(\*)?$/

/** One header field: its first occurrence, unfolded, with its byte range. */
interface HeaderField {
  value: string
  /** Offset just after the colon. */
  valueStart: number
  /** Offset of the field's final line break. */
  valueEnd: number
  /** Offset just after the field's final line break. */
  end: number
  lineBreak: LineEnding
}

/** An entity's header block and where its body starts. */
interface Head {
  fields: Map<string, HeaderField>
  /** Offset of the blank line that ends the header block. */
  headerEnd: number
  /** Offset of the first body byte, or null when there is no blank line. */
  bodyStart: number | null
  lineEnding: LineEnding
}

interface ContentType {
  mediaType: string
  params: Map<string, string>
}

/** An entity waiting to be parsed. */
interface Pending {
  start: number
  end: number
  /** The entity's own path, or for a message root the path of the message. */
  path: string
  /** A whole message (top level or inside message/rfc822): numbered the IMAP way. */
  isMessageRoot: boolean
  /** Inside an attached message (message/rfc822) rather than the top-level message. */
  embedded: boolean
  /** Multipart and message levels above this entity. */
  depth: number
  /** Content type when the entity has none (RFC 2046 5.1.5 for multipart/digest). */
  defaultType: string
}

/** A parsed entity on its way to one of the visitors. */
interface Entity {
  pending: Pending
  head: Head & { bodyStart: number }
  type: ContentType
  path: string
}

interface Walk {
  source: string
  maxDepth: number
  rewriteAttachedMessages: boolean
  stack: Pending[]
  entities: number
  leaves: TextLeaf[]
  flags: MimeFlag[]
  slots: Map<string, LeafSlot>
}

/**
 * Parses a message into text leaves and flags. Never throws on malformed
 * input: whatever cannot be parsed is passed through and flagged.
 */
export function parseMime(bytes: Uint8Array, options: Partial<MimeOptions> = {}): ParsedMime {
  const source = bytesToBinary(bytes)
  const walk: Walk = {
    source,
    maxDepth: options.maxDepth ?? MAX_MIME_DEPTH,
    rewriteAttachedMessages: options.rewriteAttachedMessages ?? true,
    stack: [],
    entities: 1,
    leaves: [],
    flags: [],
    slots: new Map(),
  }

  const root: Pending = {
    start: 0,
    end: source.length,
    path: '',
    isMessageRoot: true,
    embedded: false,
    depth: 0,
    defaultType: 'text/plain',
  }
  const rootHead = visit(walk, root)

  // An explicit stack instead of recursion: deep input cannot overflow the JS stack.
  for (let next = walk.stack.pop(); next; next = walk.stack.pop()) visit(walk, next)

  return {
    leaves: walk.leaves,
    flags: walk.flags,
    messageId: readMessageId(rootHead),
    source,
    slots: walk.slots,
  }
}

/** Parses one entity's header and hands it to the visitor for its type. */
function visit(walk: Walk, pending: Pending): Head {
  const head = readHead(walk.source, pending.start, pending.end)
  const { bodyStart } = head
  if (bodyStart === null) {
    flag(walk, pending.path, 'no_body')
    return head
  }

  const type = parseContentType(head.fields.get('content-type')?.value, pending.defaultType)
  const isMultipart = type.mediaType.startsWith('multipart/')
  const entity: Entity = {
    pending,
    head: { ...head, bodyStart },
    type,
    path: entityPath(pending, isMultipart),
  }

  if (isMultipart) visitMultipart(walk, entity)
  else if (MESSAGE_TYPES.has(type.mediaType)) visitMessage(walk, entity)
  else if (TEXT_TYPES.has(type.mediaType)) visitText(walk, entity)
  return head
}

/**
 * IMAP part numbers (RFC 3501 6.4.5): a multipart's children are numbered
 * below it; a message's multipart body takes the message's own number, and a
 * single-part body is part 1 of its message ("1" at the top level).
 */
function entityPath(pending: Pending, isMultipart: boolean): string {
  if (!pending.isMessageRoot || isMultipart) return pending.path
  return pending.path === '' ? '1' : `${pending.path}.1`
}

function flag(walk: Walk, part: string, reason: PartFlag): void {
  walk.flags.push({ part, reason })
}

/** RFC 2046 5.1: splits a multipart body into parts and queues them. */
function visitMultipart(walk: Walk, entity: Entity): void {
  const { path, pending, head, type } = entity
  if (pending.depth >= walk.maxDepth) return flag(walk, path, 'max_depth')

  // RFC 2045 6.4: only identity encodings are allowed on a multipart. Clients
  // ignore any other value and read the body as is, so we do the same.
  if (!IDENTITY_ENCODINGS.has(transferEncoding(head))) flag(walk, path, 'encoded_multipart')

  const boundary = type.params.get('boundary')
  if (!boundary) return flag(walk, path, 'missing_boundary')

  const budget = MAX_MIME_PARTS - walk.entities
  const split = splitMultipart(walk.source, head.bodyStart, pending.end, boundary, budget)
  if (split.parts.length === 0) return flag(walk, path, 'missing_boundary')
  if (split.parts.length > budget) return flag(walk, path, 'too_many_parts')
  if (!split.closed) flag(walk, path, 'missing_close_boundary')

  walk.entities += split.parts.length
  const defaultType = type.mediaType === 'multipart/digest' ? 'message/rfc822' : 'text/plain'
  // Pushed last-to-first so the stack pops them in document order.
  for (let i = split.parts.length - 1; i >= 0; i--) {
    const part = split.parts[i]
    walk.stack.push({
      start: part.start,
      end: part.end,
      path: path === '' ? `${i + 1}` : `${path}.${i + 1}`,
      isMessageRoot: false,
      embedded: pending.embedded,
      depth: pending.depth + 1,
      defaultType,
    })
  }
}

/** message/rfc822 and message/global: the body is a message of its own. */
function visitMessage(walk: Walk, entity: Entity): void {
  const { path, pending, head } = entity
  if (pending.depth >= walk.maxDepth) return flag(walk, path, 'max_depth')

  // RFC 2046 5.2.1 forbids encoding message/rfc822; a base64 or QP one would
  // have to be decoded and re-encoded as a whole, so it is passed through.
  const encoding = transferEncoding(head)
  if (encoding === 'base64' || encoding === 'quoted-printable') {
    return flag(walk, path, 'encoded_message')
  }
  if (!IDENTITY_ENCODINGS.has(encoding)) return flag(walk, path, 'unknown_transfer_encoding')

  if (!walk.rewriteAttachedMessages && disposition(head) === 'attachment') {
    return flag(walk, path, 'attachment')
  }
  if (walk.entities >= MAX_MIME_PARTS) return flag(walk, path, 'too_many_parts')

  walk.entities++
  walk.stack.push({
    start: head.bodyStart,
    end: pending.end,
    path,
    isMessageRoot: true,
    embedded: true,
    depth: pending.depth + 1,
    defaultType: 'text/plain',
  })
}

/** text/plain and text/html that are not attachments become leaves. */
function visitText(walk: Walk, entity: Entity): void {
  const { path, pending, head, type } = entity
  if (disposition(head) === 'attachment') return

  const encoding = transferEncoding(head)
  const known = IDENTITY_ENCODINGS.has(encoding) || encoding === 'quoted-printable'
  if (!known && encoding !== 'base64') return flag(walk, path, 'unknown_transfer_encoding')

  const charset = type.params.get('charset')?.trim().toLowerCase() || null
  if (charset !== null && !isAsciiCompatible(charset)) {
    return flag(walk, path, 'charset_not_ascii_compatible')
  }

  const body = walk.source.slice(head.bodyStart, pending.end)
  const decoded = decodeBody(body, encoding)
  if (decoded === null) return flag(walk, path, 'malformed_base64')

  walk.leaves.push({
    path,
    contentType: type.mediaType,
    charset,
    transferEncoding: encoding,
    format: type.mediaType === 'text/plain' ? lowerParam(type, 'format') : null,
    embedded: pending.embedded,
    decoded,
  })
  walk.slots.set(path, makeSlot(entity, body, encoding, decoded))
}

function decodeBody(body: string, encoding: string): string | null {
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body)
  if (encoding === 'base64') return decodeBase64Body(body)
  return body
}

function makeSlot(entity: Entity, body: string, encoding: string, decoded: string): LeafSlot {
  const { head, pending } = entity
  const cte = head.fields.get('content-transfer-encoding')
  const contentType = head.fields.get('content-type')
  return {
    bodyStart: head.bodyStart,
    bodyEnd: pending.end,
    transferEncoding: encoding,
    lineEnding: detectLineEnding(body, head.lineEnding),
    decoded,
    transferEncodingValue: cte ? { start: cte.valueStart, end: cte.valueEnd } : null,
    headerInsertAt: contentType ? contentType.end : head.headerEnd,
    headerLineEnding: contentType ? contentType.lineBreak : head.lineEnding,
  }
}

function lowerParam(type: ContentType, name: string): string | null {
  return type.params.get(name)?.trim().toLowerCase() || null
}

/** The line ending of the first line break in `text`, or `fallback` when it has none. */
function detectLineEnding(text: string, fallback: LineEnding): LineEnding {
  const newline = text.indexOf('\n')
  if (newline < 0) return fallback
  return newline > 0 && text.charCodeAt(newline - 1) === 0x0d ? '\r\n' : '\n'
}

function isAsciiCompatible(charset: string): boolean {
  return !NON_ASCII_COMPATIBLE.some((pattern) => pattern.test(charset))
}

/** RFC 2045 6.1: lower-cased and trimmed; `7bit` when absent or empty. */
function transferEncoding(head: Head): string {
  return head.fields.get('content-transfer-encoding')?.value.trim().toLowerCase() || '7bit'
}

/** RFC 2183 2: the disposition type, lower-cased, or '' when absent. */
function disposition(head: Head): string {
  const value = head.fields.get('content-disposition')?.value ?? ''
  return value.split(';')[0].trim().toLowerCase()
}

/** The Message-ID without angle brackets and whitespace, or null. */
function readMessageId(head: Head): string | null {
  const value = head.fields.get('message-id')?.value.trim() ?? ''
  const bracketed = /<([^>]*)>/.exec(value)
  const id = (bracketed ? bracketed[1] : value).replace(/[\s<>]+/g, '')
  return id === '' ? null : id
}

// ---------------------------------------------------------------------------
// Header block

/**
 * RFC 5322 2.1: the header block ends at the first empty line (CRLF CRLF or
 * LF LF), or is empty when the entity starts with a line break. Without an
 * empty line the whole entity is header and there is no body.
 */
function readHead(source: string, start: number, end: number): Head {
  // Work on a slice so that no search runs past this entity: many small parts
  // next to a huge one must not each scan the huge one.
  const text = source.slice(start, end)
  const blank = findBlankLine(text)
  const fields = readFields(text, blank ? blank.headerEnd : text.length, start)
  if (blank === null) return { fields, headerEnd: end, bodyStart: null, lineEnding: '\r\n' }

  return {
    fields,
    headerEnd: start + blank.headerEnd,
    bodyStart: start + blank.bodyStart,
    lineEnding: blank.lineEnding,
  }
}

function findBlankLine(
  text: string,
): { headerEnd: number; bodyStart: number; lineEnding: LineEnding } | null {
  const first = lineBreakAt(text, 0, text.length)
  if (first > 0) return { headerEnd: 0, bodyStart: first, lineEnding: breakOf(first) }

  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    const length = lineBreakAt(text, i + 1, text.length)
    if (length > 0) {
      return { headerEnd: i + 1, bodyStart: i + 1 + length, lineEnding: breakOf(length) }
    }
  }
  return null
}

/** Length of the line break (2 for CRLF, 1 for LF) at `at`, or 0. */
function lineBreakAt(text: string, at: number, end: number): number {
  if (at < end && text.charCodeAt(at) === 0x0a) return 1
  if (at + 1 < end && text.charCodeAt(at) === 0x0d && text.charCodeAt(at + 1) === 0x0a) return 2
  return 0
}

function breakOf(length: number): LineEnding {
  return length === 2 ? '\r\n' : '\n'
}

/**
 * Reads the fields the parser needs from `text` up to `end`; offsets are
 * stored plus `base`. RFC 5322 2.2.3: a line starting with a blank continues
 * the previous field; unfolding drops the line breaks. Names are
 * case-insensitive and the first occurrence wins. Lines without a colon (an
 * mbox `From ` line, junk) are skipped.
 */
function readFields(text: string, end: number, base: number): Map<string, HeaderField> {
  const fields = new Map<string, HeaderField>()
  let name: string | null = null
  let field: HeaderField | null = null

  for (let pos = 0; pos < end;) {
    const line = readLine(text, pos, end)
    const first = text.charCodeAt(pos)

    if ((first === 0x20 || first === 0x09) && field) {
      field.valueEnd = line.contentEnd
      field.end = line.end
      field.lineBreak = line.lineBreak
    } else {
      if (name !== null && field) storeField(text, fields, name, field, base)
      const colon = text.slice(pos, line.contentEnd).indexOf(':')
      name =
        colon < 0
          ? null
          : text
              .slice(pos, pos + colon)
              .trim()
              .toLowerCase()
      field = colon < 0 ? null : newField(pos + colon + 1, line)
    }
    pos = line.end
  }

  if (name !== null && field) storeField(text, fields, name, field, base)
  return fields
}

function newField(
  valueStart: number,
  line: { contentEnd: number; end: number; lineBreak: LineEnding },
): HeaderField {
  const { contentEnd, end, lineBreak } = line
  return { value: '', valueStart, valueEnd: contentEnd, end, lineBreak }
}

function readLine(
  text: string,
  pos: number,
  end: number,
): { contentEnd: number; end: number; lineBreak: LineEnding } {
  const newline = text.indexOf('\n', pos)
  if (newline < 0 || newline >= end) return { contentEnd: end, end, lineBreak: '\r\n' }
  const crlf = newline > pos && text.charCodeAt(newline - 1) === 0x0d
  return {
    contentEnd: crlf ? newline - 1 : newline,
    end: newline + 1,
    lineBreak: crlf ? '\r\n' : '\n',
  }
}

function storeField(
  text: string,
  fields: Map<string, HeaderField>,
  name: string,
  field: HeaderField,
  base: number,
): void {
  if (!WANTED_FIELDS.has(name) || fields.has(name)) return
  fields.set(name, {
    value: text.slice(field.valueStart, field.valueEnd).replace(/\r?\n/g, '').trim(),
    valueStart: base + field.valueStart,
    valueEnd: base + field.valueEnd,
    end: base + field.end,
    lineBreak: field.lineBreak,
  })
}

// ---------------------------------------------------------------------------
// Content-Type

/**
 * RFC 2045 5.1. A missing or unparsable Content-Type gives the default (RFC
 * 2045 5.2: text/plain; RFC 2046 5.1.5: message/rfc822 inside a digest).
 */
function parseContentType(value: string | undefined, fallback: string): ContentType {
  const match = value === undefined ? null : MEDIA_TYPE.exec(value)
  if (value === undefined || !match) return { mediaType: fallback, params: new Map() }
  return {
    mediaType: `${match[1]}/${match[2]}`.toLowerCase(),
    params: parseParams(value.slice(match[0].length)),
  }
}

/**
 * Parameters `; name=value` with quoted-string values (RFC 2045 5.1) and RFC
 * 2231 continuations and encoded values. Tolerant: missing semicolons, blanks
 * around `=`, unterminated quotes. Names are lower-cased; values kept as is.
 */
function parseParams(text: string): Map<string, string> {
  const plain = new Map<string, string>()
  const extended = new Map<string, Map<number, { value: string; encoded: boolean }>>()
  let pos = 0

  while (pos < text.length) {
    pos = skipSeparators(text, pos)
    if (pos >= text.length) break

    const param = readParam(text, pos)
    pos = param.end
    if (param.value === null || param.name === '') continue
    addParam(plain, extended, param.name, param.value)
  }

  for (const [name, sections] of extended) {
    if (!plain.has(name)) plain.set(name, joinSections(sections))
  }
  return plain
}

function skipSeparators(text: string, pos: number): number {
  let at = pos
  while (at < text.length && /[;\s]/.test(text[at])) at++
  return at
}

/** One `name=value` (or a bare `name`) starting at `pos`. */
function readParam(text: string, pos: number): { name: string; value: string | null; end: number } {
  let at = pos
  while (at < text.length && text[at] !== '=' && text[at] !== ';') at++
  const name = text.slice(pos, at).trim().toLowerCase()
  if (text[at] !== '=') return { name, value: null, end: at }

  at++
  while (at < text.length && /\s/.test(text[at])) at++
  if (text[at] === '"') return { name, ...readQuoted(text, at + 1) }

  let stop = text.indexOf(';', at)
  if (stop < 0) stop = text.length
  return { name, value: text.slice(at, stop).trim(), end: stop }
}

/** RFC 5322 3.2.4 quoted-string from after its opening quote; tolerant of a missing close. */
function readQuoted(text: string, pos: number): { value: string; end: number } {
  let value = ''
  let at = pos
  while (at < text.length && text[at] !== '"') {
    if (text[at] === '\\' && at + 1 < text.length) at++
    value += text[at]
    at++
  }
  // Anything between the closing quote and the next `;` is junk.
  let stop = text.indexOf(';', at)
  if (stop < 0) stop = text.length
  return { value, end: stop }
}

function addParam(
  plain: Map<string, string>,
  extended: Map<string, Map<number, { value: string; encoded: boolean }>>,
  name: string,
  value: string,
): void {
  const match = EXTENDED_PARAM.exec(name)
  if (!match) {
    if (!plain.has(name)) plain.set(name, value)
    return
  }

  const [, base, section, star] = match
  const encoded = section === undefined || star !== undefined
  const sections = extended.get(base) ?? new Map<number, { value: string; encoded: boolean }>()
  const index = section === undefined ? 0 : Number(section)
  if (!sections.has(index)) sections.set(index, { value, encoded })
  extended.set(base, sections)
}

/**
 * RFC 2231 3-4: sections 0, 1, … in order; encoded ones are %XX escaped and
 * the first carries `charset'language'`. The result stays a binary string.
 */
function joinSections(sections: Map<number, { value: string; encoded: boolean }>): string {
  let out = ''
  for (let i = 0; sections.has(i); i++) {
    const section = sections.get(i)
    if (!section) break
    let value = section.value
    if (section.encoded && i === 0) value = value.replace(/^[^']*'[^']*'/, '')
    if (section.encoded) {
      value = value.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
        String.fromCharCode(parseInt(hex, 16)),
      )
    }
    out += value
  }
  return out
}

// ---------------------------------------------------------------------------
// Multipart body

interface Delimiter {
  /** Offset of the line break before `--boundary` (RFC 2046 5.1.1: it belongs to the delimiter). */
  start: number
  /** Offset after the delimiter line's own line break. */
  end: number
  close: boolean
}

/**
 * Finds the parts of a multipart body in [start, end). Preamble and epilogue
 * are simply not part of any part. Stops looking after `budget + 1` parts.
 */
function splitMultipart(
  source: string,
  start: number,
  end: number,
  boundary: string,
  budget: number,
): { parts: { start: number; end: number }[]; closed: boolean } {
  // Searching a slice bounds each indexOf to this entity, so nested
  // multiparts cost O(size x depth) rather than O(size x parts).
  const body = source.slice(start, end)
  const delimiters = findDelimiters(body, boundary, budget + 2)
  const parts: { start: number; end: number }[] = []

  for (let i = 0; i < delimiters.length && !delimiters[i].close; i++) {
    const partEnd = i + 1 < delimiters.length ? delimiters[i + 1].start : body.length
    parts.push({ start: start + delimiters[i].end, end: start + partEnd })
  }

  const closed = delimiters.some((delimiter) => delimiter.close)
  return { parts, closed }
}

/**
 * RFC 2046 5.1.1: a delimiter is `--boundary` at the start of a line, then
 * `--` for the close delimiter, then optional transport padding (blanks), then
 * the line end. Search stops at the close delimiter: the rest is epilogue.
 */
function findDelimiters(body: string, boundary: string, limit: number): Delimiter[] {
  const marker = '--' + boundary
  const found: Delimiter[] = []
  let from = 0

  while (found.length < limit) {
    const at = body.indexOf(marker, from)
    if (at < 0) break

    const lineStart = at === 0 || body.charCodeAt(at - 1) === 0x0a
    const line = lineStart ? readDelimiterLine(body, at + marker.length) : null
    if (!line) {
      from = at + 1
      continue
    }

    const previousEnd = found.length > 0 ? found[found.length - 1].end : 0
    const breakStart = at >= 2 && body.charCodeAt(at - 2) === 0x0d ? at - 2 : Math.max(0, at - 1)
    found.push({ start: Math.max(previousEnd, breakStart), end: line.end, close: line.close })
    if (line.close) break
    from = line.end
  }

  return found
}

/** The rest of a delimiter line after `--boundary`, or null when the line is something else. */
function readDelimiterLine(body: string, pos: number): { end: number; close: boolean } | null {
  const close = body.startsWith('--', pos)
  let at = close ? pos + 2 : pos
  while (at < body.length && (body[at] === ' ' || body[at] === '\t')) at++

  if (at === body.length) return { end: at, close }
  const length = lineBreakAt(body, at, body.length)
  return length > 0 ? { end: at + length, close } : null
}

// ---------------------------------------------------------------------------
// Serialize

interface Edit {
  start: number
  end: number
  text: string
}

/**
 * Writes the message back with the given leaves replaced. `replacements` maps
 * a leaf path to its new decoded body (binary string). Every byte outside the
 * changed leaves' bodies is copied; with an empty map the output equals the
 * input. A replacement equal to the parsed body changes nothing. Throws a
 * RangeError for a path that is not a leaf of this message.
 */
export function serializeMime(
  message: ParsedMime,
  replacements: ReadonlyMap<string, string>,
): SerializedMime {
  const edits: Edit[] = []
  const flags: MimeFlag[] = []

  for (const [path, text] of replacements) {
    const slot = message.slots.get(path)
    if (!slot) throw new RangeError(`no text leaf at MIME part "${path}"`)
    if (text === slot.decoded) continue
    edits.push(...editLeaf(message.source, path, slot, text, flags))
  }

  edits.sort((a, b) => a.start - b.start)
  return { bytes: binaryToBytes(applyEdits(message.source, edits)), flags }
}

function applyEdits(source: string, edits: Edit[]): string {
  const pieces: string[] = []
  let pos = 0
  for (const edit of edits) {
    pieces.push(source.slice(pos, edit.start), edit.text)
    pos = edit.end
  }
  pieces.push(source.slice(pos))
  return pieces.join('')
}

/** The edits that give one leaf its new decoded body, in its own transfer encoding. */
function editLeaf(
  source: string,
  path: string,
  slot: LeafSlot,
  text: string,
  flags: MimeFlag[],
): Edit[] {
  const original = source.slice(slot.bodyStart, slot.bodyEnd)
  const body = (replacement: string): Edit => ({
    start: slot.bodyStart,
    end: slot.bodyEnd,
    text: replacement,
  })

  if (slot.transferEncoding === 'quoted-printable') {
    return [body(reencodeQuotedPrintable(original, text, slot.lineEnding))]
  }
  if (slot.transferEncoding === 'base64') {
    return [body(reencodeBase64(original, text, slot.lineEnding))]
  }

  // RFC 5322 2.1.1: a 7bit/8bit line must stay within 998 octets, so a body
  // that grew past it switches to quoted-printable. `binary` has no limit.
  if (slot.transferEncoding === 'binary' || !hasLongLine(text)) return [body(text)]
  flags.push({ part: path, reason: 'reencoded_quoted_printable' })
  return [markQuotedPrintable(slot), body(encodeQuotedPrintable(text, slot.lineEnding))]
}

/** Rewrites the Content-Transfer-Encoding value in place, or inserts the field after Content-Type. */
function markQuotedPrintable(slot: LeafSlot): Edit {
  const value = slot.transferEncodingValue
  if (value) return { start: value.start, end: value.end, text: ' quoted-printable' }

  const field = 'Content-Transfer-Encoding: quoted-printable' + slot.headerLineEnding
  return { start: slot.headerInsertAt, end: slot.headerInsertAt, text: field }
}

function hasLongLine(text: string): boolean {
  let start = 0
  for (;;) {
    const newline = text.indexOf('\n', start)
    const end = newline < 0 ? text.length : newline
    const length = end - start - (end > start && text.charCodeAt(end - 1) === 0x0d ? 1 : 0)
    if (length > MAX_LINE_OCTETS) return true
    if (newline < 0) return false
    start = newline + 1
  }
}

/**
 * Base64 is re-encoded as a whole: same line length as the original's first
 * line (when it has several lines), same line ending, and the original's
 * trailing whitespace (the blank line some senders put before the delimiter).
 */
function reencodeBase64(original: string, text: string, lineEnding: LineEnding): string {
  const trimmed = original.slice(0, trimWhitespaceEnd(original))
  const trailing = original.slice(trimmed.length)
  const newline = trimmed.indexOf('\n')
  const firstLine = newline < 0 ? '' : trimmed.slice(0, newline).replace(/\r$/, '')
  const lineLength = firstLine.length > 0 ? firstLine.length : BASE64_MAX_LINE
  return encodeBase64Body(text, lineLength, lineEnding) + trailing
}

/** Length of `text` without trailing whitespace (a loop: a `\s+$` regex can backtrack quadratically). */
function trimWhitespaceEnd(text: string): number {
  let end = text.length
  while (end > 0 && ' \t\r\n\f\v'.includes(text[end - 1])) end--
  return end
}
