import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { binaryToBytes, bytesToBinary } from '../../src/core/bytes.js'
import { decodeBase64Body, encodeBase64Body } from '../../src/core/rewrite/base64.js'
import {
  MAX_LINE_OCTETS,
  parseMime,
  serializeMime,
  type ParsedMime,
} from '../../src/core/rewrite/mime.js'
import { QP_MAX_LINE, decodeQuotedPrintable } from '../../src/core/rewrite/qp.js'

const FIXTURES = join(import.meta.dirname, '../fixtures/mime')
const SAFE_LINK = 'https://go.safelink.example/r/AbC?s=2a9f&x=gl'
const CASE1_TARGET = 'https://Clinic.Example.com/track/click?u=33cd&id=8d00&e=67a8'

function fixture(name: string): string {
  return bytesToBinary(new Uint8Array(readFileSync(join(FIXTURES, name))))
}

function crlf(...lines: string[]): string {
  return lines.join('\r\n')
}

function lf(...lines: string[]): string {
  return lines.join('\n')
}

function parse(binary: string, options?: Parameters<typeof parseMime>[1]): ParsedMime {
  return parseMime(binaryToBytes(binary), options)
}

function serialize(message: ParsedMime, replacements: Record<string, string> = {}) {
  const result = serializeMime(message, new Map(Object.entries(replacements)))
  return { text: bytesToBinary(result.bytes), flags: result.flags }
}

function leaf(message: ParsedMime, path: string) {
  const found = message.leaves.find((l) => l.path === path)
  if (!found) throw new Error(`no leaf ${path}: ${message.leaves.map((l) => l.path).join(', ')}`)
  return found
}

function reasons(message: ParsedMime): string[] {
  return message.flags.map((f) => `${f.part}:${f.reason}`)
}

/** Asserts a lossless round trip: empty map, and every leaf given its own text. */
function expectRoundTrip(binary: string): ParsedMime {
  const message = parse(binary)
  expect(serialize(message).text).toBe(binary)
  const same = Object.fromEntries(message.leaves.map((l) => [l.path, l.decoded]))
  expect(serialize(message, same).text).toBe(binary)
  return message
}

