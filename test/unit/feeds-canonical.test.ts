/**
 * The canonicalisation and suffix/prefix examples from the Safe Browsing v4
 * documentation ("URLs and Hashing"), written out here as our own table.
 */

import { describe, expect, it } from 'vitest'

import {
  canonicalString,
  canonicalize,
  canonicalizeBinary,
  canonicalIpv4,
  expressions,
} from '../../src/core/feeds/canonical.js'
import { lookupKeys, toFeedEntry } from '../../src/core/feeds/keys.js'

const DOCUMENTED: [string, string][] = [
  ['http://host/%25%32%35', 'http://host/%25'],
  ['http://host/%25%32%35%25%32%35', 'http://host/%25%25'],
  ['http://host/%2525252525252525', 'http://host/%25'],
  ['http://host/asdf%25%32%35asd', 'http://host/asdf%25asd'],
  ['http://host/%%%25%32%35asd%%', 'http://host/%25%25%25asd%25%25'],
  ['http://www.google.com/', 'http://www.google.com/'],
  [
    'http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/%77%77%77%2E%65%62%61%79%2E%63%6F%6D/',
    'http://168.188.99.26/.secure/www.ebay.com/',
  ],
  [
    'http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/',
    'http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/',
  ],
  [
    'http://host%23.com/%257Ea%2521b%2540c%2523d%2524e%25f%255E00%252611%252A22%252833%252944_55%252B',
    'http://host%23.com/~a!b@c%23d$e%25f^00&11*22(33)44_55+',
  ],
  ['http://3279880203/blah', 'http://195.127.0.11/blah'],
  ['http://www.google.com/blah/..', 'http://www.google.com/'],
  ['www.google.com/', 'http://www.google.com/'],
  ['www.google.com', 'http://www.google.com/'],
  ['http://www.evil.com/blah#frag', 'http://www.evil.com/blah'],
  ['http://www.GOOgle.com/', 'http://www.google.com/'],
  ['http://www.google.com.../', 'http://www.google.com/'],
  ['http://www.google.com/foo\tbar\rbaz\n2', 'http://www.google.com/foobarbaz2'],
  ['http://www.google.com/q?', 'http://www.google.com/q?'],
  ['http://www.google.com/q?r?', 'http://www.google.com/q?r?'],
  ['http://www.google.com/q?r?s', 'http://www.google.com/q?r?s'],
  ['http://evil.com/foo#bar#baz', 'http://evil.com/foo'],
  ['http://evil.com/foo;', 'http://evil.com/foo;'],
  ['http://evil.com/foo?bar;', 'http://evil.com/foo?bar;'],
  ['http://notrailingslash.com', 'http://notrailingslash.com/'],
  ['http://www.gotaport.com:1234/', 'http://www.gotaport.com/'],
  ['  http://www.google.com/  ', 'http://www.google.com/'],
  ['http:// leadingspace.com/', 'http://%20leadingspace.com/'],
  ['http://%20leadingspace.com/', 'http://%20leadingspace.com/'],
  ['%20leadingspace.com/', 'http://%20leadingspace.com/'],
  ['https://www.securesite.com/', 'https://www.securesite.com/'],
  ['http://host.com/ab%23cd', 'http://host.com/ab%23cd'],
  ['http://host.com//twoslashes?more//slashes', 'http://host.com/twoslashes?more//slashes'],
]

