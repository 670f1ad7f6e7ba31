/**
 * The rewriter end to end on messages and bodies written for these tests,
 * one block per case in ../shared/cases/CASES.md.
 */

import { decodeHTML } from 'entities'
import { describe, expect, it } from 'vitest'

import { binaryToBytes, bytesToBinary } from '../../src/core/bytes.js'
import { decodeQuotedPrintable } from '../../src/core/rewrite/qp.js'
import { BROWSER } from '../support/clicks.js'
import { createHarness, testConfig } from '../support/harness.js'
import { signedLinks, targetsIn } from '../support/links.js'
import { bodyOf, message, multipart } from '../support/mail.js'

describe('case 1: quoted-printable soft break inside an href', () => {
  for (const [name, eol] of [
    ['CRLF', '\r\n'],
    ['LF-only', '\n'],
  ] as const) {
    it(`decodes the whole URL before rewriting (${name})`, async () => {
      const h = createHarness()
      const input = message(
        'text/html; charset=utf-8',
        'quoted-printable',
        '<p>Book here: <a href=3D"https://Clinic.Exa=\nmple.com/track/click?u=3D33cd&id=3D8d00&e=3D67a8">book</a></p>\n',
        eol,
      )

      const { output, summary } = await h.deps.rewriter.rewriteMessage(input)
      const decoded = decodeQuotedPrintable(bodyOf(output))

      expect(summary.rewritten).toBe(1)
      expect(await targetsIn(decoded, h.deps)).toEqual([
        'https://Clinic.Example.com/track/click?u=33cd&id=8d00&e=67a8',
      ])
      expect(decoded).not.toContain('Clinic.Exa')
      expect(decoded).not.toMatch(/=\r?\n/)
      expect(decoded).not.toContain('=3D')
    })
  }
})

