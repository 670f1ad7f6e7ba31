/**
 * Header blocks and Content-Type parameters (RFC 5322, RFC 2045, RFC 2231)
 * for the MIME walker. Everything works on binary strings and records byte
 * offsets, so the serializer can edit a field in place.
 */

import type { LineEnding } from './qp.js'

// Header fields the parser reads; others are never interpreted.
const WANTED_FIELDS = new Set([
  'content-type',
  'content-transfer-encoding',
  'content-disposition',
  'message-id',
])

// Charsets in which ASCII bytes do not stand for ASCII characters, so a URL

// RFC 2045 5.1: `type "/" subtype`, tokens; surrounding blanks tolerated.
const MEDIA_TYPE = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*\/\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)/

// RFC 2231 3 and 4: `name*`, `name*0`, `name*1*`.
const EXTENDED_PARAM = /^([^*]+)\*(\d+)?(\*)?$/

/** One header field: its first occurrence, unfolded, with its byte range. */
export interface HeaderField {
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
export interface Head {
  fields: Map<string, HeaderField>
  /** Offset of the blank line that ends the header block. */
  headerEnd: number
  /** Offset of the first body byte, or null when there is no blank line. */
  bodyStart: number | null
  lineEnding: LineEnding
}

export interface ContentType {
  mediaType: string
  params: Map<string, string>
}

/** RFC 2045 6.1: lower-cased and trimmed; `7bit` when absent or empty. */
export function transferEncoding(head: Head): string {
  return head.fields.get('content-transfer-encoding')?.value.trim().toLowerCase() || '7bit'
}

/** RFC 2183 2: the disposition type, lower-cased, or '' when absent. */
export function disposition(head: Head): string {
  const value = head.fields.get('content-disposition')?.value ?? ''
  return value.split(';')[0].trim().toLowerCase()
}

/** The Message-ID without angle brackets and whitespace, or null. */
export function readMessageId(head: Head): string | null {
  const value = head.fields.get('message-id')?.value.trim() ?? ''
  const bracketed = /<([^>]*)>/.exec(value)
  const id = (bracketed ? bracketed[1] : value).replace(/[\s<>]+/g, '')
  return id === '' ? null : id
}

// Header block

/**
 * RFC 5322 2.1: the header block ends at the first empty line (CRLF CRLF or
 * LF LF), or is empty when the entity starts with a line break. Without an
 * empty line the whole entity is header and there is no body.
 */
export function readHead(source: string, start: number, end: number): Head {
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
export function lineBreakAt(text: string, at: number, end: number): number {
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
export function parseContentType(value: string | undefined, fallback: string): ContentType {
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