describe('parseMime structure', () => {
  it('parses multipart/alternative with a QP HTML part (case 1)', () => {
    const message = expectRoundTrip(fixture('alternative-qp.eml'))

    expect(message.messageId).toBe('appt-42@clinic.example')
    expect(message.flags).toEqual([])
    expect(
      message.leaves.map((l) => [l.path, l.contentType, l.charset, l.transferEncoding]),
    ).toEqual([
      ['1', 'text/plain', 'us-ascii', '7bit'],
      ['2', 'text/html', 'utf-8', 'quoted-printable'],
    ])
    expect(leaf(message, '2').decoded).toContain(`href="${CASE1_TARGET}"`)
  })

  it('numbers nested parts the IMAP way, message/rfc822 included', () => {
    const message = expectRoundTrip(fixture('nested-rfc822.eml'))

    expect(message.messageId).toBe('fwd-1@example.org')
    expect(message.flags).toEqual([])
    expect(message.leaves.map((l) => l.path)).toEqual(['1.1.1', '1.1.2', '2.1', '2.2', '4.1'])
    expect(leaf(message, '1.1.1').charset).toBeNull()
    expect(leaf(message, '1.1.2').decoded).toContain('\xe9t\xe9')
    expect(leaf(message, '2.1')).toMatchObject({ transferEncoding: 'base64', format: 'flowed' })
    expect(leaf(message, '2.1').decoded).toContain('https://bank.example/verify?t=1')
    expect(leaf(message, '2.2').decoded).toBe(
      '<a href="https://bank.example/verify?t=1">Verify</a>',
    )
    expect(leaf(message, '4.1').decoded).toBe('Plain inner body https://inner.example/x')
  })

  it('skips attached messages when asked to, with a flag', () => {
    const message = parse(fixture('nested-rfc822.eml'), { rewriteAttachedMessages: false })

    expect(message.leaves.map((l) => l.path)).toEqual(['1.1.1', '1.1.2', '4.1'])
    expect(reasons(message)).toEqual(['2:attachment'])
  })

  it('numbers a single-part message "1" and a top-level message/rfc822 body "1.1"', () => {
    expect(expectRoundTrip(crlf('Subject: x', '', 'hello')).leaves[0].path).toBe('1')
    const wrapped = crlf('Content-Type: message/rfc822', '', 'Subject: inner', '', 'hi')
    expect(expectRoundTrip(wrapped).leaves.map((l) => l.path)).toEqual(['1.1'])
  })

  it('defaults parts of multipart/digest to message/rfc822 (RFC 2046 5.1.5)', () => {
    const message = expectRoundTrip(
      crlf(
        'Content-Type: multipart/digest; boundary=d',
        '',
        '--d',
        '',
        'Subject: one',
        '',
        'first https://one.example/',
        '--d',
        'Content-Type: text/plain',
        '',
        'not a message',
        '--d--',
      ),
    )

    expect(message.leaves.map((l) => [l.path, l.decoded])).toEqual([
      ['1.1', 'first https://one.example/'],
      ['2', 'not a message'],
    ])
  })

  it('reads RFC 2231 continued and encoded parameters', () => {
    const message = expectRoundTrip(
      crlf(
        'Content-Type: multipart/mixed; boundary*0="ab"; boundary*1="cd"',
        '',
        '--abcd',
        "Content-Type: text/plain; charset*=us-ascii'en'ISO-8859-1",
        '',
        'body',
        '--abcd--',
      ),
    )

    expect(message.flags).toEqual([])
    expect(leaf(message, '1').charset).toBe('iso-8859-1')
  })

  it('tolerates odd Content-Type syntax', () => {
    const message = expectRoundTrip(
      crlf(
        'content-type:  Multipart/Alternative ;BOUNDARY = "x y" ; charset="a\\"b"',
        '',
        '--x y',
        'Content-Type: TEXT/HTML;charset=UTF-8',
        '',
        '<b>hi</b>',
        '--x y--',
      ),
    )

    expect(leaf(message, '1')).toMatchObject({ contentType: 'text/html', charset: 'utf-8' })
  })

  it('treats an unparsable Content-Type as text/plain (RFC 2045 5.2)', () => {
    const message = expectRoundTrip(crlf('Content-Type: garbage', '', 'body'))
    expect(leaf(message, '1').contentType).toBe('text/plain')
  })

  it('unfolds headers and lets the first occurrence win', () => {
    const message = expectRoundTrip(
      crlf(
        'Content-Type: text/html;',
        '\tcharset=utf-8',
        'Content-Type: text/plain',
        'Message-ID:',
        ' <folded@example.com>',
        '',
        '<p>x</p>',
      ),
    )

    expect(leaf(message, '1')).toMatchObject({ contentType: 'text/html', charset: 'utf-8' })
    expect(message.messageId).toBe('folded@example.com')
  })

  it('skips text attachments without a flag', () => {
    const message = expectRoundTrip(fixture('nested-rfc822.eml'))
    expect(message.leaves.some((l) => l.path === '3')).toBe(false)
  })
})

