import { describe, expect, it } from 'vitest'

import {
  QP_MAX_LINE,
  decodeQuotedPrintable,
  encodeQuotedPrintable,
  reencodeQuotedPrintable,
  type LineEnding,
} from '../../src/core/rewrite/qp.js'
import { qpLayout, reencodeSpans } from '../../src/core/rewrite/qp-spans.js'

const CASE1_TARGET = 'https://Clinic.Example.com/track/click?u=33cd&id=8d00&e=67a8'
const SAFE_LINK = 'https://go.safelink.example/r/AbC?s=2a9f&x=gl'

/** Physical lines of an encoded body, without their line breaks. */
function physicalLines(encoded: string): string[] {
  return encoded.split(/\r?\n/)
}

/** Removes soft breaks so escapes can be searched for regardless of wrapping. */
function unwrap(encoded: string): string {
  return encoded.replace(/=\r?\n/g, '')
}

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
function randomBinary(seed: number, length: number, alphabet?: string): string {
  let state = seed
  let out = ''
  for (let i = 0; i < length; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    const n = state >>> 0
    out += alphabet ? alphabet[n % alphabet.length] : String.fromCharCode(n & 0xff)
  }
  return out
}

function expectWellFormed(encoded: string): void {
  for (const line of physicalLines(encoded)) {
    expect(line.length).toBeLessThanOrEqual(QP_MAX_LINE)
    expect(line.startsWith('.')).toBe(false)
    expect(line.startsWith('--')).toBe(false)
  }
}

describe('decodeQuotedPrintable', () => {
  // Case 1: a soft break inside the href, with CRLF and with bare LF.
  it.each<[string, LineEnding]>([
    ['CRLF', '\r\n'],
    ['LF', '\n'],
  ])('joins a soft break inside an href (%s)', (_, eol) => {
    const body = [
      '<p>Book here: <a href=3D"https://Clinic.Exa=',
      'mple.com/track/click?u=3D33cd&id=3D8d00&e=3D67a8">book</a></p>',
    ].join(eol)

    const decoded = decodeQuotedPrintable(body)

    expect(decoded).toBe(`<p>Book here: <a href="${CASE1_TARGET}">book</a></p>`)
    expect(decoded).not.toMatch(/Clinic\.Exa[^m]/)
  })

  it('treats `=` followed by blanks before the line end as a soft break', () => {
    expect(decodeQuotedPrintable('abc= \t\r\ndef')).toBe('abcdef')
    expect(decodeQuotedPrintable('abc=  \ndef')).toBe('abcdef')
  })

  it('treats a final `=` (the CRLF went to the boundary) as a soft break', () => {
    expect(decodeQuotedPrintable('abc=')).toBe('abc')
    expect(decodeQuotedPrintable('abc=  ')).toBe('abc')
  })

  it('decodes hex escapes in either case', () => {
    expect(decodeQuotedPrintable('a=3Db=3dc=C3=A9')).toBe('a=b=c\xc3\xa9')
  })

  it('keeps invalid `=` sequences literally', () => {
    expect(decodeQuotedPrintable('a=ZZb')).toBe('a=ZZb')
    expect(decodeQuotedPrintable('x=4 y')).toBe('x=4 y')
    expect(decodeQuotedPrintable('=G1=')).toBe('=G1')
    expect(decodeQuotedPrintable('a==41')).toBe('a=A')
  })

  it('keeps hard line breaks as written and drops trailing blanks (RFC 2045 6.7 rule 3)', () => {
    expect(decodeQuotedPrintable('one  \r\ntwo\t\nthree ')).toBe('one\r\ntwo\nthree')
  })

  it('decodes =0D=0A inside a line', () => {
    expect(decodeQuotedPrintable('a=0D=0Ab=\r\nc')).toBe('a\r\nbc')
  })
})

