/**
 * MIME parse and serialize for the link rewriter.
 *
 * The parser never copies or normalises the message: it records where each
 * text leaf's body lives in the original bytes. Serializing splices new bodies
 * into those ranges and copies every other byte as it was, so a message with
 * nothing to rewrite comes back byte for byte (and its DKIM body hash holds).
 */

import { bytesToBinary } from '../bytes.js'
import { decodeBase64Body } from './base64.js'
import {
  type ContentType,
  type Head,
  disposition,
  parseContentType,
  readHead,
  readMessageId,
  transferEncoding,
} from './mime-headers.js'
import { splitMultipart } from './mime-multipart.js'
import type { LeafSlot, MimeFlag, ParsedMime, PartFlag, TextLeaf } from './mime-types.js'
import { type Deadline, MAX_MIME_DEPTH } from './limits.js'
import { decodeQuotedPrintable, type LineEnding } from './qp.js'

export type { LeafSlot, ParsedMime, SerializedMime } from './mime-types.js'
export { MAX_LINE_OCTETS, serializeMime } from './mime-serialize.js'

export { MAX_MIME_DEPTH }

/**
 * Most entities parsed in one message. Protects against a message with a huge
 * number of tiny parts turning into a huge tree; the rest is passed through.
 */
export const MAX_MIME_PARTS = 10_000

/** How deep to parse and whether to look inside attached messages. */
export interface MimeOptions {
  /** Nesting limit counting every multipart and message level; default MAX_MIME_DEPTH. */
  maxDepth: number
  /** Parse message/rfc822 parts with `Content-Disposition: attachment`; default true. */
  rewriteAttachedMessages?: boolean
  /**
   * Keep walking below `maxDepth`, marking what is found there `overDepth`, so
   * that a fail-closed rewriter can defang it; default false (passed through).
   */
  walkPastDepth?: boolean
  /** Stops the walk when it passes; what is left is flagged `time_limit` and passed through. */
  deadline?: Deadline
}

// RFC 2045 6.2: these mean "no encoding"; the body bytes are the content.
const IDENTITY_ENCODINGS = new Set(['7bit', '8bit', 'binary'])

/**
 * Encodings outside RFC 2045 that real software writes (uuencode, mostly
 * from old Outlook and Usenet tools): the body is encoded data, not text,
 * so it is not read as raw text the way a made-up label is.
 */
const REAL_NONSTANDARD_ENCODINGS = new Set(['x-uuencode', 'x-uue', 'uuencode', 'x-binhex'])

// RFC 2046 5.2.1 / RFC 6532 3.5: types whose body is a whole message.
const MESSAGE_TYPES = new Set(['message/rfc822', 'message/global'])

const TEXT_TYPES = new Set(['text/plain', 'text/html'])

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
  /** Below the depth limit (only walked with `walkPastDepth`). */
  overDepth: boolean
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
  walkPastDepth: boolean
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
    walkPastDepth: options.walkPastDepth ?? false,
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
    overDepth: false,
  }
  const rootHead = visit(walk, root)

  // An explicit stack instead of recursion: deep input cannot overflow the JS stack.
  for (let next = walk.stack.pop(); next; next = walk.stack.pop()) {
    if (options.deadline?.expired()) {
      for (const left of [next, ...walk.stack]) flag(walk, left.path, 'time_limit')
      break
    }
    visit(walk, next)
  }

  return {
    leaves: walk.leaves,
    flags: walk.flags,
    messageId: readMessageId(rootHead),
    source,
    bytes,
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
  if (!withinDepth(walk, pending, path)) return

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
      overDepth: pending.overDepth || pending.depth >= walk.maxDepth,
    })
  }
}

/** message/rfc822 and message/global: the body is a message of its own. */
function visitMessage(walk: Walk, entity: Entity): void {
  const { path, pending, head } = entity
  if (!withinDepth(walk, pending, path)) return

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
    overDepth: pending.overDepth || pending.depth >= walk.maxDepth,
  })
}

/** text/plain and text/html that are not attachments become leaves. */
function visitText(walk: Walk, entity: Entity): void {
  const { path, pending, head, type } = entity
  if (disposition(head) === 'attachment') return

  const written = transferEncoding(head)
  const known = IDENTITY_ENCODINGS.has(written) || written === 'quoted-printable'
  // RFC 2045 6.4 says to treat a part with an unknown encoding as opaque
  // data, but lenient clients (Outlook among them) show its bytes as text,
  // and kits label HTML `8bit+` or `hexa` so that filters following the RFC
  // skip its links. It is read as the raw text those clients show; `binary`
  // keeps its bytes and its header as written, with no line-length rule.
  if (REAL_NONSTANDARD_ENCODINGS.has(written)) return flag(walk, path, 'unknown_transfer_encoding')
  const bogus = !known && written !== 'base64'
  const encoding = bogus ? 'binary' : written
  if (bogus) flag(walk, path, 'invalid_transfer_encoding')

  const charset = type.params.get('charset')?.trim().toLowerCase() || null

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
    delSp: lowerParam(type, 'delsp') === 'yes',
    decoded,
    overDepth: pending.overDepth,
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

/**
 * At the depth limit an entity is flagged; it is then either passed through
 * unparsed, or (with `walkPastDepth`) walked with everything below it marked.
 */
function withinDepth(walk: Walk, pending: Pending, path: string): boolean {
  if (pending.depth < walk.maxDepth || pending.overDepth) return true

  flag(walk, path, 'max_depth')
  return walk.walkPastDepth
}
