/**
 * ARC and DKIM after rewriting, in the order authenticate, rewrite, sign,
 * seal: a forwarded message whose body a list changed, our own seal checked
 * by a downstream receiver, and outbound DKIM signing.
 */

import { afterEach, describe, expect, it, vi } from 'vitest'

import { binaryToBytes, bytesToBinary } from '../../src/core/bytes.js'
import { testConfig } from '../support/harness.js'
import { signedLinks } from '../support/links.js'
import {
  IP,
  KEYS,
  authHarness,
  downstream,
  forwardedByList,
  mail,
  signed,
} from '../support/mail-world.js'

const SHOP_MAIL = mail(
  [
    'From: Shop News <news@shop.example>',
    'To: team@lists.example',
    'Subject: Price alert',
    'Date: Thu, 03 Dec 2026 09:00:00 +0000',
    'Message-ID: <alert-7@shop.example>',
    'Content-Type: text/plain; charset=utf-8',
  ],
  'The price dropped: https://shop.example/item/7\n',
)

const FROM_LIST = {
  clientIp: IP.lists,
  helo: 'mx.lists.example',
  mailFrom: 'team-bounces@lists.example',
}
/** How our output reaches the next receiver: from our own relay, which SPF does not cover. */
const FROM_US = { ip: '198.51.100.25', mailFrom: 'bounces@go.clickgate.example' }

async function forwarded() {
  const original = await signed(SHOP_MAIL, 'shop.example', 's1', KEYS.shop)
  return forwardedByList(original, { ip: IP.shop, mailFrom: 'bounce@shop.example' })
}

describe('a forwarded message with a body change and ARC', () => {
  it('fails DMARC after the list changed the body, and the passing chain is recorded', async () => {
    const h = authHarness()

    const { output, summary } = await h.deps.mail.process(
      binaryToBytes(await forwarded()),
      {},
      FROM_LIST,
    )
    const text = bytesToBinary(output)

    expect(summary.auth).toMatchObject({ source: 'verified', dmarc: 'fail', arc: 'pass' })
    expect(summary.findings.map((f) => f.reason)).toEqual(['dmarc_fail'])
    expect(text).toMatch(
      /^Authentication-Results: go\.clickgate\.example;\r\n\tdkim=(?:fail|neutral) header\.d=shop\.example/,
    )
    expect(text).toContain('\tarc=pass\r\n')
  })

  it('accepts the DMARC pass a trusted sealer recorded (RFC 8617 7.2)', async () => {
    const h = authHarness(testConfig({ CLICKGATE_AUTH_TRUSTED_ARC_SEALERS: 'lists.example' }))

    const { output, summary } = await h.deps.mail.process(
      binaryToBytes(await forwarded()),
      {},
      FROM_LIST,
    )
    const [link] = signedLinks(bytesToBinary(output), h.deps)

    expect(summary.findings).toEqual([])
    expect(bytesToBinary(output)).toContain(
      'dmarc=fail (p=reject, overridden by the ARC seal of lists.example) header.from=shop.example',
    )
    expect((await h.app.request(new URL(link ?? '').pathname)).status).toBe(302)
  })

  it('does not accept the record of a sealer that is not trusted', async () => {
    const h = authHarness(testConfig({ CLICKGATE_AUTH_TRUSTED_ARC_SEALERS: 'other-list.example' }))

    const { summary } = await h.deps.mail.process(binaryToBytes(await forwarded()), {}, FROM_LIST)

    expect(summary.findings.map((f) => f.reason)).toEqual(['dmarc_fail'])
  })

  it('adds a second ARC set after rewriting that verifies as arc=pass downstream', async () => {
    const h = authHarness(testConfig(), { seal: true })

    const { output, summary } = await h.deps.mail.process(
      binaryToBytes(await forwarded()),
      {},
      FROM_LIST,
    )
    const text = bytesToBinary(output)
    const next = await downstream(output, FROM_US)

    expect(summary.auth).toMatchObject({ sealed: true })
    expect(summary.rewritten).toBe(1)
    expect(text).toMatch(
      /^ARC-Seal: i=2; a=rsa-sha256; t=\d+; cv=pass; d=go\.clickgate\.example;\s+s=cg;/,
    )
    expect(next.arc).toMatchObject({ status: { result: 'pass' }, i: 2 })
    expect(next.arc && next.arc.authenticationResults).toMatchObject({
      mta: 'go.clickgate.example',
    })
  })
})

