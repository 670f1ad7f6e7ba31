import { describe, expect, it } from 'vitest'

import { DEFAULT_BRANDS, parseBrands } from '../../src/core/brands.js'
import { observeUrl } from '../../src/core/heuristics/index.js'
import { linkTextMismatch, shownDomains } from '../../src/core/heuristics/link-text.js'

const options = { brands: DEFAULT_BRANDS }
const reasons = (url: string) => observeUrl(url, options).map((o) => o.reason)
const verdictOf = (url: string, reason: string) =>
  observeUrl(url, options).find((o) => o.reason === reason)?.verdict

describe('IP-literal hosts', () => {
  it('flags a dotted-quad and an IPv6 host', () => {
    expect(reasons('http://203.0.113.9/login')).toEqual(['ip_host'])
    expect(reasons('http://[2001:db8::1]/login')).toEqual(['ip_host'])
  })

  it('blocks every disguised spelling of an IPv4 address', () => {
    for (const url of [
      'http://3405803785/x', // decimal
      'http://0xcb007109/x', // hex
      'http://0313.0.0161.011/x', // octal parts
      'http://0xcb.0.113.9/x', // mixed
      'http://203.7340297/x', // short form a.b
      'http://203.0.29001/x', // short form a.b.c
      'http://[::ffff:203.0.113.9]/x', // IPv4-mapped
      'http://[::ffff:cb00:7109]/x', // IPv4-mapped, hex
      'http://[64:ff9b::cb00:7109]/x', // NAT64
    ]) {
      expect(verdictOf(url, 'ip_host_obfuscated'), url).toBe('block')
    }
  })

  it('leaves names that contain digits alone (benign twin)', () => {
    expect(reasons('https://203-0-113-9.example.com/x')).not.toContain('ip_host')
    expect(reasons('https://1.example.com/x')).toEqual([])
    expect(reasons('https://web.example/203.0.113.9')).toEqual([])
  })
})

describe('userinfo tricks', () => {
  it('blocks a site name put in front of the real host', () => {
    expect(verdictOf('https://bank.example@evil.example/', 'userinfo_disguise')).toBe('block')
    expect(verdictOf('https://www.paypal.com:login@evil.example/', 'userinfo_disguise')).toBe(
      'block',
    )
  })

  it('warns on plain credentials in a link', () => {
    expect(verdictOf('https://user:secret@files.example/', 'userinfo')).toBe('warn')
  })

  it('ignores an @ in the path or query (benign twin)', () => {
    expect(reasons('https://evil.example/bank.example@x')).toEqual([])
    expect(reasons('https://shop.example/?email=a@bank.example')).toEqual([])
  })
})

describe('look-alike and mixed-script hosts', () => {
  it('blocks a Cyrillic spelling of a protected brand, whole or mixed', () => {
    const mixed = new URL('https://раураl.com/').href // Cyrillic р, а, у with a Latin l
    const whole = new URL('https://сһаѕе.com/').href // all Cyrillic: с һ а ѕ е

    expect(verdictOf(mixed, 'brand_lookalike')).toBe('block')
    expect(verdictOf(whole, 'brand_lookalike')).toBe('block')
  })

  it('blocks ASCII confusables of a brand (rn for m, 1 for l, 0 for o)', () => {
    expect(verdictOf('https://rnicrosoft-support.example/', 'brand_lookalike')).toBe('block')
    expect(verdictOf('https://paypa1.com/signin', 'brand_lookalike')).toBe('block')
    expect(verdictOf('https://login.micros0ft.example/', 'brand_lookalike')).toBe('block')
  })

  it('warns on a label mixing Latin and Cyrillic, naming the punycode form', () => {
    const found = observeUrl('https://xn--shp-qdd.example/', options) // "sһop": Latin + Cyrillic һ
    expect(found.map((o) => o.reason)).toContain('mixed_script_host')
    expect(found.find((o) => o.reason === 'mixed_script_host')?.detail).toContain('xn--shp-qdd')
  })

  it('leaves single-script IDNs and the brands themselves alone (benign twins)', () => {
    expect(reasons('https://xn--bcher-kva.example/angebot')).toEqual([]) // bücher
    expect(reasons('https://xn--eckwd4c7c.xn--zckzah/')).toEqual([]) // Japanese
    expect(reasons('https://www.paypal.com/signin')).toEqual([])
    expect(reasons('https://login.microsoftonline.com/common/oauth2')).toEqual([])
    expect(reasons('https://microsoftedge.example/')).toEqual([])
  })
})