describe('parseMime on malformed input (always byte-identical on the way back)', () => {
  it('returns empty input unchanged', () => {
    const message = expectRoundTrip('')
    expect(message.leaves).toEqual([])
    expect(reasons(message)).toEqual([':no_body'])
    expect(message.messageId).toBeNull()
  })

  it('treats a message without a blank line as headers only', () => {
    const message = expectRoundTrip(crlf('Subject: no body', 'Message-ID: <h@example.com>', ''))
    expect(message.leaves).toEqual([])
    expect(reasons(message)).toEqual([':no_body'])
    expect(message.messageId).toBe('h@example.com')
  })

  it('reads a message whose header block is empty', () => {
    const message = expectRoundTrip(crlf('', 'just a body https://x.example/'))
    expect(leaf(message, '1').decoded).toBe('just a body https://x.example/')
  })

  it('passes binary garbage through', () => {
    let garbage = ''
    for (let i = 0; i < 2048; i++) garbage += String.fromCharCode((i * 151 + 7) % 256)
    expectRoundTrip(garbage)
    expectRoundTrip('\n\n' + garbage)
  })

  it('parses an LF-only message', () => {
    const message = expectRoundTrip(fixture('lf-only.eml'))

    expect(message.flags).toEqual([])
    expect(leaf(message, '1').decoded).toBe(
      'Go to https://lf.example/a?x=1 now, or to the long one at https://lf.example/b',
    )
    expect(leaf(message, '2').decoded).toBe('<a href="https://lf.example/a?x=1">a</a>')
  })

  it('runs the last part to the end when the close delimiter is missing', () => {
    const message = expectRoundTrip(
      crlf('Content-Type: multipart/mixed; boundary=b', '', '--b', '', 'one', '--b', '', 'two', ''),
    )

    expect(reasons(message)).toEqual([':missing_close_boundary'])
    expect(message.leaves.map((l) => l.decoded)).toEqual(['one', 'two\r\n'])
  })

  it('passes a multipart through when its boundary never starts a part', () => {
    const noStart = crlf('Content-Type: multipart/mixed; boundary=b', '', 'text', '--b--', '')
    expect(reasons(expectRoundTrip(noStart))).toEqual([':missing_boundary'])

    const wrong = crlf('Content-Type: multipart/mixed; boundary=b', '', '--c', '', 'x', '--c--')
    expect(reasons(expectRoundTrip(wrong))).toEqual([':missing_boundary'])

    const noParam = crlf('Content-Type: multipart/mixed', '', '--b', '', 'x', '--b--')
    const message = expectRoundTrip(noParam)
    expect(reasons(message)).toEqual([':missing_boundary'])
    expect(message.leaves).toEqual([])
  })

  it('accepts transport padding after delimiters and ignores look-alike lines', () => {
    const message = expectRoundTrip(
      crlf(
        'Content-Type: multipart/mixed; boundary=b',
        '',
        '--b \t',
        '',
        'one',
        '--bb',
        '--b-not-a-delimiter',
        ' --b',
        '--b--  ',
        '',
      ),
    )

    expect(message.flags).toEqual([])
    expect(message.leaves.map((l) => l.decoded)).toEqual([
      'one\r\n--bb\r\n--b-not-a-delimiter\r\n --b',
    ])
  })

  it('keeps preamble and epilogue raw', () => {
    const input = crlf(
      'Content-Type: multipart/mixed; boundary=b',
      '',
      'preamble https://pre.example/',
      '--b',
      '',
      'part',
      '--b--',
      'epilogue https://post.example/',
      '--b',
      '',
      'after the close delimiter',
    )
    const message = expectRoundTrip(input)

    expect(message.leaves.map((l) => l.decoded)).toEqual(['part'])
  })

  it('walks a multipart that carries a transfer encoding, with a flag', () => {
    const message = expectRoundTrip(
      crlf(
        'Content-Type: multipart/alternative; boundary=b',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        '--b',
        'Content-Type: text/html',
        '',
        '<a href="https://x.example/">x</a>',
        '--b--',
      ),
    )

    expect(reasons(message)).toEqual([':encoded_multipart'])
    expect(message.leaves).toHaveLength(1)
  })

  it.each(['x-uuencode', 'X-UUE'])(
    'passes through a text part with the real encoding %s',
    (cte) => {
      const message = expectRoundTrip(
        crlf('Content-Type: text/plain', `Content-Transfer-Encoding: ${cte}`, '', 'begin 644 a'),
      )

      expect(message.leaves).toEqual([])
      expect(reasons(message)).toEqual(['1:unknown_transfer_encoding'])
    },
  )

  it.each(['hexa', '8bit+', '8bith', 'Hexa'])(
    'reads a text part with the undefined CTE %s as its raw bytes, and flags it',
    (cte) => {
      const message = expectRoundTrip(
        crlf('Content-Type: text/html', `Content-Transfer-Encoding: ${cte}`, '', '<a href="x">'),
      )

      expect(message.leaves.map((leaf) => [leaf.decoded, leaf.transferEncoding])).toEqual([
        ['<a href="x">', 'binary'],
      ])
      expect(reasons(message)).toEqual(['1:invalid_transfer_encoding'])
    },
  )

  it('still passes through a message/rfc822 part with an undefined CTE', () => {
    const message = expectRoundTrip(
      crlf(
        'Content-Type: message/rfc822',
        'Content-Transfer-Encoding: 8bit+',
        '',
        'Content-Type: text/html',
        '',
        '<a href="x">',
      ),
    )

    expect(message.leaves).toEqual([])
    expect(reasons(message)).toEqual(['1:unknown_transfer_encoding'])
  })

  it('decodes a base64 text part and skips a damaged one', () => {
    const good = expectRoundTrip(
      crlf(
        'Content-Type: text/plain',
        'Content-Transfer-Encoding: base64',
        '',
        'aGVsbG8gaHR0cHM6Ly9i',
        'NjQuZXhhbXBsZS8=',
        '',
      ),
    )
    expect(leaf(good, '1').decoded).toBe('hello https://b64.example/')

    const bad = expectRoundTrip(
      crlf('Content-Type: text/plain', 'Content-Transfer-Encoding: base64', '', 'aGVs!!bG8='),
    )
    expect(bad.leaves).toEqual([])
    expect(reasons(bad)).toEqual(['1:malformed_base64'])
  })

  it.each(['utf-16', 'UTF-16LE', 'utf-32be', 'utf-7', 'iso-2022-jp', 'hz-gb-2312', 'csISO2022KR'])(
    'keeps a %s part as a leaf for the rewriter to judge',
    (charset) => {
      const body = '\xff\xfeh\x00i\x00'
      const message = expectRoundTrip(
        crlf(`Content-Type: text/plain; charset="${charset}"`, '', body),
      )

      expect(leaf(message, '1').charset).toBe(charset.toLowerCase())
      expect(reasons(message)).toEqual([])
    },
  )

  it('keeps charsets it does not know for the caller to judge', () => {
    const message = expectRoundTrip(crlf('Content-Type: text/plain; charset=x-klingon', '', 'q'))
    expect(leaf(message, '1').charset).toBe('x-klingon')
  })

  it('passes an encoded message/rfc822 through', () => {
    const message = expectRoundTrip(
      crlf(
        'Content-Type: multipart/mixed; boundary=b',
        '',
        '--b',
        'Content-Type: message/rfc822',
        'Content-Transfer-Encoding: base64',
        '',
        'U3ViamVjdDogeAoKaGk=',
        '--b--',
      ),
    )

    expect(message.leaves).toEqual([])
    expect(reasons(message)).toEqual(['1:encoded_message'])
  })

  it('stops at the depth limit and handles deep nesting without recursion', () => {
    const depth = 40
    let body = crlf('Content-Type: text/plain', '', 'deep https://deep.example/')
    for (let i = depth - 1; i >= 0; i--) {
      body = crlf(`Content-Type: multipart/mixed; boundary=b${i}`, '', `--b${i}`, body, `--b${i}--`)
    }

    const limited = expectRoundTrip(body)
    expect(limited.leaves).toEqual([])
    expect(reasons(limited)).toEqual([`${Array(32).fill('1').join('.')}:max_depth`])

    const deeper = parse(body, { maxDepth: 100 })
    expect(deeper.leaves.map((l) => l.path)).toEqual([Array(40).fill('1').join('.')])
  })

  it('survives thousands of nested messages', () => {
    const levels = 5000
    const input = 'Content-Type: message/rfc822\r\n\r\n'.repeat(levels) + '\r\nbottom'

    const message = parseMime(binaryToBytes(input), { maxDepth: levels + 1 })

    expect(message.leaves).toHaveLength(1)
    expect(serialize(message).text).toBe(input)
  })
})

