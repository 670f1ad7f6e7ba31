/**
 * The warning banner: at the top of the message's own HTML and text bodies,
 * in each part's charset and transfer encoding, and not a byte changed
 * anywhere else.
 */

import PostalMime from 'postal-mime'
import { describe, expect, it } from 'vitest'

import { insertHtmlBanner } from '../../src/core/auth/banner.js'
import { binaryToBytes, bytesToBinary } from '../../src/core/bytes.js'
import { type ParsedMime, parseMime } from '../../src/core/rewrite/mime.js'
import { decodeQuotedPrintable } from '../../src/core/rewrite/qp.js'
import { testConfig } from '../support/harness.js'
import { IP, authHarness, mail } from '../support/mail-world.js'

const BANNER_TEXT = 'Achtung: Absender nicht bestätigt'

/** A spoofed brand alert with no links, an attached message, an attachment and an epilogue. */
const SPOOF = mail(
  [
    'From: Microsoft <security@microsoft.com>',
    'To: a.user@contoso.example',
    'Subject: Sicherheitswarnung',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="outer"',
  ],
  [
    'preamble',
    '--outer',
    'Content-Type: multipart/alternative; boundary="alt"',
    '',
    '--alt',
    'Content-Type: text/plain; charset=iso-8859-1; format=flowed',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Gr=FC=DFe,',
    'bitte pr=FCfen Sie Ihr Konto. ',
    'Danke.',
    '--alt',
    'Content-Type: text/html; charset=iso-8859-1',
    'Content-Transfer-Encoding: base64',
    '',
    btoa(
      '<!DOCTYPE html>\n<html><head><style>table{display:none}</style></head>\n<body bgcolor="#fff">\n<p>Gr\xfc\xdfe</p>\n</body></html>\n',
    ),
    '--alt--',
    '',
    '--outer',
    'Content-Type: message/rfc822',
    '',
    'From: other@example.com',
    'Subject: attached',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<html><body><p>inner</p></body></html>',
    '--outer',
    'Content-Type: application/pdf; name="a.pdf"',
    'Content-Disposition: attachment; filename="a.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    'JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K',
    '--outer--',
    'epilogue',
    '',
  ].join('\n'),
)

const ATTACKER = { clientIp: IP.attacker, helo: null, mailFrom: 'x@evil.example' }

/** The source with every given leaf's encoded body cut out. */
function withoutBodies(message: ParsedMime, paths: readonly string[]): string {
  const ranges = paths
    .map((path) => message.slots.get(path))
    .filter((slot) => slot !== undefined)
    .sort((a, b) => a.bodyStart - b.bodyStart)
  let out = ''
  let at = 0
  for (const slot of ranges) {
    out += message.source.slice(at, slot.bodyStart) + '<body>'
    at = slot.bodyEnd
  }
  return out + message.source.slice(at)
}

async function process(config = testConfig({ CLICKGATE_AUTH_BANNER_TEXT: BANNER_TEXT })) {
  const h = authHarness(config)
  const result = await h.deps.mail.process(binaryToBytes(SPOOF), {}, ATTACKER)
  const text = bytesToBinary(result.output)
  const rest = text.slice(text.indexOf('From: Microsoft'))
  return {
    ...result,
    rest,
    before: parseMime(binaryToBytes(SPOOF)),
    after: parseMime(binaryToBytes(rest)),
  }
}

