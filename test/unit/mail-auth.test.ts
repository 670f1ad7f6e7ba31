/**
 * Sender authentication before rewriting, with connection facts, against an
 * in-memory DNS zone: a direct pass, a spoofed From, a brand that passes and
 * is still checked at the click, and a message with nothing to rewrite.
 */

import { dkimVerify } from 'mailauth'
import { describe, expect, it } from 'vitest'

import { binaryToBytes, bytesToBinary } from '../../src/core/bytes.js'
import { verifyToken } from '../../src/core/tokens.js'
import { createNodeMailAuth } from '../../src/node/mail-auth.js'
import {
  ADMIN_TOKEN,
  REWRITE_TOKEN,
  bearer,
  createHarness,
  testConfig,
} from '../support/harness.js'
import { signedLinks } from '../support/links.js'
import { IP, KEYS, authHarness, mail, resolver, signed } from '../support/mail-world.js'

type H = ReturnType<typeof authHarness>

const SHOP_MAIL = mail(
  [
    'From: Shop News <news@shop.example>',
    'To: a.user@contoso.example',
    'Subject: Your order has shipped',
    'Date: Thu, 03 Dec 2026 09:00:00 +0000',
    'Message-ID: <order-1@shop.example>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
  ],
  'Track it at https://track.shop.example/o/1 today.\n',
)

const SPOOFED_MAIL = mail(
  [
    'From: Microsoft account team <account-security-noreply@microsoft.com>',
    'To: a.user@contoso.example',
    'Subject: Unusual sign-in activity',
    'Message-ID: <spoof-1@evil.example>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="b1"',
  ],
  [
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Review your activity: https://login.microsoft-verify.example/review',
    '--b1',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<html><body><p>Review <a href="https://login.microsoft-verify.example/review">activity</a></p></body></html>',
    '--b1--',
    '',
  ].join('\n'),
)

async function rewriteApi(h: H, message: string | Uint8Array, headers: Record<string, string>) {
  const response = await h.app.request('/api/v1/rewrite', {
    method: 'POST',
    headers: {
      ...bearer(REWRITE_TOKEN),
      'Content-Type': 'message/rfc822',
      Accept: 'application/json',
      ...headers,
    },
    body: typeof message === 'string' ? message : bytesToBinary(message),
  })
  const json = (await response.json()) as { message: string; summary: Record<string, unknown> }
  return { status: response.status, header: response.headers.get('Clickgate-Summary'), ...json }
}

async function click(h: H, link: string | undefined) {
  const response = await h.app.request(new URL(link ?? 'https://x/none').pathname)
  return {
    status: response.status,
    body: await response.text(),
    location: response.headers.get('Location'),
  }
}

async function messageRefOf(h: H, link: string | undefined): Promise<number> {
  const token = (link ?? '').slice((link ?? '').lastIndexOf('/') + 1)
  const result = await verifyToken(h.deps.config.ring, token, Math.floor(h.clock.now / 1000))
  if (!result.ok || result.claims.messageRef === undefined) throw new Error('no message reference')
  return result.claims.messageRef
}

/** The Authentication-Results field we put on top, unfolded. */
function ourResults(message: string): string {
  const match = /^Authentication-Results: ((?:.*)(?:\r?\n[ \t].*)*)\r?\n/.exec(message)
  return match ? match[1].replace(/\r?\n[ \t]/g, ' ') : ''
}

