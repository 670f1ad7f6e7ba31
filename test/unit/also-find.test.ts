/**
 * Links a mail client shows that a naive rewriter misses (noscript, forms,
 * image maps, VML anywhere), and URL look-alikes that must be left alone.
 */

import { describe, expect, it } from 'vitest'

import { scanHtml } from '../../src/core/rewrite/html.js'
import { createHarness, testConfig } from '../support/harness.js'
import { signedLinks, targetsIn } from '../support/links.js'

describe('links a mail client shows', () => {
  it('rewrites links in noscript, image maps and VML outside conditional comments', async () => {
    const h = createHarness()
    const html = [
      '<noscript><a href="https://ns.example/">n</a></noscript>',
      '<img usemap="#m"><map name="m"><area shape="rect" coords="0,0,9,9" href="https://map.example/a"></map>',
      '<v:roundrect href="https://vml.example/b"><center>Pay</center></v:roundrect>',
      '<!--[if gte mso 9]><v:rect href="https://vml.example/c"></v:rect><![endif]-->',
    ].join('\n')

    const { output, summary } = await h.deps.rewriter.rewriteHtml(html)

    expect(await targetsIn(output, h.deps)).toEqual([
      'https://ns.example/',
      'https://map.example/a',
      'https://vml.example/b',
      'https://vml.example/c',
    ])
    expect(summary.rewritten).toBe(4)
  })

  it('resolves relative links against any usable base, since tree order may differ', async () => {
    const h = createHarness()
    // Foster parenting moves the second <base> before the table (HTML 13.2.6.1), so a
    // browser resolves /pay against evil.example although "#" comes first in the source.
    const html =
      '<table><tr><td><base href="#"></td><base href="https://evil.example/"></table><a href="/pay">x</a>'

    const { output, summary } = await h.deps.rewriter.rewriteHtml(html)

    expect(await targetsIn(output, h.deps)).toEqual(['https://evil.example/pay'])
    expect(summary.rewritten).toBe(1)
  })

  it('rewrites URLs written as text in HTML, which mail clients link by themselves', async () => {
    const h = createHarness()
    const html = [
      '<p>Reset here: https://login.evil.example/reset?x=1&amp;y=2.</p>',
      '<div>or www.evil.example/help</div>',
      '<p>https&#58;//hidden.evil.example/x</p>',
      '<a name="top"></a><p>https://after-anchor.example/</p>',
      '<!--[if mso]><p>https://outlook.evil.example/</p><![endif]-->',
    ].join('\n')

    const { output } = await h.deps.rewriter.rewriteHtml(html)

    expect(await targetsIn(output, h.deps)).toEqual([
      'https://login.evil.example/reset?x=1&y=2',
      'http://www.evil.example/help',
      'https://hidden.evil.example/x',
      'https://after-anchor.example/',
      'https://outlook.evil.example/',
    ])
    // Only the URLs changed: the sentence's full stop and the markup around are kept.
    const [first] = signedLinks(output, h.deps)
    expect(output.startsWith(`<p>Reset here: ${first}.</p>`)).toBe(true)
  })

  it('leaves alone URL text that no client links: inside links, comments, raw text, attributes', async () => {
    const h = createHarness()
    const html = [
      '<a href="https://a.example/">https://a.example/ shown</a>',
      '<!-- https://comment.example/ -->',
      '<title>https://title.example/</title><style>/* https://css.example/ */</style>',
      '<script>var u = "https://script.example/"</script><textarea>https://ta.example/</textarea>',
      '<p data-x="https://attr.example/">plain text, no address</p>',
    ].join('')

    const { output, summary } = await h.deps.rewriter.rewriteHtml(html)

    expect(await targetsIn(output, h.deps)).toEqual(['https://a.example/'])
    expect(summary.found).toBe(1)
  })

  it('reads text URLs as clients autolink them (GFM 6.9): brackets, punctuation, word starts', () => {
    const scan = scanHtml(
      '<p>(see https://x.example/wiki/A_(b)), WWW.Up.example! ftp://f.example/ ' +
        'awww.no.example x@www.mail.example</p>',
    )
    expect(scan.textLinks.map((link) => link.raw)).toEqual([
      'https://x.example/wiki/A_(b)',
      'WWW.Up.example',
    ])
  })

  it('ends a text URL before a UTF-8 no-break space in a part scanned as bytes', () => {
    const scan = scanHtml('<p>https://x.example/a\xc2\xa0next</p>')
    expect(scan.textLinks.map((link) => link.raw)).toEqual(['https://x.example/a'])
  })

  it('finds form actions and button formactions', () => {
    const scan = scanHtml(
      '<form action="https://f.example/post" method="post"><input type=submit formaction="https://f.example/alt"><button formaction=/x>b</button></form>',
    )

    expect(scan.links.map((l) => [l.source, l.raw])).toEqual([
      ['form', 'https://f.example/post'],
      ['formaction', 'https://f.example/alt'],
      ['formaction', '/x'],
    ])
  })

  it('rewrites a form target and reports the form, so every link of the message warns', async () => {
    const h = createHarness()
    const html =
      '<form action="https://harvest.example/login" method="post"><input name=p type=password></form>' +
      '<a href="https://account.example/">account</a>'

    const { output, summary } = await h.deps.rewriter.rewriteHtml(html, { messageId: 'f@example' })
    const [formLink, accountLink] = signedLinks(output, h.deps)
    const page = await h.app.request(new URL(accountLink ?? '').pathname)

    expect(await targetsIn(output, h.deps)).toEqual([
      'https://harvest.example/login',
      'https://account.example/',
    ])
    expect(output).toContain(`<form action="${formLink}" method="post">`)
    expect(summary.findings).toMatchObject([
      {
        verdict: 'warn',
        reason: 'form_in_message',
        detail: 'the message contains a form that sends what you type to harvest.example',
      },
    ])
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('harvest.example')
  })
})