describe('case 2: an inserted link is quoted-printable encoded', () => {
  it('writes = as =3D and decodes back to the exact link', async () => {
    const h = createHarness(
      testConfig({ CLICKGATE_BASE_URL: 'https://go.safelink.example/s=2a9f&x=gl' }),
    )
    const input = message(
      'text/html; charset=utf-8',
      'quoted-printable',
      '<a href=3D"https://a.example/x">x</a>\n',
    )

    const { output } = await h.deps.rewriter.rewriteMessage(input)
    const raw = bodyOf(output)
    const [link] = signedLinks(decodeHTML(decodeQuotedPrintable(raw)), h.deps)

    expect(link).toMatch(/^https:\/\/go\.safelink\.example\/s=2a9f&x=gl\/r\//)
    expect(raw).toContain('s=3D2a9f&amp;x=3Dgl')
    expect(raw.split(/\r?\n/).every((line) => line.length <= 76)).toBe(true)
  })
})

describe('case 4: character references decoded once, escaped once', () => {
  it('stores decoded targets and never writes &amp; twice', async () => {
    const h = createHarness()
    const html = [
      '<a href="https://shop.example/reset?key=K1&amp;id=7">a</a>',
      '<a href="https://shop.example/p?a=1&#38;b=2">b</a>',
      '<a href="https://shop.example/q?x=1&copy=2">c</a>',
      '<a href="https://shop.example/q?lang=en&amp;amp;x=1">d</a>',
    ].join('\n')

    const { output } = await h.deps.rewriter.rewriteHtml(html)

    expect(await targetsIn(output, h.deps)).toEqual([
      'https://shop.example/reset?key=K1&id=7',
      'https://shop.example/p?a=1&b=2',
      'https://shop.example/q?x=1&copy=2',
      'https://shop.example/q?lang=en&amp;x=1',
    ])
    expect(output).not.toContain('&amp;')
  })
})

describe('case 5: attribute syntax variety', () => {
  it('rewrites exactly the five real hrefs', async () => {
    const h = createHarness()
    const html = [
      "<A HREF='https://a.example/one'>1</A>",
      '<a href=https://b.example/two>2</a>',
      '<a title="x" href = "https://c.example/three/">3</a>',
      '<a data-mce-href="https://d.example/four" href="https://d.example/four">4</a>',
      `<a href="https://e.example/it's">5</a>`,
    ].join('\n')

    const { output, summary } = await h.deps.rewriter.rewriteHtml(html)

    expect(summary.rewritten).toBe(5)
    expect(await targetsIn(output, h.deps)).toEqual([
      'https://a.example/one',
      'https://b.example/two',
      'https://c.example/three/',
      'https://d.example/four',
      "https://e.example/it's",
    ])
    expect(output).toContain('data-mce-href="https://d.example/four"')
    expect(output).toMatch(/<a href=https:\/\/go\.clickgate\.example\/r\/[\w-]+>2<\/a>/)
  })
})

describe('case 7: <base href> and relative links', () => {
  it('resolves against the first base and leaves base and img alone', async () => {
    const h = createHarness()
    const html = [
      '<head><base href="https://forum.example.org/forums/"></head>',
      '<a href="index.php?t=rview&amp;goto=5#msg_5">View</a>',
      '<a href="/help">Help</a>',
      '<img src="theme/logo.png">',
    ].join('\n')

    const { output } = await h.deps.rewriter.rewriteHtml(html)

    expect(await targetsIn(output, h.deps)).toEqual([
      'https://forum.example.org/forums/index.php?t=rview&goto=5#msg_5',
      'https://forum.example.org/help',
    ])
    expect(output).toContain('<base href="https://forum.example.org/forums/">')
    expect(output).toContain('<img src="theme/logo.png">')
  })

  it('leaves relative links unchanged without a usable base, and says why', async () => {
    const h = createHarness()

    const { output, summary } = await h.deps.rewriter.rewriteHtml(
      '<base href="/"><a href="index.html">x</a>',
    )

    expect(output).toBe('<base href="/"><a href="index.html">x</a>')
    expect(summary.skipped).toEqual([{ url: 'index.html', reason: 'relative_without_base' }])
  })
})

describe('case 8: Outlook VML buttons and conditional comments', () => {
  it('rewrites the VML and the HTML twin and keeps every other byte', async () => {
    const h = createHarness()
    const html = [
      '<!--[if mso]>',
      '<v:roundrect xmlns:v="urn:schemas-microsoft-com:vml" href="https://pay.example.com/inv/991" style="height:40px;width:200px" arcsize="10%" fillcolor="#1a73e8"><w:anchorlock/><center>Pay</center></v:roundrect>',
      '<![endif]-->',
      '<!--[if !mso]><!-- --><a href="https://pay.example.com/inv/991">Pay</a><!--<![endif]-->',
      '<![if !mso]><p>web only</p><![endif]>',
    ].join('\n')

    const { output } = await h.deps.rewriter.rewriteHtml(html)
    const links = signedLinks(output, h.deps)

    expect(links).toHaveLength(2)
    expect(await targetsIn(output, h.deps)).toEqual([
      'https://pay.example.com/inv/991',
      'https://pay.example.com/inv/991',
    ])
    expect(output.replaceAll(links[0] ?? '?', 'https://pay.example.com/inv/991')).toBe(html)
  })
})

describe('case 9: fragments', () => {
  it('keeps a fragment in the target and leaves in-page anchors alone', async () => {
    const h = createHarness()

    const { output, summary } = await h.deps.rewriter.rewriteHtml(
      '<a href="https://docs.example.com/guide?v=2#install">g</a><a href="#top">t</a>',
    )

    expect(await targetsIn(output, h.deps)).toEqual(['https://docs.example.com/guide?v=2#install'])
    expect(output).toContain('<a href="#top">t</a>')
    expect(summary.skipped).toEqual([{ url: '#top', reason: 'fragment_only' }])
  })
})

describe('case 10: non-web schemes', () => {
  it('leaves mailto, tel, sms and cid links alone whatever their case', async () => {
    const h = createHarness()
    const hrefs = [
      'mailto:billing@example.com?subject=Invoice%20991',
      'MAILTO:x@example.com',
      ' tel:+1-555-0100',
      'sms:+15550100',
      'cid:logo@part',
    ]
    const html = hrefs.map((href) => `<a href="${href}">x</a>`).join('')

    const { output, summary } = await h.deps.rewriter.rewriteHtml(html)

    expect(output).toBe(html)
    expect(summary.skipped.map((s) => s.reason)).toEqual(Array(5).fill('non_web_scheme'))
  })
})

describe('case 11: script and data schemes', () => {
  it('never rewrites them and reports them as unsafe', async () => {
    const h = createHarness()
    const html = [
      '<a href="  JaVaScRiPt:alert(1)">a</a>',
      '<a href="java&#x09;script:alert(1)">b</a>',
      '<a href="data:text/html;base64,PHNjcmlwdD4=">c</a>',
      '<a href="vbscript:msgbox(1)">d</a>',
    ].join('')

    const { output, summary } = await h.deps.rewriter.rewriteHtml(html)

    expect(output).toBe(html)
    expect(summary.skipped.map((s) => s.reason)).toEqual(Array(4).fill('unsafe_scheme'))
  })
})

describe('message-level findings', () => {
  it('marks a message with a script link, and warns on its other links at click time', async () => {
    const h = createHarness()
    const html = '<a href="javascript:steal()">x</a><a href="https://fine.example/">y</a>'

    const { output, summary } = await h.deps.rewriter.rewriteHtml(html)
    const [link] = signedLinks(output, h.deps)
    const click = await h.app.request(new URL(link ?? '').pathname)

    expect(summary.findings).toMatchObject([{ verdict: 'warn', reason: 'script_link_in_message' }])
    expect(click.status).toBe(200)
    expect(await click.text()).toContain('script_link_in_message')
  })

  it('warns on every link of a message with a part in a charset it cannot read', async () => {
    const h = createHarness()
    const input = multipart([
      'Content-Type: text/plain\r\n\r\nSee https://shop.example/ for details.',
      'Content-Type: text/html; charset=utf-7\r\n\r\n<a href="https://hidden.example/">x</a>',
    ])

    const { output, summary } = await h.deps.rewriter.rewriteMessage(input)
    const [link] = signedLinks(bytesToBinary(output), h.deps)
    const click = await h.app.request(new URL(link ?? '').pathname)

    expect(summary.findings).toMatchObject([
      { verdict: 'warn', reason: 'unreadable_part_in_message', source: 'rewriter' },
    ])
    expect(await click.text()).toContain('unreadable_part_in_message')
  })

  it('reads a part behind an undefined encoding and warns on every link of the message', async () => {
    const h = createHarness()
    const input = multipart([
      'Content-Type: text/plain\r\n\r\nSee https://shop.example/ for details.',
      'Content-Type: text/html\r\nContent-Transfer-Encoding: 8bit+\r\n\r\n<a href="https://hidden.example/">x</a>',
    ])

    const { output, summary } = await h.deps.rewriter.rewriteMessage(input)
    const links = signedLinks(bytesToBinary(output), h.deps)
    const click = await h.app.request(new URL(links[0] ?? '').pathname)

    expect(await targetsIn(bytesToBinary(output), h.deps)).toEqual([
      'https://shop.example/',
      'https://hidden.example/',
    ])
    expect(summary.findings).toMatchObject([
      { verdict: 'warn', reason: 'disguised_transfer_encoding', source: 'rewriter' },
    ])
    expect(await click.text()).toContain('disguised_transfer_encoding')
  })

  it('warns on every link of a message with a link too long to rewrite', async () => {
    const h = createHarness(testConfig({ CLICKGATE_MAX_URL_LENGTH: '100' }))
    const html = `<a href="https://evil.example/${'a'.repeat(100)}">x</a><a href="https://fine.example/">y</a>`

    const { output, summary } = await h.deps.rewriter.rewriteHtml(html)
    const [link] = signedLinks(output, h.deps)
    h.clock.now += 60_000
    const click = await h.app.request(new URL(link ?? '').pathname, { headers: BROWSER })

    expect(summary.skipped.map((s) => s.reason)).toEqual(['url_too_long'])
    expect(summary.findings).toMatchObject([{ verdict: 'warn', reason: 'long_link_in_message' }])
    expect(click.status).toBe(200)
    expect(await click.text()).toContain('long_link_in_message')
  })

  it('adds no finding when every part uses an encoding MIME defines (benign twin)', async () => {
    const h = createHarness()
    const input = multipart([
      'Content-Type: text/plain\r\n\r\nSee https://shop.example/ for details.',
      'Content-Type: text/html\r\nContent-Transfer-Encoding: 8bit\r\n\r\n<a href="https://other.example/">x</a>',
    ])

    const { summary } = await h.deps.rewriter.rewriteMessage(input)

    expect(summary.rewritten).toBe(2)
    expect(summary.findings).toEqual([])
  })

  it('keeps links of a clean message clean', async () => {
    const h = createHarness()

    const { output, summary } = await h.deps.rewriter.rewriteHtml(
      '<a href="https://fine.example/">y</a>',
    )
    const [link] = signedLinks(output, h.deps)

    expect(summary.findings).toEqual([])
    expect((await h.app.request(new URL(link ?? '').pathname)).status).toBe(302)
  })
})

describe('never rewrite', () => {
  it('leaves our own links alone, so rewriting twice changes nothing', async () => {
    const h = createHarness()
    const first = await h.deps.rewriter.rewriteHtml(
      '<a href="https://a.example/">a</a> https://b.example/',
    )

    const second = await h.deps.rewriter.rewriteHtml(first.output)
    const text = await h.deps.rewriter.rewriteText('go to https://a.example/ now')
    const textAgain = await h.deps.rewriter.rewriteText(text.output)

    // The href and the URL in the text (which mail clients link) were both rewritten once.
    const own = signedLinks(first.output, h.deps)
    expect(own).toHaveLength(2)
    expect(second.output).toBe(first.output)
    expect(second.summary.skipped).toEqual(own.map((url) => ({ url, reason: 'own_link' })))
    expect(textAgain.output).toBe(text.output)
  })

  it('does not take a form posting to our confirmation address for one of our links', async () => {
    const h = createHarness()
    const first = await h.deps.rewriter.rewriteHtml('<a href="https://bit.ly/abc">x</a>')
    const [link] = signedLinks(first.output, h.deps)
    // A second message's ready-made "continue" would skip the warning the first link gets.
    const html = `<form method="post" action="${link}/go"><button>Open</button></form>`

    const { output } = await h.deps.rewriter.rewriteHtml(html)
    const [wrapped] = signedLinks(output, h.deps)
    h.clock.now += 60_000
    const press = await h.app.request(new URL(wrapped ?? '').pathname, {
      method: 'POST',
      headers: BROWSER,
    })
    const after = await h.app.request(press.headers.get('Location') ?? '', { headers: BROWSER })

    expect(await targetsIn(output, h.deps)).toEqual([`${link}/go`])
    expect(after.status).not.toBe(303)
    expect(after.headers.get('Location')).not.toBe('https://bit.ly/abc')
  })

  it('skips configured hosts, with *. covering subdomains only', async () => {
    const h = createHarness(
      testConfig({ CLICKGATE_NO_REWRITE_HOSTS: 'Intranet.Example, *.corp.example' }),
    )
    const html =
      '<a href="https://intranet.example/a">1</a><a href="https://wiki.corp.example/b">2</a>' +
      '<a href="https://corp.example/c">3</a>'

    const { output, summary } = await h.deps.rewriter.rewriteHtml(html)

    expect(await targetsIn(output, h.deps)).toEqual(['https://corp.example/c'])
    expect(summary.skipped.map((s) => s.reason)).toEqual(['no_rewrite_host', 'no_rewrite_host'])
  })
})

describe('plain text', () => {
  it('keeps brackets and trailing punctuation outside the link (case 18)', async () => {
    const h = createHarness()
    const text =
      'See (https://en.wikipedia.org/wiki/Mercury_(planet)) and https://example.com/docs/.\n' +
      'Old page (https://example.com/a/b). Share: https://social.example/share?u=1&href=http://news.example/x!'

    const { output } = await h.deps.rewriter.rewriteText(text)
    const links = signedLinks(output, h.deps)

    expect(await targetsIn(output, h.deps)).toEqual([
      'https://en.wikipedia.org/wiki/Mercury_(planet)',
      'https://example.com/docs/',
      'https://example.com/a/b',
      'https://social.example/share?u=1&href=http://news.example/x',
    ])
    expect(output).toBe(
      `See (${links[0]}) and ${links[1]}.\nOld page (${links[2]}). Share: ${links[3]}!`,
    )
  })

  it('finds www. names and leaves bare domains, reporting them', async () => {
    const h = createHarness()

    const { output, summary } = await h.deps.rewriter.rewriteText(
      'Visit www.example.com or example.org',
    )

    expect(await targetsIn(output, h.deps)).toEqual(['http://www.example.com'])
    expect(summary.skipped).toEqual([{ url: 'example.org', reason: 'schemeless_text' }])
  })

  it('rewrites a non-ASCII URL in a UTF-8 text part and keeps the other bytes', async () => {
    const h = createHarness()
    const utf8Body = bytesToBinary(
      new TextEncoder().encode('Grüße: https://bücher.example/straße ok\n'),
    )
    const input = message('text/plain; charset=utf-8', '8bit', utf8Body)

    const { output } = await h.deps.rewriter.rewriteMessage(input)
    const body = new TextDecoder().decode(binaryToBytes(bodyOf(output)))

    expect(await targetsIn(body, h.deps)).toEqual(['https://bücher.example/straße'])
    expect(body).toMatch(/^Grüße: https:\/\/go\.clickgate\.example\/r\/[\w-]+ ok\r\n$/)
  })
})

describe('messages', () => {
  it('returns a message with nothing to rewrite byte for byte', async () => {
    const h = createHarness()
    const input = message(
      'text/html; charset=utf-8',
      'quoted-printable',
      '<p>no links =E2=9C=93</p>\n',
    )

    const { output, summary } = await h.deps.rewriter.rewriteMessage(input)

    expect(output).toEqual(input)
    expect(summary).toEqual({
      found: 0,
      rewritten: 0,
      skipped: [],
      flagged: [],
      defanged: [],
      findings: [],
    })
  })

  it('flags a bare body sent as a message and returns it unchanged', async () => {
    const h = createHarness()
    const input = binaryToBytes('<html><a href="https://evil.example/">x</a></html>\n\nbye')

    const { output, summary } = await h.deps.rewriter.rewriteMessage(input)

    expect(output).toEqual(input)
    expect(summary.flagged).toContainEqual({ part: '', reason: 'not_a_message' })
  })

  it('returns unparseable input unchanged', async () => {
    const h = createHarness()

    for (const junk of [
      '',
      'no headers at all',
      '\r\n\r\n',
      'Content-Type: multipart/mixed\r\n\r\n--',
    ]) {
      const input = binaryToBytes(junk)
      expect((await h.deps.rewriter.rewriteMessage(input)).output).toEqual(input)
    }
  })

  it('keeps edits in place after a UTF-8 byte-order mark in a text part', async () => {
    const h = createHarness()
    const input = message(
      'text/plain; charset=utf-8',
      '8bit',
      '\xef\xbb\xbfSee:\nhttps://example.com/abcdef\nbye\n',
    )

    const { output } = await h.deps.rewriter.rewriteMessage(input)
    const body = bodyOf(output)

    expect(body).toMatch(
      /^\xef\xbb\xbfSee:\r\nhttps:\/\/go\.clickgate\.example\/r\/[\w-]+\r\nbye\r\n$/,
    )
    expect(await targetsIn(body, h.deps)).toEqual(['https://example.com/abcdef'])
  })

  it('reads a link in the part charset (windows-1252)', async () => {
    const h = createHarness()
    const input = message(
      'text/html; charset=windows-1252',
      '8bit',
      '<a href="https://caf\xe9.example/men\xfc">x</a>\n',
    )

    const { output } = await h.deps.rewriter.rewriteMessage(input)

    expect(await targetsIn(bytesToBinary(output), h.deps)).toEqual(['https://café.example/menü'])
  })

  it('grows storage with distinct links and messages, not with recipients', async () => {
    const h = createHarness()
    const input = message(
      'text/html; charset=utf-8',
      '7bit',
      '<a href="https://a.example/1">1</a><a href="https://a.example/2">2</a><a href="https://a.example/1">3</a>',
    )

    for (let i = 0; i < 200; i++) {
      await h.deps.rewriter.rewriteMessage(input, { recipient: `user${i}@example.com` })
    }

    expect(await h.deps.store.counts()).toMatchObject({ links: 2, messages: 1 })
  })

  it('takes the message id from the caller over the Message-ID header', async () => {
    const h = createHarness()
    const input = message('text/plain', '7bit', 'https://a.example/\n')

    await h.deps.rewriter.rewriteMessage(input)
    await h.deps.rewriter.rewriteMessage(input, { messageId: 'other@example.com' })
    await h.deps.rewriter.rewriteMessage(input)

    expect((await h.deps.store.counts()).messages).toBe(2)
  })

  it('rewrites a part behind an undefined transfer encoding, keeps its label, and flags it', async () => {
    const h = createHarness()
    const long = 'x'.repeat(1200)
    const input = message('text/html', '8bit+', `<a href="https://a.example/">${long}</a>\n`)

    const { output, summary } = await h.deps.rewriter.rewriteMessage(input)

    const text = Buffer.from(output).toString('latin1')
    const [head, body] = text.split('\r\n\r\n')
    expect(head).toMatch(/\r\nContent-Transfer-Encoding: 8bit\+$/)
    expect(body).toMatch(new RegExp(`^<a href="[^"]+">${long}</a>\r\n$`))
    expect(await targetsIn(body ?? '', h.deps)).toEqual(['https://a.example/'])
    expect(summary.flagged).toEqual([{ part: '1', reason: 'invalid_transfer_encoding' }])
    expect(summary.findings.map((f) => f.reason)).toContain('disguised_transfer_encoding')
  })
})

describe('links a client still follows (adversarial review)', () => {
  it('rewrites network-path references written with backslashes', async () => {
    const h = createHarness()
    const html = [
      '\\\\evil.example/x',
      '/\\evil.example/y',
      '\\/evil.example/z',
      '&#92;&#92;evil.example/w',
    ]
      .map((href) => `<a href="${href}">x</a>`)
      .join('')

    const { output } = await h.deps.rewriter.rewriteHtml(html)

    expect(await targetsIn(output, h.deps)).toEqual([
      'https://evil.example/x',
      'https://evil.example/y',
      'https://evil.example/z',
      'https://evil.example/w',
    ])
  })

  it('resolves an empty href and a bare fragment against a web base', async () => {
    const h = createHarness()
    const html = '<base href="https://evil.example/p/"><a href="">a</a><a href="#frag">b</a>'

    const { output } = await h.deps.rewriter.rewriteHtml(html)

    expect(await targetsIn(output, h.deps)).toEqual([
      'https://evil.example/p/',
      'https://evil.example/p/#frag',
    ])
  })

  it('marks the message for local-program and file schemes', async () => {
    const h = createHarness()
    const html = [
      'ms-msdt:/id PCWDiagnostic',
      'search-ms:query=x&crumb=location:\\\\evil.example@SSL\\s',
      'file:///\\\\evil.example\\share\\x',
      'microsoft-edge:https://evil.example/',
      'ms-word:ofe|u|https://evil.example/d.docx',
    ]
      .map((href) => `<a href="${href}">x</a>`)
      .join('')

    const { summary } = await h.deps.rewriter.rewriteHtml(html)

    expect(summary.skipped.map((s) => s.reason)).toEqual(Array(5).fill('unsafe_scheme'))
    expect(summary.findings).toMatchObject([{ reason: 'script_link_in_message' }])
  })
})
