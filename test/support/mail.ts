/**
 * Small messages for rewriter tests, built as binary strings (one code unit
 * per byte) so that tests can put any charset's bytes in a body.
 */

import { binaryToBytes, bytesToBinary } from '../../src/core/bytes.js'

/** A single-part message with the given Content-Type, transfer encoding and body. */
export function message(contentType: string, cte: string, body: string, eol = '\r\n'): Uint8Array {
  const head = [
    'From: alerts@example.com',
    'To: someone@example.com',
    'Subject: test',
    'Message-ID: <case@example.com>',
    'MIME-Version: 1.0',
    `Content-Type: ${contentType}`,
    `Content-Transfer-Encoding: ${cte}`,
  ].join(eol)
  return binaryToBytes(head + eol + eol + body.replace(/\r?\n/g, eol))
}

/** A multipart/mixed message of the given parts (each a header block plus body). */
export function multipart(parts: string[], boundary = 'b1'): Uint8Array {
  const head = [
    'From: alerts@example.com',
    'Message-ID: <multi@example.com>',
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
  ].join('\r\n')
  const body = parts.map((part) => `--${boundary}\r\n${part}\r\n`).join('')
  return binaryToBytes(`${head}\r\n\r\n${body}--${boundary}--\r\n`)
}

/** The body of a single-part message, as a binary string. */
export function bodyOf(output: Uint8Array): string {
  const text = bytesToBinary(output)
  const blank = /\r?\n\r?\n/.exec(text)
  return blank ? text.slice(blank.index + blank[0].length) : ''
}

/** UTF-16 bytes of a string as a binary string. */
export function utf16(text: string, order: 'le' | 'be', bom: boolean): string {
  let out = bom ? (order === 'le' ? '\xff\xfe' : '\xfe\xff') : ''
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    const high = String.fromCharCode(code >> 8)
    const low = String.fromCharCode(code & 0xff)
    out += order === 'le' ? low + high : high + low
  }
  return out
}

/**
 * Replaces every signed link in `output` by the matching raw value, in order;
 * the result must equal the input when nothing but link values changed.
 */
export function restoreLinks(output: string, links: string[], raws: string[]): string {
  let out = output
  links.forEach((link, i) => {
    out = out.replace(link, raws[i] ?? '')
  })
  return out
}
