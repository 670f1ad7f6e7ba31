/**
 * The MIME layer's view of a message: a tree of entities whose leaves can be
 * decoded, handed to a scanner, and re-encoded only when their text changed.
 */

import type { LineEnding } from './qp.js'

/** Why a part was passed through untouched or handled with care. Stable codes. */
export type PartFlag =
  /** Uuencode and the like on a text part, or any undefined encoding on a message: passed through. */
  | 'unknown_transfer_encoding'
  /** A text part labelled with an undefined encoding (`8bit+`): read as its raw bytes. */
  | 'invalid_transfer_encoding'
  | 'encoded_multipart'
  | 'missing_boundary'
  | 'missing_close_boundary'
  | 'no_body'
  /** A charset that cannot be handled byte-exactly (UTF-7, UTF-32, ISO-2022-KR…): passed through. */
  | 'unsupported_charset'
  /** A label no decoder knows: read as UTF-8 when valid, else windows-1252; bytes kept. */
  | 'unknown_charset'
  /** A damaged label read by its first word (`utf-8 xyz`, `_iso-2022-jp$ESC`). */
  | 'repaired_charset'
  /** Bytes invalid in a charset that must be decoded first (UTF-16, ISO-2022-JP): passed through. */
  | 'charset_undecodable'
  /** An edit could not be proven byte-exact in the part's charset: passed through. */
  | 'charset_roundtrip_failed'
  | 'max_depth'
  | 'malformed_base64'
  | 'attachment'
  | 'not_a_message'
  /** message/rfc822 or message/global sent base64 or quoted-printable: passed through. */
  | 'encoded_message'
  /** A changed 7bit/8bit leaf got a line over 998 octets and was re-encoded as QP. */
  | 'reencoded_quoted_printable'
  /** The message has more entities than the parser walks; the rest passed through. */
  | 'too_many_parts'
  /** Over the message size limit. */
  | 'message_too_large'
  /** More links than the per-message limit; the rest passed through (or defanged). */
  | 'too_many_links'
  /** A link longer than the URL length limit. */
  | 'url_too_long'
  /** The time budget ran out before this part was scanned. */
  | 'time_limit'

/** A text part the rewriter may edit. */
export interface TextLeaf {
  /** IMAP-style part number: "1", "1.2", … ("1" for a single-part message). */
  path: string
  /** Lower-cased `type/subtype`, e.g. `text/html`. */
  contentType: string
  /** Lower-cased charset parameter, or null when absent. */
  charset: string | null
  /** Lower-cased Content-Transfer-Encoding, `7bit` when absent. */
  transferEncoding: string
  /** `format=flowed` parameter of text/plain, lower-cased, or null. */
  format: string | null
  /** True inside an attached message (message/rfc822), false in the message itself. */
  embedded: boolean
  /** RFC 3676 4.2 `delsp=yes`: the space before a flowed line break is deleted when joining. */
  delSp: boolean
  /** Body after transfer decoding, as a binary string (one code unit per byte). */
  decoded: string
  /** Found below the depth limit (only when the parser was asked to walk past it). */
  overDepth: boolean
}

export interface MimeFlag {
  /** The part's path; '' for the message itself (its header block or top-level multipart). */
  part: string
  reason: PartFlag
}

/** The parsed message. Opaque to callers except for its leaves and flags. */
export interface MimeMessage {
  /** Text leaves in document order (text/html and text/plain, not attachments). */
  leaves: TextLeaf[]
  /** Parts that were passed through untouched or need a note in the summary. */
  flags: MimeFlag[]
  /** The top-level Message-ID header value with angle brackets removed, or null. */
  messageId: string | null
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
  /** The input bytes themselves: unchanged ranges are copied from here when serializing. */
  readonly bytes: Uint8Array
  /** Each text leaf's location, keyed by its path. */
  readonly slots: ReadonlyMap<string, LeafSlot>
}

/** The result of serializing. */
export interface SerializedMime {
  bytes: Uint8Array
  /** Flags raised while serializing (e.g. `reencoded_quoted_printable`); parse flags stay on the message. */
  flags: MimeFlag[]
}