describe('encodeQuotedPrintable', () => {
  it('escapes `=`, control and 8-bit bytes, and a blank at a line end', () => {
    expect(encodeQuotedPrintable('a=b\x00\xff \r\nc\t', '\r\n')).toBe('a=3Db=00=FF=20\r\nc=09')
  })

  it('keeps blanks that are not at a line end', () => {
    expect(encodeQuotedPrintable('a b\tc', '\n')).toBe('a b\tc')
  })

  // Case 2: an inserted link with `=` must come out as `=3D`.
  it('encodes a new link so that it decodes back exactly (case 2)', () => {
    const html = `<p><a href="${SAFE_LINK}">pay</a> `.repeat(4) + '</p>'

    const encoded = encodeQuotedPrintable(html, '\r\n')

    expect(decodeQuotedPrintable(encoded)).toBe(html)
    expect(unwrap(encoded)).toContain('href=3D"https://go.safelink.example/r/AbC?s=3D2a9f&x=3Dgl"')
    expectWellFormed(encoded)
  })

  // Case 3a: a wrap that would put `.` first on a line writes `=2E` instead.
  it.each([60, 70, 73, 74, 75, 76, 77])('never starts a line with a dot (%i chars before)', (n) => {
    const text = 'x'.repeat(n) + '.example.com/' + '.'.repeat(200) + '\n.leading'

    const encoded = encodeQuotedPrintable(text, '\n')

    expectWellFormed(encoded)
    expect(decodeQuotedPrintable(encoded)).toBe(text)
  })

  it('writes the dot as =2E when the wrap falls before it', () => {
    const encoded = encodeQuotedPrintable('https://www.' + 'e'.repeat(63) + '.com/x', '\r\n')

    expect(encoded).toContain('=\r\n=2Ecom/x')
  })

  it('never starts a wrapped line with `--`, which could read as a boundary', () => {
    for (let n = 60; n <= 80; n++) {
      const text = 'x'.repeat(n) + '--boundary-42 and more --text'

      const encoded = encodeQuotedPrintable(text, '\r\n')

      for (const line of physicalLines(encoded)) expect(line.startsWith('--')).toBe(false)
      expect(decodeQuotedPrintable(encoded)).toBe(text)
    }
  })

  it('never splits an =XX escape and keeps lines within 76 characters', () => {
    const text = '\xe9'.repeat(300)

    const encoded = encodeQuotedPrintable(text, '\r\n')

    for (const line of physicalLines(encoded)) expect(line).toMatch(/^(=[0-9A-F]{2})*=?$/)
    expectWellFormed(encoded)
  })

  it('prefers breaking after a blank', () => {
    const encoded = encodeQuotedPrintable('word '.repeat(40), '\n')

    for (const line of physicalLines(encoded).slice(0, -1)) expect(line.endsWith(' =')).toBe(true)
  })

  it('keeps the line ending style for soft and hard breaks', () => {
    const text = 'a'.repeat(100) + '\nb'
    expect(encodeQuotedPrintable(text, '\n')).not.toContain('\r')
    expect(encodeQuotedPrintable(text.replace('\n', '\r\n'), '\r\n')).toMatch(/=\r\n/)
  })

  it.each<LineEnding>(['\r\n', '\n'])('round-trips random bytes exactly (%j)', (eol) => {
    for (let seed = 1; seed <= 40; seed++) {
      const text = randomBinary(seed * 7919, 50 + seed * 23)
      const encoded = encodeQuotedPrintable(text, eol)
      expect(decodeQuotedPrintable(encoded)).toBe(text)
      expectWellFormed(encoded)
    }
  })

  it('round-trips text made of the tricky characters', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const text = randomBinary(seed, seed * 3, ' \t.=\r\nab>-')
      const encoded = encodeQuotedPrintable(text, seed % 2 ? '\r\n' : '\n')
      expect(decodeQuotedPrintable(encoded)).toBe(text)
      expectWellFormed(encoded)
    }
  })
})

