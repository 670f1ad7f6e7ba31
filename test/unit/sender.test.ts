/**
 * The sender heuristics: what the From field's display name claims against
 * the address behind it. Each case has a benign twin that must not fire.
 */

import { describe, expect, it } from 'vitest'

import { readHeaderBlock } from '../../src/core/auth/header-block.js'
import { DEFAULT_BRANDS } from '../../src/core/brands.js'
import { observeSender, senderOf } from '../../src/core/heuristics/sender.js'
import { createHarness } from '../support/harness.js'
import { signedLinks } from '../support/links.js'
import { message } from '../support/mail.js'

function reasons(from: string): string[] {
  const sender = senderOf(readHeaderBlock(`From: ${from}\r\nSubject: x\r\n\r\n`))
  return sender === null ? [] : observeSender(sender, DEFAULT_BRANDS).map((o) => o.reason)
}

describe('a display name that claims a protected brand', () => {
  it('warns when the address is not the brand’s', () => {
    expect(reasons('"PayPal Service" <notice@billing-center.example>')).toEqual([
      'sender_name_brand_mismatch',
    ])
    expect(reasons('Support netflix <help@renewals.example>')).toEqual([
      'sender_name_brand_mismatch',
    ])
  })

  it('reads run-together names and does not take a tenant’s address for Microsoft’s', () => {
    expect(reasons('NetflixBilling <billing@renewals.example>')).toEqual([
      'sender_name_brand_mismatch',
    ])
    expect(reasons('"Microsoft 365" <admin@contoso123.onmicrosoft.com>')).toEqual([
      'sender_name_brand_mismatch',
    ])
  })

  it('reads a brand put in a name-only entry before the real mailbox', () => {
    const [observed] = observeSender(
      senderOf(readHeaderBlock('From: PayPal ,_<notice@billing-center.example>\r\n\r\n'))!,
      DEFAULT_BRANDS,
    )
    expect(observed?.reason).toBe('sender_name_brand_mismatch')
    // Only the From header is read here, authenticated or not: the text must not say "sent from".
    expect(observed?.detail).toContain(
      'its From header gives an address at billing-center.example, which is not one of PayPal',
    )
    expect(observed?.detail).not.toContain('sent from')
  })

  it('drops bidi and zero-width characters from the name it quotes', () => {
    const sender = senderOf(
      readHeaderBlock('From: "Pay\u200bPal \u202eecivres" <x@billing-center.example>\r\n\r\n'),
    )
    expect(sender?.name).toBe('PayPal ecivres')
    expect(observeSender(sender!, DEFAULT_BRANDS).map((o) => o.reason)).toEqual([
      'sender_name_brand_mismatch',
    ])
  })

  it('reads encoded words and fires on a name with no valid address', () => {
    const encoded = `=?UTF-8?B?${btoa('Microsoft account team')}?= <alert@>`
    expect(reasons(encoded)).toEqual(['sender_name_brand_mismatch'])
  })

  it('leaves the brand’s own mail and its country domains alone (benign twins)', () => {
    expect(reasons('"PayPal" <service@paypal.com>')).toEqual([])
    expect(reasons('"PayPal" <service@mail.paypal.de>')).toEqual([])
    expect(reasons('"Facebook" <security@facebookmail.com>')).toEqual([])
    expect(reasons('"DHL Express" <noreply@dhl.co.uk>')).toEqual([])
    expect(reasons('"Microsoft 365" <no-reply@microsoft.com>')).toEqual([])
  })

  it('ignores ordinary words and brand names inside longer words (benign twins)', () => {
    // Apple and Chase have no keyword: the words are everyday ones.
    expect(reasons('"Apple Growers Weekly" <news@orchard.example>')).toEqual([])
    expect(reasons('"Paypalooza Festival" <tickets@festival.example>')).toEqual([])
    expect(reasons('"PAYPALOOZA" <tickets@festival.example>')).toEqual([])
    expect(reasons('Jane Doe <jane@example.com>')).toEqual([])
  })

  it('does not take a look-alike country domain for the brand (paypal.com.evil.example)', () => {
    expect(reasons('"PayPal" <service@paypal.com.evil.example>')).toEqual([
      'sender_name_brand_mismatch',
    ])
  })
})

describe('a display name that shows another address', () => {
  it('warns when the shown address is at another organisation', () => {
    expect(reasons('"it-support@corp.example" <desk@mailer.example>')).toEqual([
      'sender_name_shows_other_address',
    ])
  })

  it('leaves a name that repeats the sender’s own address alone (benign twin)', () => {
    expect(reasons('"jane@corp.example" <jane@corp.example>')).toEqual([])
    expect(reasons('"jane@corp.example" <jane@mail.corp.example>')).toEqual([])
  })
})

describe('sender findings in a rewritten message', () => {
  const withFrom = (from: string) => {
    const base = new TextDecoder().decode(
      message('text/html', '7bit', '<a href="https://shop.example/">x</a>'),
    )
    return new TextEncoder().encode(base.replace('From: alerts@example.com', `From: ${from}`))
  }

  it('warns on every link of a message whose sender name claims a brand', async () => {
    const h = createHarness()

    const { output, summary } = await h.deps.rewriter.rewriteMessage(
      withFrom('"Netflix Billing" <billing@renewals.example>'),
    )
    const [link] = signedLinks(new TextDecoder().decode(output), h.deps)
    const click = await h.app.request(new URL(link ?? '').pathname)

    expect(summary.findings).toMatchObject([
      { verdict: 'warn', reason: 'sender_name_brand_mismatch', source: 'heuristics' },
    ])
    expect(await click.text()).toContain('sender_name_brand_mismatch')
  })

  it('adds nothing for an ordinary sender (benign twin)', async () => {
    const h = createHarness()

    const { summary } = await h.deps.rewriter.rewriteMessage(
      withFrom('"Shop Team" <team@shop.example>'),
    )

    expect(summary.findings).toEqual([])
  })
})