describe('serializeMime', () => {
  it('changes only the bytes of the replaced leaf', () => {
    const input = fixture('alternative-qp.eml')
    const message = parse(input)
    const html = leaf(message, '2').decoded.replace(CASE1_TARGET, SAFE_LINK)

    const { text, flags } = serialize(message, { '2': html })

    const start = input.indexOf('<html><body>')
    const end = input.indexOf('\r\n--==alt-7f3a==--')
    expect(flags).toEqual([])
    expect(text.slice(0, start)).toBe(input.slice(0, start))
    expect(text.slice(text.length - (input.length - end))).toBe(input.slice(end))
    expect(leaf(parse(text), '2').decoded).toBe(html)
  })

  it('writes a new link into a QP part as =3D with short lines (case 2)', () => {
    const message = parse(fixture('alternative-qp.eml'))
    const html = leaf(message, '2').decoded.replace(CASE1_TARGET, SAFE_LINK)

    const { text } = serialize(message, { '2': html })

    const body = text.slice(text.indexOf('<html><body>'), text.indexOf('\r\n--==alt-7f3a==--'))
    expect(decodeQuotedPrintable(body)).toBe(html)
    expect(body.replace(/=\r\n/g, '')).toContain(
      'href=3D"https://go.safelink.example/r/AbC?s=3D2a9f&x=3Dgl"',
    )
    for (const line of body.split('\r\n')) expect(line.length).toBeLessThanOrEqual(QP_MAX_LINE)
  })

  it('keeps unchanged QP lines byte-identical', () => {
    const input = fixture('alternative-qp.eml')
    const message = parse(input)
    const html = leaf(message, '2').decoded.replace('https://clinic.example.com/u?id=9', SAFE_LINK)

    const { text } = serialize(message, { '2': html })

    // Lower-case escapes (=c3=a9) would come out upper-case if re-encoded.
    expect(text).toContain('\r\n<p>Caf=c3=a9 news =E2=80=94 see you soon.</p>\r\n')
    expect(text).toContain('Clinic.Exa=\r\nmple.com/track/click?u=3D33cd&id=3D8d00&e=3D67a8')
    expect(leaf(parse(text), '2').decoded).toBe(html)
  })

  it('keeps LF line ends in an LF-only message', () => {
    const message = parse(fixture('lf-only.eml'))
    const plain = leaf(message, '1').decoded.replaceAll('https://lf.example/a?x=1', SAFE_LINK)

    const { text } = serialize(message, { '1': plain })

    expect(text).not.toContain('\r')
    expect(leaf(parse(text), '1').decoded).toBe(plain)
  })

  it('re-encodes a changed base64 part with the original line length', () => {
    const input = fixture('nested-rfc822.eml')
    const message = parse(input)
    const plain = leaf(message, '2.1').decoded.replace('https://bank.example/verify?t=1', SAFE_LINK)

    const { text } = serialize(message, { '2.1': plain })

    const reparsed = parse(text)
    expect(leaf(reparsed, '2.1').decoded).toBe(plain)
    const slot = reparsed.slots.get('2.1')
    const body = slot ? text.slice(slot.bodyStart, slot.bodyEnd) : ''
    expect(body.split('\r\n')[0]).toHaveLength(76)
    expect(reparsed.leaves.map((l) => l.decoded)).toEqual([
      ...message.leaves.slice(0, 2).map((l) => l.decoded),
      plain,
      ...message.leaves.slice(3).map((l) => l.decoded),
    ])
  })

  it('edits leaves inside nested messages without touching their neighbours', () => {
    const input = fixture('nested-rfc822.eml')
    const message = parse(input)
    const edits = {
      '1.1.1': 'See ' + SAFE_LINK,
      '2.2': `<a href="${SAFE_LINK}">Verify</a>`,
      '4.1': 'Plain inner body ' + SAFE_LINK,
    }

    const { text } = serialize(message, edits)

    const reparsed = parse(text)
    expect(reparsed.leaves.map((l) => l.path)).toEqual(message.leaves.map((l) => l.path))
    for (const [path, body] of Object.entries(edits))
      expect(leaf(reparsed, path).decoded).toBe(body)
    expect(text).toContain('iVBORw0KGgo=')
    expect(text).toContain('https://attached.example/not-a-leaf')
  })

  // Case 3b: a 900-octet 7bit line grown to about 1,400 octets.
  it('re-encodes a 7bit part as QP when a line would pass 998 octets', () => {
    const links = (host: string) =>
      [1, 2, 3].map((n) => `<a href="https://${host}/${'p'.repeat(250)}/${n}">link ${n}</a>`)
    const line = links('shop.example').join(' ')
    const input = crlf(
      'Content-Type: text/html; charset=us-ascii',
      'Content-Transfer-Encoding: 7bit',
      '',
      line,
      '',
    )
    const grown = links('go.safelink.example/r/' + 'T'.repeat(150)).join(' ')
    expect(line.length).toBeGreaterThan(800)
    expect(grown.length).toBeGreaterThan(1300)

    const message = parse(input)
    const { text, flags } = serialize(message, { '1': grown + '\r\n' })

    expect(flags).toEqual([{ part: '1', reason: 'reencoded_quoted_printable' }])
    expect(text.startsWith(crlf('Content-Type: text/html; charset=us-ascii', ''))).toBe(true)
    expect(text).toContain('\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n')
    expect(text).not.toContain('7bit')
    for (const out of text.split('\r\n')) expect(out.length).toBeLessThanOrEqual(MAX_LINE_OCTETS)
    expect(leaf(parse(text), '1')).toMatchObject({
      transferEncoding: 'quoted-printable',
      decoded: grown + '\r\n',
    })
  })

  it('inserts a CTE field after Content-Type when the part had none', () => {
    const input = lf(
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b',
      'Content-Type: text/plain;',
      ' charset=us-ascii',
      'X-Other: 1',
      '',
      'short',
      '--b--',
    )
    const message = parse(input)
    const long = 'https://x.example/' + 'a'.repeat(1200)

    const { text, flags } = serialize(message, { '1': long })

    expect(flags).toEqual([{ part: '1', reason: 'reencoded_quoted_printable' }])
    expect(text).toContain(
      lf(' charset=us-ascii', 'Content-Transfer-Encoding: quoted-printable', 'X-Other: 1', ''),
    )
    expect(text).not.toContain('\r')
    expect(leaf(parse(text), '1').decoded).toBe(long)
  })

  it('leaves binary parts alone even with long lines', () => {
    const input = crlf('Content-Type: text/plain', 'Content-Transfer-Encoding: binary', '', 'x')
    const long = 'y'.repeat(2000)

    const { text, flags } = serialize(parse(input), { '1': long })

    expect(flags).toEqual([])
    expect(text.endsWith('\r\n\r\n' + long)).toBe(true)
  })

  it('rejects a path that is not a leaf', () => {
    const message = parse(fixture('alternative-qp.eml'))
    expect(() => serialize(message, { '3': 'x' })).toThrow(RangeError)
  })
})