describe('the banner', () => {
  it('goes into the first text and HTML part of the message itself, nowhere else', async () => {
    const { summary, before, after } = await process()

    expect(summary.auth.banner).toEqual(['1.1', '1.2'])
    expect(withoutBodies(after, ['1.1', '1.2'])).toBe(withoutBodies(before, ['1.1', '1.2']))
    expect(after.leaves.find((leaf) => leaf.path === '2.1')?.decoded).toBe(
      '<html><body><p>inner</p></body></html>',
    )
  })

  it('leaves the rest of each changed part exactly as it was, in its own charset', async () => {
    const { before, after } = await process()
    const [textBefore, htmlBefore] = before.leaves
    const [textAfter, htmlAfter] = after.leaves

    expect(textAfter?.decoded.endsWith(textBefore?.decoded ?? '-')).toBe(true)
    expect(textAfter?.decoded).toMatch(/^\*\*\* Achtung: Absender nicht best\xe4tigt \*\*\*\r\n/)
    expect(htmlAfter?.decoded.replace(/<table role="presentation"[^]*?<\/table>\r?\n/, '')).toBe(
      htmlBefore?.decoded,
    )
    expect(htmlAfter?.decoded).toContain('<body bgcolor="#fff"><table role="presentation"')
    expect(htmlAfter?.decoded).toContain('<strong>Achtung: Absender nicht best&#228;tigt</strong>')
  })

  it('keeps each part in its transfer encoding, and mail readers show it', async () => {
    const { rest, after } = await process()
    const [text, html] = after.leaves
    const parsed = await PostalMime.parse(rest)
    const raw = rest.slice(after.slots.get('1.1')?.bodyStart, after.slots.get('1.1')?.bodyEnd)

    expect(text?.transferEncoding).toBe('quoted-printable')
    expect(html?.transferEncoding).toBe('base64')
    expect(raw).toContain('Gr=FC=DFe,\r\nbitte pr=FCfen Sie Ihr Konto. \r\nDanke.')
    expect(decodeQuotedPrintable(raw)).toBe(text?.decoded)
    expect(parsed.text).toContain('Achtung: Absender nicht bestätigt')
    expect(parsed.html).toContain('Achtung: Absender nicht best&#228;tigt')
    expect(parsed.html).toContain('<p>Grüße</p>')
  })

  it('is left out when configured off, while the findings stay', async () => {
    const { summary, rest } = await process(testConfig({ CLICKGATE_AUTH_BANNER: 'off' }))

    expect(summary.auth.banner).toEqual([])
    expect(summary.findings.map((f) => f.reason)).toEqual(['dmarc_fail'])
    expect(rest).toBe(SPOOF)
  })

  it('stays out of passing mail', async () => {
    const h = authHarness()
    const input = mail(['From: a@example.org', 'To: b@example.org'], 'hello\n')

    const { summary } = await h.deps.mail.process(binaryToBytes(input), {}, ATTACKER)

    expect(summary.findings).toEqual([])
    expect(summary.auth.banner).toEqual([])
  })
})

describe('where the HTML banner goes', () => {
  const banner = { headline: 'H', details: [] }
  const at = (html: string) => insertHtmlBanner(html, banner).indexOf('<table')

  it('follows the body start tag a browser sees, not one hidden in an escaped script', () => {
    const html = '<html><head><script><!--<script></script><body></script></head>\n<body>x'

    expect(at(html)).toBe(html.lastIndexOf('<body>') + '<body>'.length)
  })

  it('goes before the first content when the body tag is implied', () => {
    expect(at('<p>no body tag</p>')).toBe(0)
    expect(at('<html><head><title>t</title></head>\n<div>x</div>')).toBe(
      '<html><head><title>t</title></head>\n'.length,
    )
  })

  it('escapes the headline and writes non-ASCII as character references', () => {
    const out = insertHtmlBanner('<body>', { headline: '<b>"Ä"</b> & 😀', details: ['a<b'] })

    expect(out).toContain('<strong>&lt;b&gt;&quot;&#196;&quot;&lt;/b&gt; &amp; &#128512;</strong>')
    expect(out).toContain('<br>a&lt;b')
  })
})

describe('the banner in a batch', () => {
  it('goes into every copy, authenticated once, and the summary names each part once', async () => {
    const h = authHarness(testConfig({ CLICKGATE_AUTH_BANNER_TEXT: BANNER_TEXT }))
    const recipients = ['ann@contoso.example', 'bob@contoso.example', 'cy@contoso.example']

    const batch = await h.deps.mail.processBatch(binaryToBytes(SPOOF), recipients, {}, ATTACKER)
    const copies: string[] = []
    for await (const copy of batch.messages) copies.push(bytesToBinary(copy.output))

    expect(batch.summary.auth.banner).toEqual(['1.1', '1.2'])
    expect(copies).toHaveLength(3)
    for (const copy of copies) {
      const leaves = parseMime(binaryToBytes(copy.slice(copy.indexOf('From: Microsoft')))).leaves
      expect(leaves[0]?.decoded).toMatch(/^\*\*\* Achtung: Absender nicht best\xe4tigt \*\*\*\r\n/)
      expect(copy).toMatch(/^(?:[\s\S]*\r\n)?Authentication-Results: /)
    }
  })
})