describe('Safe Browsing canonicalisation', () => {
  it.each(DOCUMENTED)('canonicalises %j to %j', (input, expected) => {
    const url = canonicalize(input)

    expect(url && canonicalString(url)).toBe(expected)
  })

  it('escapes raw control and high bytes in the host (documented \\x01\\x80 example)', () => {
    const url = canonicalizeBinary('http://\x01\x80.com/')

    expect(url && canonicalString(url)).toBe('http://%01%80.com/')
  })

  it('normalises IPv6 literals and unwraps IPv4-mapped and NAT64 addresses', () => {
    const spell = (input: string) => {
      const url = canonicalize(input)
      return url && canonicalString(url)
    }

    expect(spell('http://[2001:0db8:0000::1]/')).toBe('http://[2001:db8::1]/')
    expect(spell('http://[::ffff:1.2.3.4]/')).toBe('http://1.2.3.4/')
    expect(spell('http://[64:ff9b::1.2.3.4]/x')).toBe('http://1.2.3.4/x')
  })

  it('reads every IPv4 spelling as inet_aton does', () => {
    expect(canonicalIpv4('0x7f.1')).toBe('127.0.0.1')
    expect(canonicalIpv4('0177.0.0.1')).toBe('127.0.0.1')
    expect(canonicalIpv4('127.1')).toBe('127.0.0.1')
    expect(canonicalIpv4('2130706433')).toBe('127.0.0.1')
    expect(canonicalIpv4('1.2.3.4.5')).toBeNull()
    expect(canonicalIpv4('08.1.1.1')).toBeNull()
    expect(canonicalIpv4('example.com')).toBeNull()
  })

  it('turns an internationalised host into Punycode, escaped or not', () => {
    const plain = canonicalize('http://bücher.example/a')
    const escaped = canonicalize('http://b%C3%BCcher.example/a')

    expect(plain?.host).toBe('xn--bcher-kva.example')
    expect(escaped?.host).toBe('xn--bcher-kva.example')
  })

  it('drops user information and keeps the path and query apart', () => {
    const url = canonicalize('https://bank.example@evil.example:8443/a/./b/../c?x=/../y')

    expect(url).toEqual({ scheme: 'https', host: 'evil.example', path: '/a/c', query: 'x=/../y' })
  })

  it('rejects a scheme without slashes and an empty host', () => {
    expect(canonicalize('mailto:someone@example.com')).toBeNull()
    expect(canonicalize('http:///path')).toBeNull()
  })
})

describe('Safe Browsing suffix/prefix expressions', () => {
  const of = (input: string) => {
    const url = canonicalize(input)
    return url ? expressions(url).sort() : []
  }

  it('expands http://a.b.c/1/2.html?param=1 to the eight documented expressions', () => {
    expect(of('http://a.b.c/1/2.html?param=1')).toEqual(
      [
        'a.b.c/1/2.html?param=1',
        'a.b.c/1/2.html',
        'a.b.c/',
        'a.b.c/1/',
        'b.c/1/2.html?param=1',
        'b.c/1/2.html',
        'b.c/',
        'b.c/1/',
      ].sort(),
    )
  })

  it('uses the exact host and the last five labels for http://a.b.c.d.e.f.g/1.html', () => {
    expect(of('http://a.b.c.d.e.f.g/1.html')).toEqual(
      [
        'a.b.c.d.e.f.g/1.html',
        'a.b.c.d.e.f.g/',
        'c.d.e.f.g/1.html',
        'c.d.e.f.g/',
        'd.e.f.g/1.html',
        'd.e.f.g/',
        'e.f.g/1.html',
        'e.f.g/',
        'f.g/1.html',
        'f.g/',
      ].sort(),
    )
  })

  it('does not expand the host of an IP address (http://1.2.3.4/1/)', () => {
    expect(of('http://1.2.3.4/1/')).toEqual(['1.2.3.4/', '1.2.3.4/1/'])
  })

  it('expands http://example.co.uk/1 with co.uk but never the bare top-level label', () => {
    expect(of('http://example.co.uk/1')).toEqual(
      ['example.co.uk/1', 'example.co.uk/', 'co.uk/1', 'co.uk/'].sort(),
    )
  })

  it('keeps at most six paths: with and without query, the root and three directories', () => {
    const paths = of('http://x.example/1/2/3/4/5/page.html?q=1')

    expect(paths).toEqual(
      [
        'x.example/1/2/3/4/5/page.html?q=1',
        'x.example/1/2/3/4/5/page.html',
        'x.example/',
        'x.example/1/',
        'x.example/1/2/',
        'x.example/1/2/3/',
      ].sort(),
    )
  })
})

describe('feed keys', () => {
  it('matches a feed URL and a clicked link however each is spelled', () => {
    const entry = toFeedEntry({ kind: 'url', value: 'http://Evil.EXAMPLE:80/a/../b', info: null })
    const keys = lookupKeys('HTTP://evil.example/b#section')

    expect(entry?.value).toBe('evil.example/b')
    expect(keys?.urlHash).toBe(entry?.hash)
  })

  it('looks a host up with each parent domain, never the top-level label alone', () => {
    expect(lookupKeys('https://a.b.evil.example/x')?.hosts).toEqual([
      'a.b.evil.example',
      'b.evil.example',
      'evil.example',
    ])
  })

  it('rejects a feed host that is not a host name', () => {
    expect(toFeedEntry({ kind: 'host', value: 'evil.example/path', info: null })).toBeNull()
    expect(toFeedEntry({ kind: 'host', value: 'EVIL.example.', info: null })?.value).toBe(
      'evil.example',
    )
  })
})