describe('authenticating with connection facts', () => {
  it('records a direct pass and adds only our Authentication-Results besides link values', async () => {
    const h = authHarness()
    const input = await signed(SHOP_MAIL, 'shop.example', 's1', KEYS.shop)

    const result = await rewriteApi(h, input, {
      'Clickgate-Client-Ip': IP.shop,
      'Clickgate-Helo': 'mail.shop.example',
      'Clickgate-Mail-From': '<bounce@shop.example>',
    })
    const [link] = signedLinks(result.message, h.deps)
    const plain = await h.deps.rewriter.rewriteMessage(binaryToBytes(input))

    expect(result.status).toBe(200)
    expect(ourResults(result.message)).toMatch(
      /^go\.clickgate\.example; dkim=pass header\.d=shop\.example header\.s=s1; spf=pass smtp\.mailfrom=bounce@shop\.example smtp\.helo=mail\.shop\.example; dmarc=pass \(p=reject\) header\.from=shop\.example; arc=none$/,
    )
    expect(result.message.slice(result.message.indexOf('DKIM-Signature:'))).toBe(
      bytesToBinary(plain.output),
    )
    expect(result.summary).toMatchObject({
      findings: [],
      auth: { source: 'verified', dmarc: 'pass', banner: [] },
    })
    expect(JSON.parse(result.header ?? '{}')).toMatchObject({
      auth: 'verified',
      dmarc: 'pass',
      findings: 0,
    })
    expect(await h.deps.store.getMessageAuth(await messageRefOf(h, link))).toMatchObject({
      source: 'verified',
      fromDomains: ['shop.example'],
      dkim: [{ result: 'pass', domain: 'shop.example', selector: 's1' }],
      spf: { result: 'pass', domain: 'shop.example' },
      dmarc: { result: 'pass', domain: 'shop.example', policy: 'reject' },
      arc: { result: 'none', instance: 0 },
    })
    expect((await click(h, link)).status).toBe(302)
  })

  it('warns on every link of a spoofed From that fails DMARC, and adds the banner', async () => {
    const h = authHarness()

    const result = await rewriteApi(h, SPOOFED_MAIL, {
      'Clickgate-Client-Ip': IP.attacker,
      'Clickgate-Helo': 'mx.evil.example',
      'Clickgate-Mail-From': 'bounce@evil.example',
    })
    const links = signedLinks(result.message, h.deps)
    const page = await click(h, links[0])

    expect(ourResults(result.message)).toContain('spf=pass smtp.mailfrom=bounce@evil.example')
    expect(ourResults(result.message)).toContain('dmarc=fail (p=reject) header.from=microsoft.com')
    expect(result.summary.findings).toMatchObject([
      {
        verdict: 'warn',
        reason: 'dmarc_fail',
        source: 'auth',
        detail:
          "The message claims to come from Microsoft (microsoft.com), but it failed that domain's sender authentication (DMARC): the sender address is probably forged.",
      },
    ])
    expect(result.summary).toMatchObject({ auth: { banner: ['1', '2'] } })
    expect(result.message).toContain(
      '*** Caution: this message may not come from the sender it shows.',
    )
    expect(result.message).toContain('<body><table role="presentation"')
    expect(links).toHaveLength(2)
    expect(page.status).toBe(200)
    expect(page.body).toContain('failed that domain&#39;s sender authentication (DMARC)')
    expect((await click(h, links[1])).status).toBe(200)
  })

  it('checks the links of a brand that passes at the click like any others', async () => {
    const h = authHarness()
    const input = await signed(
      mail(
        [
          'From: Microsoft account team <account-security-noreply@accountprotection.microsoft.com>',
          'To: a.user@contoso.example',
          'Subject: New app(s) connected to your Microsoft account',
          'Message-ID: <genuine-1@accountprotection.microsoft.com>',
          'Content-Type: text/html; charset=utf-8',
        ],
        '<p><a href="https://account.live.com/activity">Review</a> ' +
          '<a href="https://evil-lure.example/reset">reset</a> ' +
          '<a href="https://login.microsoftonline.example:99999/common">portal</a></p>\n',
      ),
      'microsoft.com',
      'selector1',
      KEYS.microsoft,
    )
    await h.app.request('/api/v1/rules', {
      method: 'POST',
      headers: { ...bearer(ADMIN_TOKEN), 'Content-Type': 'application/json' },
      body: JSON.stringify({ action: 'block', type: 'domain', value: 'evil-lure.example' }),
    })

    const result = await rewriteApi(h, input, {
      'Clickgate-Client-Ip': IP.microsoft,
      'Clickgate-Mail-From': 'msonlineservicesteam@microsoft.com',
    })
    const [review, lure, portal] = signedLinks(result.message, h.deps)

    expect(result.summary).toMatchObject({ findings: [], auth: { dmarc: 'pass', banner: [] } })
    expect(ourResults(result.message)).toContain('dkim=pass header.d=microsoft.com')
    expect(await click(h, review)).toMatchObject({
      status: 302,
      location: 'https://account.live.com/activity',
    })
    expect((await click(h, lure)).status).toBe(403)
    // A port that cannot exist: no way on, whoever sent it.
    expect((await click(h, portal)).status).toBe(403)
  })

  it('warns when a protected brand cannot be authenticated although DMARC did not fail', async () => {
    const h = authHarness()
    const input = mail(
      ['From: PayPal <service@paypal.com>', 'To: a@contoso.example', 'Subject: x'],
      'https://www.paypal.com/myaccount/\n',
    )

    const result = await rewriteApi(h, input, { 'Clickgate-Client-Ip': IP.lists })

    expect(ourResults(result.message)).toContain('dmarc=none header.from=paypal.com')
    expect(result.summary.findings).toMatchObject([
      {
        reason: 'brand_not_authenticated',
        detail:
          'The message claims to come from PayPal (paypal.com), but it could not be authenticated as coming from PayPal.',
      },
    ])
  })
})

describe('a reused Message-ID', () => {
  it("a later passing message with the same Message-ID cannot clear a spoofed one's warning", async () => {
    const h = authHarness()
    const spoofed = await rewriteApi(h, SPOOFED_MAIL, { 'Clickgate-Client-Ip': IP.attacker })
    const reuse = SHOP_MAIL.replace('<order-1@shop.example>', '<spoof-1@evil.example>')

    const genuine = await rewriteApi(h, await signed(reuse, 'shop.example', 's1', KEYS.shop), {
      'Clickgate-Client-Ip': IP.shop,
      'Clickgate-Mail-From': 'bounce@shop.example',
    })
    const [spoofedLink] = signedLinks(spoofed.message, h.deps)
    const [genuineLink] = signedLinks(genuine.message, h.deps)

    expect(genuine.summary.findings).toEqual([])
    expect(await messageRefOf(h, genuineLink)).toBe(await messageRefOf(h, spoofedLink))
    expect((await click(h, spoofedLink)).status).toBe(200)
  })
})