describe('URL look-alikes left alone', () => {
  it('does not touch CSS url(), style, script, textarea, title text or data-href', async () => {
    const h = createHarness()
    const html = [
      '<title>https://t.example/</title>',
      '<style>a { background: url(https://css.example/bg.png) }</style>',
      '<div style="background:url(https://inline.example/x.png)">x</div>',
      '<script>location = "https://js.example/"</script>',
      '<textarea>https://ta.example/</textarea>',
      '<a data-href="https://data.example/" href="https://real.example/">r</a>',
    ].join('\n')

    const { output, summary } = await h.deps.rewriter.rewriteHtml(html)

    expect(await targetsIn(output, h.deps)).toEqual(['https://real.example/'])
    expect(summary.found).toBe(1)
    expect(output).toBe(
      html.replace('href="https://real.example/"', `href="${signedLinks(output, h.deps)[0]}"`),
    )
  })
})

describe('forwarded alerts (message/rfc822)', () => {
  const forwarded = [
    'From: soc@example.com',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="fw"',
    '',
    '--fw',
    'Content-Type: text/plain',
    '',
    'See the attached alert.',
    '--fw',
    'Content-Type: message/rfc822',
    'Content-Disposition: attachment; filename="alert.eml"',
    '',
    'From: alerts@example.com',
    'Content-Type: text/html',
    '',
    '<a href="https://inner.example/reset">reset</a>',
    '--fw--',
    '',
  ].join('\r\n')

  it('rewrites inside an attached message by default', async () => {
    const h = createHarness()

    const { output, summary } = await h.deps.rewriter.rewriteMessage(
      new TextEncoder().encode(forwarded),
    )

    expect(summary.rewritten).toBe(1)
    expect(await targetsIn(new TextDecoder().decode(output), h.deps)).toEqual([
      'https://inner.example/reset',
    ])
  })

  it('leaves attached messages alone with CLICKGATE_REWRITE_ATTACHED_MESSAGES=false', async () => {
    const h = createHarness(testConfig({ CLICKGATE_REWRITE_ATTACHED_MESSAGES: 'false' }))
    const input = new TextEncoder().encode(forwarded)

    const { output, summary } = await h.deps.rewriter.rewriteMessage(input)

    expect(new TextDecoder().decode(output)).toBe(forwarded)
    expect(summary.flagged).toEqual([{ part: '2', reason: 'attachment' }])
  })
})