describe('brand names on other registrable domains', () => {
  it('warns on a brand used as a subdomain of another domain', () => {
    expect(reasons('https://microsoft.com.account-check.example/')).toContain('brand_in_subdomain')
    expect(reasons('https://paypal-login.secure.example/')).toContain('brand_in_subdomain')
  })

  it('warns on a brand inside another registrable domain', () => {
    expect(reasons('https://microsoft-alerts.example/')).toContain('brand_in_domain')
  })

  it('warns on a brand in the path of a sign-in page elsewhere', () => {
    expect(reasons('https://evil.example/office365/login.php')).toContain('brand_in_path')
    expect(reasons('https://evil.example/www.paypal.com/webscr?cmd=login')).toContain(
      'brand_in_path',
    )
  })

  it('leaves brand mentions that claim no sign-in, and unrelated words, alone (benign twins)', () => {
    expect(reasons('https://github.example/microsoft/vscode')).toEqual([])
    expect(reasons('https://news.example/2024/microsoft-earnings')).toEqual([])
    expect(reasons('https://www.purchase.example/login')).toEqual([]) // "chase" inside a word
    expect(reasons('https://outlook.office365.com/owa/')).toEqual([])
  })

  it('protects brands added through configuration', () => {
    const brands = parseBrands(
      '[{"name":"Contoso","domains":["contoso.com"],"keywords":["contoso"]}]',
    )
    const found = observeUrl('https://contoso.securelogin.example/', { brands })
    expect(found.map((o) => o.reason)).toEqual(['brand_in_subdomain'])
    expect(() => parseBrands('[{"name":"X","domains":["a.b.contoso.com"]}]')).toThrow(
      /not a registrable domain/,
    )
  })
})

describe('shorteners, shared hosting, length and encoding', () => {
  it('warns on public shorteners', () => {
    expect(reasons('https://bit.ly/3xYz')).toEqual(['url_shortener'])
    expect(reasons('https://t.co/abc')).toEqual(['url_shortener'])
  })

  it('leaves the shortener companies own sites and look-alike hosts alone (benign twins)', () => {
    expect(reasons('https://bitly.com/pages/pricing')).toEqual([])
    expect(reasons('https://bit.ly.example/x')).toEqual([])
    expect(reasons('https://aka.ms/mfasetup')).toEqual([]) // only Microsoft makes aka.ms links
  })

  it('warns on shared hosting where anyone can publish', () => {
    expect(reasons('https://storage.googleapis.com/bucket/o365.html')).toContain('shared_hosting')
    expect(reasons('https://invoice-77.web.app/')).toContain('shared_hosting')
  })

  it('says plainly what shared hosting means, and that a brand look-alike is only on a domain', () => {
    const hosted = observeUrl('https://invoice-77.web.app/', options)
    const lookalike = observeUrl('https://login.paypa1.com/', options)

    expect(hosted.find((o) => o.reason === 'shared_hosting')?.detail).toContain(
      "a platform where anyone can publish, so the platform's name says nothing about who made this page",
    )
    expect(lookalike.find((o) => o.reason === 'brand_lookalike')?.detail).toContain(
      'but the address is on paypa1.com',
    )
  })

  it('leaves the platforms own sites alone (benign twin)', () => {
    expect(reasons('https://firebase.google.com/docs')).toEqual([])
    expect(reasons('https://github.com/about')).toEqual([])
  })

  it('warns on absurd length and on disguised encodings', () => {
    expect(reasons(`https://shop.example/?q=${'a'.repeat(5000)}`)).toEqual(['url_absurd_length'])
    expect(reasons('https://shop.example/%6c%6f%67%69%6e')).toEqual(['url_obfuscated_encoding'])
  })

  it('leaves ordinary escapes and long tracking links alone (benign twin)', () => {
    expect(
      reasons(`https://shop.example/?next=https%3A%2F%2Fshop.example%2F&t=${'x'.repeat(1500)}`),
    ).toEqual([])
    expect(reasons('https://shop.example/caf%C3%A9?q=a%20b')).toEqual([])
  })
})

