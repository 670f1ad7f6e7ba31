/**
 * Reading Authentication-Results the way RFC 8601 writes them (comments,
 * quoting, versions, folding), and writing ours so that hostile values can
 * never inject a result or a header field.
 */

import { describe, expect, it } from 'vitest'

import { formatAuthResults, parseAuthResults } from '../../src/core/auth/auth-results.js'
import {
  fromDomains,
  readHeaderBlock,
  readMessageHeader,
} from '../../src/core/auth/header-block.js'
import { binaryToBytes } from '../../src/core/bytes.js'

describe('parseAuthResults', () => {
  it('reads the RFC 8601 appendix B examples', () => {
    const parsed = parseAuthResults(
      " example.com;\r\n  spf=pass smtp.mailfrom=example.net\r\n  (the sender's SPF record);\r\n" +
        '  dkim/1=pass (good signature) header.i=@mail-router.example.net;\r\n' +
        '  dkim=fail reason="bad signature (expired)" header.i=@newyork.example.com',
    )

    expect(parsed).toEqual({
      authservId: 'example.com',
      instance: null,
      results: [
        { method: 'spf', result: 'pass', reason: null, props: { 'smtp.mailfrom': 'example.net' } },
        {
          method: 'dkim',
          result: 'pass',
          reason: null,
          props: { 'header.i': '@mail-router.example.net' },
        },
        {
          method: 'dkim',
          result: 'fail',
          reason: 'bad signature (expired)',
          props: { 'header.i': '@newyork.example.com' },
        },
      ],
    })
  })

  it('allows comments and blanks anywhere, a version, and a quoted authserv-id', () => {
    const parsed = parseAuthResults(
      '(c1) "mx.example" 1 (c2); dmarc (x) = (y) fail (p=reject) header . from = example.com',
    )

    expect(parsed).toMatchObject({
      authservId: 'mx.example',
      results: [{ method: 'dmarc', result: 'fail', props: { 'header.from': 'example.com' } }],
    })
  })

  it('does not split on a semicolon inside a comment or a quoted string', () => {
    const parsed = parseAuthResults(
      'mx.example; spf=fail (a; b) reason="x; dmarc=pass" smtp.mailfrom="a;b"@evil.example',
    )

    expect(parsed?.results).toEqual([
      {
        method: 'spf',
        result: 'fail',
        reason: 'x; dmarc=pass',
        props: { 'smtp.mailfrom': 'a;b@evil.example' },
      },
    ])
  })

  it('reads `none`, ARC-Authentication-Results and nothing from junk', () => {
    expect(parseAuthResults('mx.example; none')).toEqual({
      authservId: 'mx.example',
      instance: null,
      results: [],
    })
    expect(parseAuthResults('i=2; lists.example; arc=pass', { arc: true })).toMatchObject({
      authservId: 'lists.example',
      instance: 2,
      results: [{ method: 'arc', result: 'pass' }],
    })
    expect(parseAuthResults('lists.example; arc=pass', { arc: true })).toBeNull()
    expect(parseAuthResults('  ; dkim=pass')).toBeNull()
    expect(parseAuthResults('mx.example; =pass; dkim=; d k i m=pass; ok=yes')?.results).toEqual([
      { method: 'ok', result: 'yes', reason: null, props: {} },
    ])
  })

  it('refuses a field longer than it reads', () => {
    expect(parseAuthResults('mx.example; dkim=pass' + ' (x)'.repeat(5000))).toBeNull()
  })
})

describe('formatAuthResults', () => {
  it('writes one folded statement per line, or none', () => {
    expect(formatAuthResults('mx.example', [], '\r\n')).toBe('mx.example; none')
    expect(
      formatAuthResults(
        'mx.example',
        [
          {
            method: 'dkim',
            result: 'pass',
            props: [
              ['header.d', 'example.com'],
              ['header.s', null],
            ],
          },
          { method: 'arc', result: 'none' },
        ],
        '\n',
      ),
    ).toBe('mx.example;\n\tdkim=pass header.d=example.com;\n\tarc=none')
  })

  it('drops values that are not a pvalue, so nothing can be injected', () => {
    const value = formatAuthResults(
      'mx.example',
      [
        {
          method: 'spf',
          result: 'pass\r\nX-Injected: 1',
          comment: 'evil); dmarc=pass (',
          props: [
            ['smtp.mailfrom', '"a;dmarc=pass"@evil.example'],
            ['smtp.helo', 'mx.evil.example;dmarc=pass'],
          ],
        },
        { method: 'dmarc', result: 'fail', props: [['header.from', 'ex ample.com\r\nX: y']] },
      ],
      '\r\n',
    )

    expect(value).toBe(
      'mx.example;\r\n\tspf=permerror (evil dmarc=pass ) smtp.mailfrom=@evil.example;\r\n\tdmarc=fail',
    )
  })

  it('refuses an authserv-id that is not a token', () => {
    expect(() => formatAuthResults('mx example', [], '\r\n')).toThrow(TypeError)
  })
})

describe('the From field', () => {
  const domains = (header: string) =>
    fromDomains(readHeaderBlock(`${header}\r\nTo: x@y.example\r\n\r\nbody`))

  it('reads every address of every From field, as A-labels', () => {
    expect(domains('From: "Support" <help@Example.COM>')).toEqual(['example.com'])
    expect(domains('From: a@one.example, b@two.example')).toEqual(['one.example', 'two.example'])
    expect(domains('From: a@one.example\r\nFrom: b@two.example')).toEqual([
      'one.example',
      'two.example',
    ])
    expect(domains('From: =?utf-8?q?M=C3=BCller?= <m@b\xc3\xbccher.example>')).toEqual([
      'xn--bcher-kva.example',
    ])
    expect(domains('From:\r\n "x@evil.example"\r\n <a@microsoft.com>')).toEqual(['microsoft.com'])
  })

  it('reports an address without a usable domain as empty, and no From as none', () => {
    expect(domains('From: undisclosed')).toEqual([''])
    expect(domains('Sender: a@b.example')).toEqual([])
  })

  it('reads only the header of a message given as bytes', () => {
    const crlf = readMessageHeader(
      binaryToBytes('From: a@x.example\r\n\r\nFrom: b@body.example\r\n'),
    )
    const lf = readMessageHeader(binaryToBytes('From: a@x.example\nX: 1\n\nFrom: b@body.example\n'))
    const none = readMessageHeader(binaryToBytes('\r\nFrom: b@body.example\r\n'))

    expect(fromDomains(crlf)).toEqual(['x.example'])
    expect(lf.fields.map((f) => f.name)).toEqual(['from', 'x'])
    expect(lf.lineEnding).toBe('\n')
    expect(none.fields).toEqual([])
  })

  it('stops at the end of the header block', () => {
    const block = readHeaderBlock('Subject: x\n\nFrom: a@body.example\n')

    expect(fromDomains(block)).toEqual([])
    expect(block.lineEnding).toBe('\n')
  })
})
