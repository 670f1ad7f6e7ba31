/**
 * The top-level header block of a message, read in order with every
 * occurrence of every field. Sender authentication needs what the MIME
 * walker deliberately ignores: repeated fields, their order (RFC 8601
 * section 5 trust depends on position), and the From field.
 */

import { addressParser } from 'postal-mime'

import { binaryToBytes, bytesToBinary } from '../bytes.js'

export interface HeaderField {
  /** Lower-case field name. */
  name: string
  /** The value after the colon, unfolded, as a binary string. */
  value: string
}

export interface HeaderBlock {
  fields: HeaderField[]
  /** The line ending of the first header line; what fields we add use. */
  lineEnding: '\r\n' | '\n'
}

/**
 * Most header fields read. A real block has tens to a few hundred; a block
 * of millions of one-byte lines must not turn into millions of objects.
 */
export const MAX_HEADER_FIELDS = 2_000

/**
 * Most header bytes read. RFC 5322 sets no limit, but real header blocks are
 * a few KiB; this keeps a message that is all header from being read twice.
 */
export const MAX_HEADER_BYTES = 1024 * 1024

/** The header block of a message: only its first bytes are looked at. */
export function readMessageHeader(message: Uint8Array): HeaderBlock {
  const head = message.subarray(0, MAX_HEADER_BYTES)
  let end = head.length
  for (let i = head.indexOf(0x0a); i >= 0; i = head.indexOf(0x0a, i + 1)) {
    const next = head[i + 1] === 0x0d ? i + 2 : i + 1
    if (head[next] === 0x0a || i === 0) {
      end = i
      break
    }
  }
  return readHeaderBlock(bytesToBinary(head.subarray(0, end + 1)))
}

/** Reads the header block of a message held as a binary string. */
export function readHeaderBlock(source: string): HeaderBlock {
  const newline = source.indexOf('\n')
  const lineEnding = newline > 0 && source[newline - 1] === '\r' ? '\r\n' : '\n'
  const fields: HeaderField[] = []
  let current: { name: string; raw: string } | null = null

  for (let pos = 0; pos < source.length && fields.length < MAX_HEADER_FIELDS;) {
    const end = source.indexOf('\n', pos)
    const lineEnd = end < 0 ? source.length : end
    const line = source.slice(pos, lineEnd).replace(/\r$/, '')
    pos = lineEnd + 1

    // RFC 5322 2.1: the first empty line ends the header block.
    if (line === '') break
    if ((line[0] === ' ' || line[0] === '\t') && current) {
      current.raw += line
      continue
    }

    if (current) fields.push(toField(current))
    const colon = line.indexOf(':')
    current =
      colon > 0
        ? { name: line.slice(0, colon).trim().toLowerCase(), raw: line.slice(colon + 1) }
        : null
  }
  if (current && fields.length < MAX_HEADER_FIELDS) fields.push(toField(current))
  return { fields, lineEnding }
}

function toField(current: { name: string; raw: string }): HeaderField {
  return { name: current.name, value: current.raw.trim() }
}

/** The values of every field called `name`, top first. */
export function fieldValues(block: HeaderBlock, name: string): string[] {
  return block.fields.filter((field) => field.name === name).map((field) => field.value)
}

/**
 * The domains of every address in every From field, lower-case ASCII (IDNA
 * A-labels), in order. An address whose domain is not a valid host name
 * yields `''` so that it still counts as an address.
 */
export function fromDomains(block: HeaderBlock): string[] {
  return fieldValues(block, 'from').flatMap((value) =>
    addressParser(headerText(value), { flatten: true }).map((mailbox) =>
      asciiDomain(domainOf(mailbox.address ?? '')),
    ),
  )
}

/** The part after the last `@`, or '' without one. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@')
  return at < 0 ? '' : address.slice(at + 1)
}

/** A domain as lower-case ASCII, or '' when it is not a valid host name. */
export function asciiDomain(domain: string): string {
  const trimmed = domain.trim().replace(/\.$/, '')
  if (trimmed === '' || /[\s/?#@:[\]\\]/.test(trimmed)) return ''
  try {
    const host = new URL(`http://${trimmed}/`).hostname
    return /^[a-z0-9.-]+$/.test(host) ? host : ''
  } catch {
    // Not a host name (empty labels, forbidden code points): reported as no domain.
    return ''
  }
}

/** RFC 6532: header text may be raw UTF-8; anything else is read byte for byte. */
export function headerText(binary: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(binaryToBytes(binary))
  } catch {
    // Not UTF-8: keep the bytes as Latin-1 characters; ASCII addresses still parse.
    return binary
  }
}