describe('link text that shows another site', () => {
  it('takes a domain from a text that is an address and reads as one', () => {
    expect(shownDomains('https://www.paypal.com/signin', [])).toEqual(['paypal.com'])
    expect(shownDomains('www.contoso.com', [])).toEqual(['contoso.com'])
    expect(shownDomains('<contoso.com/offers>', [])).toEqual(['contoso.com'])
    expect(shownDomains('paypal.com', DEFAULT_BRANDS)).toEqual(['paypal.com'])
  })

  it('takes no domain from names and sentences (benign twins)', () => {
    expect(shownDomains('Walmart.com', DEFAULT_BRANDS)).toEqual([])
    expect(shownDomains('CNET News.com: Top CIOs', DEFAULT_BRANDS)).toEqual([])
    expect(shownDomains('Sign in at https://www.paypal.com/signin now', DEFAULT_BRANDS)).toEqual([])
    expect(shownDomains('Click here', DEFAULT_BRANDS)).toEqual([])
  })

  it('blocks a protected brand shown over a link elsewhere', () => {
    const found = linkTextMismatch(['www.paypal.com'], ['https://evil.example/x'], DEFAULT_BRANDS)
    expect(found.map((o) => [o.reason, o.verdict])).toEqual([['link_text_brand_mismatch', 'block']])
  })

  it('warns on any other site shown over a link elsewhere', () => {
    const found = linkTextMismatch(['news.com/today'], ['https://evil.example/'], DEFAULT_BRANDS)
    expect(found.map((o) => o.reason)).toEqual(['link_text_mismatch'])
  })

  it('accepts a text matching any layer, or a sister domain of one brand (benign twins)', () => {
    const wrapped = ['https://tracker.example/c?u=1', 'https://www.contoso.com/offer']
    expect(linkTextMismatch(['www.contoso.com'], wrapped, DEFAULT_BRANDS)).toEqual([])
    expect(
      linkTextMismatch(['office.com'], ['https://www.microsoft.com/office'], DEFAULT_BRANDS),
    ).toEqual([])
    expect(linkTextMismatch(['Read more'], ['https://evil.example/'], DEFAULT_BRANDS)).toEqual([])
  })
})