describe('our seal on a direct message', () => {
  it('verifies as arc=pass downstream although the body changed', async () => {
    const h = authHarness(testConfig(), { seal: true })
    const input = await signed(SHOP_MAIL, 'shop.example', 's1', KEYS.shop)

    const { output } = await h.deps.mail.process(
      binaryToBytes(input),
      {},
      {
        clientIp: IP.shop,
        helo: null,
        mailFrom: 'bounce@shop.example',
      },
    )
    const next = await downstream(output, FROM_US)

    expect(bytesToBinary(output)).toMatch(/^ARC-Seal: i=1; a=rsa-sha256; t=\d+; cv=none;/)
    expect(next.dkim.results.map((r) => r.status.result)).not.toContain('pass')
    expect(next.arc).toMatchObject({ status: { result: 'pass' }, i: 1 })
    expect(next.arc && next.arc.authenticationResults).toMatchObject({
      dmarc: { result: 'pass' },
      spf: { result: 'pass' },
    })
  })

  it('keeps LF-only line endings and still verifies', async () => {
    const h = authHarness(testConfig(), { seal: true })
    const input = (await signed(SHOP_MAIL, 'shop.example', 's1', KEYS.shop)).replace(/\r\n/g, '\n')

    const { output } = await h.deps.mail.process(
      binaryToBytes(input),
      {},
      {
        clientIp: IP.shop,
        helo: null,
        mailFrom: 'bounce@shop.example',
      },
    )
    const next = await downstream(output, FROM_US)

    expect(bytesToBinary(output)).not.toContain('\r')
    expect(next.arc).toMatchObject({ status: { result: 'pass' } })
  })

  it('adds no set after a chain that already recorded cv=fail (RFC 8617 5.1.1)', async () => {
    const h = authHarness(testConfig(), { seal: true })
    const broken = (await forwarded()).replace(/cv=none/, 'cv=fail')

    const { output, summary } = await h.deps.mail.process(binaryToBytes(broken), {}, FROM_LIST)

    expect(summary.auth).toMatchObject({ arc: 'fail', sealed: false })
    expect(bytesToBinary(output)).toMatch(/^Authentication-Results: /)
  })

  it('adds no set when authentication is off: there are no results to seal', async () => {
    const h = authHarness(testConfig(), { seal: true })

    const { output, summary } = await h.deps.mail.process(binaryToBytes(SHOP_MAIL))

    expect(summary.auth).toMatchObject({ source: 'off', sealed: false })
    expect(bytesToBinary(output)).not.toContain('ARC-Seal')
  })
})

describe('outbound DKIM signing', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('stamps each signature once, so a clock that moves while signing cannot break it', async () => {
    const h = authHarness(testConfig(), { seal: true, sign: true })
    let clock = Date.parse('2026-12-03T12:00:00.400Z')
    // mailauth reads the clock again when it writes a header it signed; each read is 0.7 s later.
    vi.spyOn(Date, 'now').mockImplementation(() => (clock += 700))

    const { output } = await h.deps.mail.process(binaryToBytes(SHOP_MAIL))
    const sealed = await h.deps.mail.process(
      binaryToBytes(SHOP_MAIL),
      {},
      {
        clientIp: IP.shop,
        helo: null,
        mailFrom: 'bounce@shop.example',
      },
    )
    vi.restoreAllMocks()
    const signedOnly = await downstream(output, FROM_US)
    const both = await downstream(sealed.output, FROM_US)

    expect(signedOnly.dkim.results.map((r) => r.status.result)).toEqual(['pass'])
    expect(both.arc).toMatchObject({ status: { result: 'pass' } })
  })

  it('signs after rewriting, under the seal, and the signature verifies downstream', async () => {
    const h = authHarness(testConfig(), { seal: true, sign: true })
    const input = await signed(SHOP_MAIL, 'shop.example', 's1', KEYS.shop)

    const { output, summary } = await h.deps.mail.process(
      binaryToBytes(input),
      {},
      {
        clientIp: IP.shop,
        helo: null,
        mailFrom: 'bounce@shop.example',
      },
    )
    const text = bytesToBinary(output)
    const next = await downstream(output, FROM_US)
    const results = next.dkim.results.map((r) => [r.signingDomain, r.status.result])

    expect(summary.auth).toMatchObject({ signed: true, sealed: true })
    const unfolded = text.replace(/\r\n[ \t]+/g, ' ')
    const ours = unfolded.indexOf(
      'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=go.clickgate.example;',
    )
    expect(ours).toBeGreaterThan(unfolded.indexOf('ARC-Authentication-Results: i=1;'))
    expect(ours).toBeLessThan(unfolded.indexOf('Authentication-Results: go.clickgate.example;'))
    expect(results).toContainEqual(['go.clickgate.example', 'pass'])
    expect(next.arc).toMatchObject({ status: { result: 'pass' } })
  })

  it('signs messages processed with authentication off too, for outbound relaying', async () => {
    const h = authHarness(testConfig(), { sign: true })

    const { output, summary } = await h.deps.mail.process(binaryToBytes(SHOP_MAIL))
    const next = await downstream(output, FROM_US)

    expect(summary.auth).toMatchObject({ source: 'off', signed: true })
    expect(next.dkim.results.map((r) => [r.signingDomain, r.status.result])).toEqual([
      ['go.clickgate.example', 'pass'],
    ])
  })
})