describe('base64 body codec', () => {
  it('decodes while ignoring whitespace and accepts missing padding', () => {
    expect(decodeBase64Body('aGVs\r\nbG8=\r\n')).toBe('hello')
    expect(decodeBase64Body(' aGVsbG8 ')).toBe('hello')
    expect(decodeBase64Body('')).toBe('')
  })

  it('rejects damage', () => {
    expect(decodeBase64Body('aGVs*bG8=')).toBeNull()
    expect(decodeBase64Body('aGVsb')).toBeNull()
    expect(decodeBase64Body('aG==bG8=')).toBeNull()
    expect(decodeBase64Body('aGVsbG8')).toBe('hello')
    expect(decodeBase64Body('aGVsbG8==')).toBeNull()
  })

  it('encodes with the given line length and line ending, clamped to 76', () => {
    const text = 'x'.repeat(100)
    expect(encodeBase64Body(text, 64, '\n').split('\n')[0]).toHaveLength(64)
    expect(encodeBase64Body(text, 500, '\r\n').split('\r\n')[0]).toHaveLength(76)
    expect(encodeBase64Body('', 76, '\r\n')).toBe('')
    expect(decodeBase64Body(encodeBase64Body('\x00\xff'.repeat(99), 72, '\r\n'))).toBe(
      '\x00\xff'.repeat(99),
    )
  })
})