describe('hosting and addressing tricks', () => {
  it('warns on user content under a famous owner’s host', () => {
    expect(reasons('https://script.google.com/macros/s/AKfy/exec')).toContain('shared_hosting')
    expect(reasons('https://storage.googleapis.com/bucket/login.html')).toContain('shared_hosting')
    expect(reasons('https://jfhdh.chickenkiller.com/x')).toContain('shared_hosting')
  })

  it('warns on S3 buckets at regional endpoints, virtual-hosted and path-style', () => {
    for (const url of [
      'https://claims-2024.s3.us-east-2.amazonaws.com/index.html',
      'https://claims-2024.s3-website-eu-west-1.amazonaws.com/',
      'https://claims-2024.s3.dualstack.ap-southeast-1.amazonaws.com/a.html',
      'https://s3.us-gov-west-1.amazonaws.com/claims-2024/a.html',
    ]) {
      expect(reasons(url), url).toEqual(['shared_hosting'])
    }
  })

  it('leaves Amazon’s own sites and other AWS endpoints alone (benign twins)', () => {
    expect(reasons('https://aws.amazon.com/s3/')).toEqual([])
    expect(reasons('https://ec2.us-east-2.amazonaws.com/')).toEqual([])
    expect(reasons('https://s3tools.example.com/us-east-2/')).toEqual([])
  })

  it('leaves the owners’ own pages alone (benign twins)', () => {
    expect(reasons('https://script.google.com/home')).toEqual([])
    expect(reasons('https://www.weebly.com/pricing')).toEqual([])
    expect(reasons('https://blog.example.blogspot.com/2024/01/post.html')).toEqual([]) // blogs: not listed
  })

  it('warns on abused top-level domains and fake country suffixes', () => {
    expect(reasons('https://scoutly.online/t/1')).toEqual(['abused_tld'])
    expect(reasons('https://acme-payroll.us.com/')).toEqual(['lookalike_country_suffix'])
  })

  it('leaves ordinary top-level domains and real country domains alone (benign twins)', () => {
    expect(reasons('https://scoutly.com/t/1')).toEqual([])
    expect(reasons('https://acme-payroll.com.au/')).toEqual([])
  })

  it('warns on a host name that spells out a server address', () => {
    expect(reasons('http://103-52-115-55.cloud.leaseweb.net/x')).toEqual(['ip_in_host_name'])
    expect(reasons('http://ec2-3-120-7-9.eu-central-1.compute.example/x')).toEqual([
      'ip_in_host_name',
    ])
  })

  it('leaves names with other numbers alone (benign twins)', () => {
    expect(reasons('https://release-2024-10-01.example.com/')).toEqual([])
    expect(reasons('https://v1-300-2-9.example.com/')).toEqual([])
  })

  it('warns on a link that is only a long random code at a site’s root', () => {
    expect(
      reasons('http://topmarktingplace.com/4XELzv34023kzUx610iernlhfalj14302ORYWDRVC'),
    ).toEqual(['opaque_link'])
  })

  it('warns on a short key of mixed letters and digits at a site’s root, like a shortener’s', () => {
    expect(reasons('https://links.unknown.example/aCMcO6')).toEqual(['short_code_link'])
    expect(reasons('https://q.qr-codes.example/utB7rpk8')).toEqual(['short_code_link'])
  })

  it('leaves words, names, deeper paths, queries and listed shorteners alone (benign twins)', () => {
    expect(reasons('https://www.bsa.example/Class3W')).toEqual([])
    expect(reasons('https://uni.example/Heidelind7')).toEqual([])
    expect(reasons('https://shop.example/sale2024')).toEqual([])
    expect(reasons('https://shop.example/p/aCMcO6')).toEqual([])
    expect(reasons('https://shop.example/aCMcO6?ref=mail')).toEqual([])
    expect(reasons('https://shop.example/ABC123')).toEqual([])
    expect(reasons('https://bit.ly/3xYzAbc')).toEqual(['url_shortener'])
    // Microsoft's own short domain leads only to Microsoft.
    expect(reasons('https://aka.ms/Ab3xYz9')).toEqual([])
    // YouTube's share links: youtu.be and an 11-character video id, in every newsletter.
    expect(reasons('https://youtu.be/dQw4w9WgXcQ')).toEqual([])
    // Profile handles: capitalised words and digits.
    expect(reasons('https://social.example/JaneDoe42')).toEqual([])
    expect(reasons('https://social.example/User123')).toEqual([])
    expect(reasons('https://code.example/Abc12')).toEqual([])
  })

  it('warns on a shared-hosting or abused-TLD host written into a link’s parameters', () => {
    const login = 'pay-out.transfer7.pages.dev%20-%20WITHDRAW%20FUNDS%20120097%20USDT'
    expect(reasons(`https://blog.example/wp-login.php?login=${login}&action=rp`)).toEqual([
      'host_named_in_parameter',
    ])
    expect(reasons('https://forms.example/r?note=visit+claim-now.xyz+today')).toEqual([
      'host_named_in_parameter',
    ])
  })

  it('leaves ordinary hosts, addresses, file names and the link’s own site alone (benign twins)', () => {
    expect(reasons('https://blog.example/wp-login.php?login=jane.doe&action=rp')).toEqual([])
    expect(reasons('https://news.example/share?text=Read+it+on+news.example.org')).toEqual([])
    expect(reasons('https://shop.example/?email=jane@site.pages.dev')).toEqual([])
    expect(reasons('https://files.example/get?name=report.zip&v=setup.exe')).toEqual([])
    // The link's own site is judged as the link.
    expect(reasons('https://app.pages.dev/?ref=app.pages.dev')).toEqual(['shared_hosting'])
    // A full URL in a parameter is a layer the unwrapper judges as a destination.
    expect(reasons('https://search.example/url?q=https://myproj.vercel.app/&sa=D')).toEqual([])
    // A platform's dashboard naming a site it hosts.
    const deployments = 'https://vercel.com/acme/web/deployments?domain=web-git-acme.vercel.app'
    expect(reasons(deployments)).toEqual([])
  })

  it('warns on an account word joined to a domain’s name', () => {
    expect(reasons('http://secure-netcloud.example.com/?a=73')).toEqual([])
    expect(reasons('http://secure-netcloud.com/?a=73')).toEqual(['account_word_in_domain'])
    expect(reasons('https://wallet-connect-sync.net/')).toEqual(['account_word_in_domain'])
  })

  it('leaves the word inside a longer one, alone, or in a subdomain (benign twins)', () => {
    expect(reasons('https://securityweek.com/')).toEqual([])
    expect(reasons('https://login.bank-of-somewhere.com/')).toEqual([])
    expect(reasons('https://secure.com/')).toEqual([])
    expect(reasons('https://disaster-recovery-plan.com/')).toEqual([])
  })

  it('warns on a root script whose only parameter is an unnamed code', () => {
    const code = '1o1668bb00b6de249_1cj3.k7pg5thv.A01ucr003bk2p0u1vj_9n1747.003bkZGE3MW0'
    expect(reasons(`http://mail.unknown.example/r684f.php?32=${code}`)).toEqual(['opaque_link'])
    expect(reasons(`http://mail.unknown.example/go?${code}`)).toEqual(['opaque_link'])
  })

  it('leaves a named parameter, several parameters and deeper scripts alone (benign twins)', () => {
    const code = '1o1668bb00b6de249_1cj3.k7pg5thv.A01ucr003bk2p0u1vj_9n1747.003bkZGE3MW0'
    expect(reasons(`http://mail.unknown.example/r684f.php?id=${code}`)).toEqual([])
    expect(reasons(`http://mail.unknown.example/r684f.php?32=${code}&b=1`)).toEqual([])
    expect(reasons(`http://mail.unknown.example/ls/click?${code}`)).toEqual([])
    expect(
      reasons('http://mail.unknown.example/r684f.php?32=1234567890123456789012345678901234'),
    ).toEqual([])
  })

  it('leaves readable paths and tracked links with parameters alone (benign twins)', () => {
    expect(
      reasons('https://shop.example/products/winter-sale-2024-for-everyone-in-the-family'),
    ).toEqual([])
    // Too short for opaque_link; a shortener's key in shape, so short_code_link (below).
    expect(reasons('https://shop.example/4XELzv340')).toEqual(['short_code_link'])
    expect(
      reasons('https://shop.example/4XELzv34023kzUx610iernlhfalj14302ORYWDRVC?ref=mail'),
    ).toEqual([])
    expect(reasons('https://shop.example/docs/4XELzv34023kzUx610iernlhfalj14302ORYWDRVC')).toEqual(
      [],
    )
  })

  it('blocks a host written with characters browsers fold into others', () => {
    expect(verdictOf('http://𝟜.sia-pmi.example/x', 'host_disguised_characters')).toBe('block')
    expect(verdictOf('https://ｐａｙｍｅｎｔ.example/', 'host_disguised_characters')).toBe('block')
  })

  it('leaves real international names alone (benign twin)', () => {
    expect(reasons('https://bücher.example/')).toEqual([])
  })
})

