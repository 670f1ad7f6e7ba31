/**
 * Parts in legacy and non-ASCII-compatible charsets: byte-exact outside the
 * link values, links read in the part's charset, and targets as a browser
 * would request them. Bytes were produced with Python's codecs and written
 * here as escapes.
 */

import { describe, expect, it } from 'vitest'

import { binaryToBytes, bytesToBinary } from '../../src/core/bytes.js'
import { resolveCharset } from '../../src/core/rewrite/charset.js'
import { encodeQueryFor } from '../../src/core/rewrite/url-encoding.js'
import { createHarness } from '../support/harness.js'
import { signedLinks, targetsIn } from '../support/links.js'
import { bodyOf, message, restoreLinks, utf16 } from '../support/mail.js'

const SJIS_TEXT =
  '\x93\xfa\x96{\x8c\xea\x82\xcc\x88\xc4\x93\xe0 https://example.jp/\x88\xc4\x93\xe0?q=\x93\xfa\x96{ \x82\xc5\x82\xb7'
const JIS_TEXT = '\x1b$BF|K\\8l\x1b(B https://a.example/x?y=1 \x1b$B$G$9\x1b(B\n'
const JIS_HTML = '<p>\x1b$BF|K\\\x1b(B</p><a href="https://a.example/x">\x1b$B%j%s%/\x1b(B</a>\n'

function decode(binary: string, encoding: string): string {
  return new TextDecoder(encoding).decode(binaryToBytes(binary))
}

describe('queries in the document encoding (WHATWG URL query state)', () => {
  it.each([
    ['windows-1252', 'https://x.example/p?q=é', 'https://x.example/p?q=%E9'],
    ['shift_jis', 'https://x.example/p?q=日本', 'https://x.example/p?q=%93%FA%96{'],
    ['euc-jp', 'https://x.example/p?q=日本', 'https://x.example/p?q=%C6%FC%CB%DC'],
    ['iso-2022-jp', 'https://x.example/p?q=日本', 'https://x.example/p?q=%1B$BF|K\\%1B(B'],
    ['euc-kr', 'https://x.example/p?q=한', 'https://x.example/p?q=%C7%D1'],
    ['gbk', 'https://x.example/p?q=中€', 'https://x.example/p?q=%D6%D0%80'],
    ['gb18030', 'https://x.example/p?q=😀', 'https://x.example/p?q=%949%FC6'],
    ['big5', 'https://x.example/p?q=中', 'https://x.example/p?q=%A4%A4'],
    ['windows-1252', 'https://x.example/p?q=😀', 'https://x.example/p?q=%26%23128512%3B'],
    ['iso-8859-1', 'https://x.example/ü?q=ü#ü', 'https://x.example/%C3%BC?q=%FC#%C3%BC'],
    ['utf-16le', 'https://x.example/p?q=é', 'https://x.example/p?q=é'],
  ])('%s: %s', (encoding, target, expected) => {
    expect(encodeQueryFor(target, encoding)).toBe(expected)
  })

  it('rewrites a windows-1252 href to the target a browser requests', async () => {
    const h = createHarness()
    const raw = 'https://caf\xe9.example/men\xfc?q=cr\xe8me&amp;x=1'
    const input = message('text/html; charset=windows-1252', '8bit', `<a href="${raw}">x</a>\n`)

    const { output } = await h.deps.rewriter.rewriteMessage(input)
    const out = bytesToBinary(output)

    expect(await targetsIn(out, h.deps)).toEqual([
      'https://xn--caf-dma.example/men%C3%BC?q=cr%E8me&x=1',
    ])
    expect(restoreLinks(out, signedLinks(out, h.deps), [raw])).toBe(bytesToBinary(input))
  })

  it('rewrites a Shift_JIS href with the query in Shift_JIS', async () => {
    const h = createHarness()
    const raw = 'https://x.example/p?q=\x93\xfa\x96{'
    const input = message('text/html; charset=Shift_JIS', '8bit', `<a href="${raw}">\x93\xfa</a>`)

    const { output } = await h.deps.rewriter.rewriteMessage(input)
    const out = bytesToBinary(output)

    expect(await targetsIn(out, h.deps)).toEqual(['https://x.example/p?q=%93%FA%96{'])
    expect(restoreLinks(out, signedLinks(out, h.deps), [raw])).toBe(bytesToBinary(input))
  })
})

describe('plain text in multi-byte legacy charsets', () => {
  it('finds a URL with Japanese in it (Shift_JIS) and changes only its bytes', async () => {
    const h = createHarness()
    const input = message('text/plain; charset=shift_jis', '8bit', SJIS_TEXT)

    const { output } = await h.deps.rewriter.rewriteMessage(input)
    const out = bytesToBinary(output)
    const links = signedLinks(out, h.deps)

    expect(await targetsIn(out, h.deps)).toEqual(['https://example.jp/案内?q=日本'])
    expect(restoreLinks(out, links, ['https://example.jp/\x88\xc4\x93\xe0?q=\x93\xfa\x96{'])).toBe(
      bytesToBinary(input),
    )
  })

  it('keeps EUC-KR text around a URL byte for byte', async () => {
    const h = createHarness()
    const body = '\xbe\xc8\xb3\xbb https://a.example/p \xc0\xd4\xb4\xcf\xb4\xd9'
    const input = message('text/plain; charset=euc-kr', '8bit', body)

    const { output } = await h.deps.rewriter.rewriteMessage(input)
    const out = bytesToBinary(output)

    expect(restoreLinks(out, signedLinks(out, h.deps), ['https://a.example/p'])).toBe(
      bytesToBinary(input),
    )
  })
})