describe('reencodeQuotedPrintable', () => {
  // Lower-case escapes and needless escapes (=41 is "A") are valid but not what
  // our encoder writes, so they only survive if the line is copied.
  const original = [
    '<p>Caf=c3=a9 =41bc</p>',
    '<a href=3D"https://old.example/a?x=3D1">x</a>',
    '<p>tail line with a soft=',
    ' break and a trailing blank=20</p>',
    '',
  ].join('\r\n')

  it('returns the original bytes when the text did not change', () => {
    expect(reencodeQuotedPrintable(original, decodeQuotedPrintable(original), '\r\n')).toBe(
      original,
    )
  })

  it('keeps unchanged lines byte-identical when another line changes', () => {
    const decoded = decodeQuotedPrintable(original)
    const edited = decoded.replace('https://old.example/a?x=1', SAFE_LINK)

    const encoded = reencodeQuotedPrintable(original, edited, '\r\n')

    const lines = encoded.split('\r\n')
    expect(lines[0]).toBe('<p>Caf=c3=a9 =41bc</p>')
    expect(
      encoded.endsWith('<p>tail line with a soft=\r\n break and a trailing blank=20</p>\r\n'),
    ).toBe(true)
    expect(decodeQuotedPrintable(encoded)).toBe(edited)
    expect(unwrap(encoded)).toContain('s=3D2a9f&x=3Dgl')
  })

  it('keeps the unchanged physical lines of a changed logical line', () => {
    // One logical line (line breaks written as =0D=0A), as some senders do.
    const body = ['AAAA=0D=0A=', 'http://old.example/=0D=0A=', 'ZZZZ=0D=0A'].join('\r\n')
    const edited = decodeQuotedPrintable(body).replace('http://old.example/', SAFE_LINK)

    const encoded = reencodeQuotedPrintable(body, edited, '\r\n')

    expect(encoded.startsWith('AAAA=0D=0A=\r\n')).toBe(true)
    expect(encoded.endsWith('=\r\nZZZZ=0D=0A')).toBe(true)
    expect(decodeQuotedPrintable(encoded)).toBe(edited)
    expectWellFormed(encoded)
  })

  it('keeps the lines around an edit that adds line breaks (an inserted banner)', () => {
    const edited = decodeQuotedPrintable(original).replace('<p>Caf', '<p>\r\nCaf')

    const encoded = reencodeQuotedPrintable(original, edited, '\r\n')

    expect(decodeQuotedPrintable(encoded)).toBe(edited)
    expect(
      encoded.startsWith('<p>\r\nCaf=C3=A9 Abc</p>\r\n<a href=3D"https://old.example/a?x=3D1">'),
    ).toBe(true)
    expect(
      encoded.endsWith('<p>tail line with a soft=\r\n break and a trailing blank=20</p>\r\n'),
    ).toBe(true)
    expectWellFormed(encoded)
  })

  it('round-trips random insertions of lines, keeping every untouched line', () => {
    for (let seed = 1; seed <= 150; seed++) {
      const eol: LineEnding = seed % 2 ? '\r\n' : '\n'
      const source = randomBinary(seed * 17, 60 + seed * 5, 'ab =.-\t\xe9\n')
      const body = encodeQuotedPrintable(source, eol)
      const breaks = [...source.matchAll(/\n/g)].map((m) => (m.index ?? 0) + 1)
      const at = breaks.length > 0 ? breaks[seed % breaks.length] : 0
      const inserted = `*** banner ${seed} ***${eol}======${eol}`
      const edited = source.slice(0, at) + inserted + source.slice(at)

      const encoded = reencodeQuotedPrintable(body, edited, eol)

      expect(decodeQuotedPrintable(encoded)).toBe(edited)
      expect(encoded.endsWith(encodeQuotedPrintable(source.slice(at), eol))).toBe(true)
      expectWellFormed(encoded)
    }
  })

  it('never keeps a final soft-broken line that the edit continues', () => {
    const body = 'first\nsecond='
    const edited = 'first\nsecond\nthird=x'

    const encoded = reencodeQuotedPrintable(body, edited, '\n')

    expect(decodeQuotedPrintable(encoded)).toBe(edited)
  })

  it('handles a body that does not end with a line break', () => {
    const body = 'first\nsecond=3D'
    const edited = 'first\nsecond=x'

    const encoded = reencodeQuotedPrintable(body, edited, '\n')

    expect(encoded).toBe('first\nsecond=3Dx')
    expect(decodeQuotedPrintable(encoded)).toBe(edited)
  })

  it('round-trips random edits of random bodies', () => {
    for (let seed = 1; seed <= 150; seed++) {
      const eol: LineEnding = seed % 2 ? '\r\n' : '\n'
      const source = randomBinary(seed * 31, 40 + seed * 5, 'ab =.-\t\xe9\n')
      const body = encodeQuotedPrintable(source, eol)
      const at = (seed * 13) % Math.max(1, source.length)
      const edited = source.slice(0, at) + SAFE_LINK + source.slice(at + 3)

      const encoded = reencodeQuotedPrintable(body, edited, eol)

      expect(decodeQuotedPrintable(encoded)).toBe(edited)
      expectWellFormed(encoded)
    }
  })
})

describe('reencodeSpans (changed ranges known)', () => {
  it('decodes to the edited text and copies untouched lines, for random edits', () => {
    let seed = 7
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const words = [
      'https://a.example/x?y=1',
      '=',
      '.',
      'caf\xe9',
      ' ',
      '\r\n',
      'x'.repeat(90),
      '<a href="',
      '"',
    ]
    for (let round = 0; round < 300; round++) {
      const decoded = Array.from(
        { length: 40 },
        () => words[Math.floor(rnd() * words.length)],
      ).join('')
      const encoded = encodeQuotedPrintable(decoded, '\r\n')
      const spans: { start: number; end: number; text: string }[] = []
      let text = ''
      let cursor = 0
      for (let at = Math.floor(rnd() * 30); at < decoded.length; at += 5 + Math.floor(rnd() * 60)) {
        const end = Math.min(decoded.length, at + Math.floor(rnd() * 12))
        const insert = rnd() < 0.5 ? 'https://go.example/r/TOKEN' : ''
        text += decoded.slice(cursor, at) + insert
        spans.push({ start: at, end, text: insert })
        cursor = end
        at = end
      }
      text += decoded.slice(cursor)

      const layout = qpLayout(encoded)
      const written = applyEncodedEdits(
        encoded,
        reencodeSpans(encoded, layout, decoded, { spans, body: () => text }, '\r\n'),
      )
      const firstTouched = layout.encodedStarts[lineOf(layout, spans[0]?.start ?? 0)] ?? 0

      expect(decodeQuotedPrintable(written)).toBe(text)
      // Lines before the first change are copied byte for byte.
      expect(written.startsWith(encoded.slice(0, firstTouched))).toBe(true)
      for (const line of written.split(/\r?\n/)) {
        if (!encoded.includes(line)) expect(line.length).toBeLessThanOrEqual(QP_MAX_LINE)
      }
    }
  })
})

function lineOf(layout: { decodedStarts: number[] }, at: number): number {
  let line = 0
  while (line + 1 < layout.decodedStarts.length - 1 && (layout.decodedStarts[line + 1] ?? 0) <= at)
    line++
  return line
}

function applyEncodedEdits(
  encoded: string,
  edits: { start: number; end: number; text: string }[],
): string {
  let out = ''
  let from = 0
  for (const edit of edits) {
    out += encoded.slice(from, edit.start) + edit.text
    from = edit.end
  }
  return out + encoded.slice(from)
}