describe('an email address hidden in the link', () => {
  const b64 = (text: string) => btoa(text).replace(/=+$/, '')
  const hex = (text: string) => Buffer.from(text, 'latin1').toString('hex')

  it('warns on an address after the # or encoded in base64 or hex', () => {
    expect(reasons('https://portal.example/login#jane.doe@corp.example')).toEqual([
      'address_hidden_in_link',
    ])
    expect(reasons(`https://portal.example/login#${b64('jane.doe@corp.example')}`)).toEqual([
      'address_hidden_in_link',
    ])
    expect(reasons(`https://portal.example/s/${b64('jane.doe@corp.example')}/x`)).toEqual([
      'address_hidden_in_link',
    ])
    expect(
      reasons(`https://track.example/go.php?id=${hex('7,2,jane.doe@corp.example,14')}`),
    ).toEqual(['address_hidden_in_link'])
  })

  it('leaves addresses in the clear and encoded data without one alone (benign twins)', () => {
    expect(reasons('https://news.example/unsubscribe?email=jane.doe%40corp.example')).toEqual([])
    expect(reasons(`https://portal.example/s/${b64('order 12345 shipped today')}`)).toEqual([])
    expect(
      reasons(`https://esp.example/c?p=${b64('{"email":"jane.doe@corp.example","id":7}')}`),
    ).toEqual([])
    expect(reasons('https://cdn.example/a/0123456789abcdef0123456789abcdef.png')).toEqual([])
  })

  it('stays fast on a long link full of address characters', () => {
    const started = performance.now()
    observeUrl(`https://portal.example/#${'a.'.repeat(15_000)}@`, options)
    expect(performance.now() - started).toBeLessThan(200)
  })
})