describe('charsets that are not ASCII-compatible', () => {
  it('rewrites ISO-2022-JP text and keeps every escape sequence', async () => {
    const h = createHarness()
    const input = message('text/plain; charset=ISO-2022-JP', '7bit', JIS_TEXT)

    const { output, summary } = await h.deps.rewriter.rewriteMessage(input)
    const out = bytesToBinary(output)
    const [link] = signedLinks(out, h.deps)

    expect(summary.flagged).toEqual([])
    expect(await targetsIn(out, h.deps)).toEqual(['https://a.example/x?y=1'])
    expect(restoreLinks(out, [link ?? ''], ['https://a.example/x?y=1'])).toBe(bytesToBinary(input))
    expect(decode(bodyOf(output), 'iso-2022-jp')).toBe(`日本語 ${link} です\r\n`)
  })

  it('rewrites ISO-2022-JP HTML', async () => {
    const h = createHarness()
    const input = message('text/html; charset=iso-2022-jp', '7bit', JIS_HTML)

    const { output } = await h.deps.rewriter.rewriteMessage(input)
    const out = bytesToBinary(output)

    expect(await targetsIn(out, h.deps)).toEqual(['https://a.example/x'])
    expect(restoreLinks(out, signedLinks(out, h.deps), ['https://a.example/x'])).toBe(
      bytesToBinary(input),
    )
  })

  it.each([
    ['utf-16', 'le', true],
    ['utf-16', 'be', true],
    ['utf-16', 'be', false],
    ['utf-16', 'le', false],
    ['utf-16le', 'le', false],
  ] as const)('rewrites %s (%s, BOM %s) HTML in base64', async (label, order, bom) => {
    const h = createHarness()
    const html = '<p>Grüße</p><a href="https://a.example/ü?q=é">x</a>\n'
    const encoded = btoa(utf16(html, order, bom))
    const input = message(`text/html; charset=${label}`, 'base64', encoded)

    const { output, summary } = await h.deps.rewriter.rewriteMessage(input)
    const decoded = atob(bodyOf(output).replace(/\s+/g, ''))
    const text = decode(decoded, order === 'le' ? 'utf-16le' : 'utf-16be')
    const [link] = signedLinks(text, h.deps)

    expect(summary.flagged).toEqual([])
    expect(await targetsIn(text, h.deps)).toEqual(['https://a.example/ü?q=é'])
    expect(text).toBe(html.replace('https://a.example/ü?q=é', link ?? ''))
    expect(decoded.startsWith(bom ? (order === 'le' ? '\xff\xfe' : '\xfe\xff') : '')).toBe(true)
  })

  it.each(['utf-7', 'UTF-32', 'iso-2022-kr', 'hz-gb-2312'])(
    'passes a %s part through unchanged and flagged',
    async (charset) => {
      const h = createHarness()
      const input = message(
        `text/plain; charset=${charset}`,
        '7bit',
        'https://a.example/ +ZeVnLIqe-',
      )

      const { output, summary } = await h.deps.rewriter.rewriteMessage(input)

      expect(output).toEqual(input)
      expect(summary.flagged).toEqual([{ part: '1', reason: 'unsupported_charset' }])
    },
  )

  it('passes ISO-2022-JP with broken escapes through unchanged and flagged', async () => {
    const h = createHarness()
    const input = message('text/plain; charset=iso-2022-jp', '7bit', '\x1b$BF| https://a.example/')

    const { output, summary } = await h.deps.rewriter.rewriteMessage(input)

    expect(output).toEqual(input)
    expect(summary.flagged).toEqual([{ part: '1', reason: 'charset_undecodable' }])
  })
})

describe('broken or unknown charset parameters', () => {
  it.each([
    ['utf-8 ysdqd', 'utf-8', 'repaired'],
    ['"utf-8', 'utf-8', 'repaired'],
    ['_iso-2022-jp$ESC', 'iso-2022-jp', 'repaired'],
    ['[charse<!doctype htm', null, 'unknown'],
    ['x-klingon', null, 'unknown'],
    ['', 'utf-8', 'known'],
  ])('reads %j as %s (%s)', (label, encoding, how) => {
    expect(resolveCharset(label)).toMatchObject({ encoding, label: how })
  })

  it('repairs a damaged label, says so, and rewrites', async () => {
    const h = createHarness()
    const input = message(
      'text/html; charset="utf-8 ysdqd"',
      '8bit',
      '<a href="https://a.example/ä">x</a>',
    )

    const { summary } = await h.deps.rewriter.rewriteMessage(input)

    expect(summary.rewritten).toBe(1)
    expect(summary.flagged).toEqual([{ part: '1', reason: 'repaired_charset' }])
  })

  it.each([
    ['UTF-8 bytes', 'https://a.example/\xc3\xa4', 'https://a.example/ä'],
    ['Latin-1 bytes', 'https://a.example/\xe4', 'https://a.example/ä'],
  ])('reads an unknown label by content (%s), keeping the bytes', async (_name, raw, target) => {
    const h = createHarness()
    const input = message(
      'text/html; charset=x-klingon',
      '8bit',
      `<p>\xff</p><a href="${raw}">x</a>`,
    )

    const { output, summary } = await h.deps.rewriter.rewriteMessage(input)
    const out = bytesToBinary(output)

    expect(await targetsIn(out, h.deps)).toEqual([target])
    expect(summary.flagged).toEqual([{ part: '1', reason: 'unknown_charset' }])
    expect(restoreLinks(out, signedLinks(out, h.deps), [raw])).toBe(bytesToBinary(input))
  })
})
