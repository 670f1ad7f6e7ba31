import { describe, expect, it } from 'vitest'

import { scanText } from '../../src/core/rewrite/text.js'
import type { TextLink } from '../../src/core/rewrite/types.js'

/** Scans and checks the invariants every result must keep. */
function scan(src: string): TextLink[] {
  const links = scanText(src).links

  let previousEnd = -1
  for (const link of links) {
    expect(src.slice(link.start, link.end)).toBe(link.text)
    expect(link.start).toBeGreaterThanOrEqual(previousEnd)
    previousEnd = link.end
  }
  return links
}

function texts(src: string): string[] {
  return scan(src).map((link) => link.text)
}

/** The text with each link replaced by `[link]`, to show what stays outside. */
function marked(src: string): string {
  let out = src
  for (const link of [...scan(src)].reverse()) {
    out = `${out.slice(0, link.start)}[${link.text}]${out.slice(link.end)}`
  }
  return out
}

describe('scanText: where a URL ends (case 18)', () => {
  const src = [
    'See (https://en.wikipedia.org/wiki/Mercury_(planet)) and https://example.com/docs/.',
    'Old page (https://example.com/a/b). Share: https://social.example/share?u=1&href=http://news.example/x!',
  ].join('\n')

  it('finds the exact targets', () => {
    expect(texts(src)).toEqual([
      'https://en.wikipedia.org/wiki/Mercury_(planet)',
      'https://example.com/docs/',
      'https://example.com/a/b',
      'https://social.example/share?u=1&href=http://news.example/x',
    ])
  })

  it('leaves brackets and punctuation in the surrounding text', () => {
    expect(marked(src)).toBe(
      [
        'See ([https://en.wikipedia.org/wiki/Mercury_(planet)]) and [https://example.com/docs/].',
        'Old page ([https://example.com/a/b]). Share: [https://social.example/share?u=1&href=http://news.example/x]!',
      ].join('\n'),
    )
  })
})

describe('scanText: enclosing characters and trailing punctuation', () => {
  it('excludes angle brackets and quotes around a URL', () => {
    expect(marked('<https://x.example/a> "https://x.example/a" \'https://x.example/b\'')).toBe(
      '<[https://x.example/a]> "[https://x.example/a]" \'[https://x.example/b]\'',
    )
  })

  it.each([',', ';', ':', '?', '!', '.', "'", '...', '?!', '").', ':)'])(
    'excludes a trailing %s',
    (tail) => {
      expect(marked(`Go to https://x.example/path${tail} now`)).toBe(
        `Go to [https://x.example/path]${tail} now`,
      )
    },
  )

  it('excludes CJK full-width punctuation', () => {
    expect(
      marked('见 https://x.example/a。然后 https://x.example/b，和（https://x.example/c）'),
    ).toBe('见 [https://x.example/a]。然后 [https://x.example/b]，和（[https://x.example/c]）')
  })

  it('keeps balanced brackets inside the URL and drops unbalanced closers', () => {
    expect(texts('(see https://x.example/a_(b)_c)')).toEqual(['https://x.example/a_(b)_c'])
    expect(texts('[https://x.example/a] {https://x.example/b}')).toEqual([
      'https://x.example/a',
      'https://x.example/b',
    ])
    expect(texts('[text](https://x.example/md)')).toEqual(['https://x.example/md'])
  })

  it('keeps punctuation that is inside the URL', () => {
    expect(texts('https://x.example/a.b,c;d:e!f?g=h#i.')).toEqual([
      'https://x.example/a.b,c;d:e!f?g=h#i',
    ])
  })
})

describe('scanText: what counts as a link', () => {
  it('keeps userinfo, so the real host is inside the link', () => {
    expect(texts('Log in: https://paypal.com@evil.example/login today')).toEqual([
      'https://paypal.com@evil.example/login',
    ])
  })

  it('finds www. links without a scheme', () => {
    const [link] = scan('visit www.example.com/path please')
    expect(link).toEqual({ start: 6, end: 26, text: 'www.example.com/path', hasScheme: false })
  })

  it('sets hasScheme for http and https in any case', () => {
    const links = scan('HTTPS://EXAMPLE.COM/X and hTTp://x.example/y')
    expect(links.map((link) => link.hasScheme)).toEqual([true, true])
  })

  it('finds IPv6 and IPv4 hosts', () => {
    expect(texts('http://[2001:db8::1]/x and http://192.0.2.7:8080/y and 192.0.2.8/z')).toEqual([
      'http://[2001:db8::1]/x',
      'http://192.0.2.7:8080/y',
      '192.0.2.8/z',
    ])
  })

  it('finds protocol-relative links, without a scheme', () => {
    expect(scan('see //cdn.example.com/x').map((link) => [link.text, link.hasScheme])).toEqual([
      ['//cdn.example.com/x', false],
    ])
  })

  it('drops mailto and ftp links, including the URLs inside them', () => {
    const src = 'mailto:a@b.example?body=https://x.example/ and ftp://f.example/http://g.example/'
    expect(texts(src)).toEqual([])
  })

  it('does not find bare e-mail addresses', () => {
    expect(texts('write to someone@example.com')).toEqual([])
  })

  it('finds non-ASCII IRIs whole', () => {
    expect(texts('IRI: https://例え.テスト/パス.')).toEqual(['https://例え.テスト/パス'])
  })
})

describe('scanText: positions', () => {
  it('finds URLs at the very start and end of the text', () => {
    const src = 'https://a.example/start middle https://b.example/end'
    expect(scan(src).map((link) => [link.start, link.end])).toEqual([
      [0, 23],
      [31, src.length],
    ])
  })

  it('stops at CRLF line ends', () => {
    const src = 'one https://a.example/x\r\ntwo https://b.example/y\r\n'
    expect(marked(src)).toBe('one [https://a.example/x]\r\ntwo [https://b.example/y]\r\n')
  })

  it('finds nothing in empty or link-free text', () => {
    expect(scan('')).toEqual([])
    expect(scan('no links here, version 1.2.3.')).toEqual([])
  })

  it('does not cut long URLs short (linkify-it caps paths at 10,000 characters by default)', () => {
    const url = `https://x.example/${'a'.repeat(20_000)}?q=1`
    expect(texts(`see ${url}.`)).toEqual([url])
  })

  it('finds URLs whose host holds an underscore, which linkify-it skips but browsers open', () => {
    const src = 'Go to http://login_microsoft.evil.example/x, and (https://a_b.example/y).'
    expect(texts(src)).toEqual(['http://login_microsoft.evil.example/x', 'https://a_b.example/y'])
  })

  it('keeps a closing quote that pairs with one inside the URL', () => {
    expect(texts('see http://foo.example/blah_"quoted" now')).toEqual([
      'http://foo.example/blah_"quoted"',
    ])
  })
})

describe('www. names on every top-level domain', () => {
  it('finds www. names on new and country TLDs that mail clients link', () => {
    const text = 'a www.evil.app b www.evil.xyz c www.evil.zip d www.evil.online e www.foo.example'

    const found = scanText(text).links.map((link) => link.text)

    expect(found).toEqual([
      'www.evil.app',
      'www.evil.xyz',
      'www.evil.zip',
      'www.evil.online',
      'www.foo.example',
    ])
  })

  it('does not take the parts of an e-mail address for bare domains', () => {
    expect(texts('write to test.example@mail.example or tag+news.example@x.example')).toEqual([])
  })
})