describe('the DNS time limit', () => {
  it('gives up on a name server that never answers, and reports temporary errors', async () => {
    const silent = () => new Promise<never>(() => {})
    const mailAuth = createNodeMailAuth({
      authservId: 'go.clickgate.example',
      resolver: silent,
      timeoutMs: 20,
    })
    const h = createHarness(testConfig(), { mailAuth })

    const { output, summary } = await h.deps.mail.process(
      binaryToBytes(SPOOFED_MAIL),
      {},
      {
        clientIp: IP.attacker,
        helo: null,
        mailFrom: 'bounce@evil.example',
      },
    )
    const header = ourResults(bytesToBinary(output))

    expect(header).toContain('spf=temperror')
    expect(header).toContain('dmarc=temperror')
    expect(summary.findings.map((f) => f.reason)).toEqual(['brand_not_authenticated'])
  })
})

describe('a message with nothing to rewrite', () => {
  const input = () =>
    signed(
      mail(
        [
          'From: news@shop.example',
          'To: a@contoso.example',
          'Subject: plain',
          'Message-ID: <p1@shop.example>',
        ],
        'Nothing to click here.\nJust text.\n',
      ),
      'shop.example',
      's1',
      KEYS.shop,
    )

  it('comes out byte-identical with authentication off, and its DKIM signature still verifies', async () => {
    const h = authHarness()
    const original = await input()

    const { output, summary } = await h.deps.mail.process(binaryToBytes(original))
    const check = await dkimVerify(Buffer.from(output), { resolver })

    expect(bytesToBinary(output)).toBe(original)
    expect(summary.auth).toMatchObject({ source: 'off', sealed: false, signed: false })
    expect(check.results.map((r) => r.status.result)).toEqual(['pass'])
  })

  it('gets only our header on top when authenticated, and the original signature still verifies', async () => {
    const h = authHarness()
    const original = await input()

    const { output } = await h.deps.mail.process(
      binaryToBytes(original),
      {},
      {
        clientIp: IP.shop,
        helo: null,
        mailFrom: 'bounce@shop.example',
      },
    )
    const text = bytesToBinary(output)
    const added = text.slice(0, text.length - original.length)
    const check = await dkimVerify(Buffer.from(output), { resolver })

    expect(text.endsWith(original)).toBe(true)
    expect(added).toMatch(
      /^Authentication-Results: go\.clickgate\.example;\r\n\tdkim=pass [^]*\r\n$/,
    )
    expect(added.split(/\r\n(?![ \t])/).filter((field) => field !== '')).toHaveLength(1)
    expect(check.results.map((r) => [r.signingDomain, r.status.result])).toEqual([
      ['shop.example', 'pass'],
    ])
  })
})

describe('connection facts in the API', () => {
  it('refuses facts that are not an address, a host name or a mailbox, naming the header', async () => {
    const h = authHarness(testConfig())
    const bad = [
      [
        { 'Clickgate-Client-Ip': '192.0.2.300' },
        'Clickgate-Client-Ip "192.0.2.300" is not an IP address',
      ],
      [
        { 'Clickgate-Client-Ip': IP.shop, 'Clickgate-Helo': 'a b' },
        'Clickgate-Helo "a b" is not a host name',
      ],
      [
        { 'Clickgate-Client-Ip': IP.shop, 'Clickgate-Mail-From': 'x@y;z' },
        'Clickgate-Mail-From "x@y;z" is not a mailbox',
      ],
      [
        { 'Clickgate-Helo': 'mx.shop.example' },
        'Clickgate-Helo and Clickgate-Mail-From need Clickgate-Client-Ip',
      ],
    ] as const

    for (const [headers, message] of bad) {
      const response = await h.app.request('/api/v1/rewrite', {
        method: 'POST',
        headers: { ...bearer(REWRITE_TOKEN), 'Content-Type': 'message/rfc822', ...headers },
        body: SHOP_MAIL,
      })
      expect(response.status).toBe(400)
      expect(await response.json()).toEqual({ error: { code: 'bad_request', message } })
    }
  })

  it('refuses facts with a bare body, which has no sender to authenticate', async () => {
    const h = authHarness()

    const response = await h.app.request('/api/v1/rewrite', {
      method: 'POST',
      headers: {
        ...bearer(REWRITE_TOKEN),
        'Content-Type': 'text/html',
        'Clickgate-Client-Ip': IP.shop,
      },
      body: '<a href="https://a.example/">a</a>',
    })

    expect(response.status).toBe(400)
  })

  it('accepts IPv6 and the null reverse-path', async () => {
    const h = authHarness()

    const result = await rewriteApi(h, SHOP_MAIL, {
      'Clickgate-Client-Ip': '2001:db8::25',
      'Clickgate-Helo': 'mx.shop.example',
      'Clickgate-Mail-From': '<>',
    })

    expect(result.status).toBe(200)
    expect(ourResults(result.message)).toContain(
      'spf=none smtp.mailfrom=mx.shop.example smtp.helo=mx.shop.example',
    )
  })
})
