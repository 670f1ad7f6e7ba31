/**
 * The sender heuristics that read the message's links too: who the From
 * field says the message is from, against where its links lead. Each case
 * has a benign twin that must not fire.
 */

import { describe, expect, it } from 'vitest'

import { readHeaderBlock } from '../../src/core/auth/header-block.js'
import { DEFAULT_BRANDS } from '../../src/core/brands.js'
import { senderOf } from '../../src/core/heuristics/sender.js'
import { observeSenderLinks } from '../../src/core/heuristics/sender-links.js'
import { createHarness } from '../support/harness.js'
import { signedLinks } from '../support/links.js'
import { message } from '../support/mail.js'

function reasons(from: string, linkDomains: string[]): string[] {
  const sender = senderOf(readHeaderBlock(`From: ${from}\r\nSubject: x\r\n\r\n`))
  if (sender === null) return []
  return observeSenderLinks(sender, linkDomains, DEFAULT_BRANDS).map((o) => o.reason)
}

describe('an address at a brand’s domain whose links go elsewhere', () => {
  it('warns when no link goes to the brand', () => {
    expect(reasons('Fuckbook <dating@facebook.com>', ['dating-site.example'])).toEqual([
      'sender_brand_address_unlinked',
    ])
  })

  it('leaves the brand’s own links, public mailboxes, tenants and employees alone', () => {
    expect(reasons('Facebook <notification@facebook.com>', ['facebook.com'])).toEqual([])
    expect(reasons('Ann <ann.lee@gmail.com>', ['news.example'])).toEqual([])
    expect(reasons('IT <it@contoso.onmicrosoft.com>', ['news.example'])).toEqual([])
    // An employee writing to a mailing list links wherever the talk goes.
    expect(reasons('"Oates, Isaac" <ioates@amazon.com>', ['lists.example'])).toEqual([])
    expect(reasons('Facebook <notification@facebook.com>', [])).toEqual([])
  })
})

describe('a display name wrapped in another domain', () => {
  it('warns when a link’s domain adds other words to the sender’s name', () => {
    expect(reasons('Team Optimism <hello@talks.example>', ['optimism-holder.com'])).toEqual([
      'sender_name_in_other_domain',
    ])
    expect(reasons('Tesla <tesla@seniordirect.example>', ['teslasol.io'])).toEqual([
      'sender_name_in_other_domain',
    ])
  })

  it('leaves the name’s own domain, a person’s site and generic words alone', () => {
    expect(reasons('Team Optimism <hello@talks.example>', ['optimism.io'])).toEqual([])
    expect(reasons('Acme News <news@acme-mail.example>', ['acmeshop.example'])).toEqual([])
    expect(reasons('Justin Mason <jm@list.example>', ['jmason.org'])).toEqual([])
    expect(reasons('Media Unspun <x@relay.example>', ['mediaunspun.com'])).toEqual([])
    expect(reasons('Support Team <help@relay.example>', ['supportdesk.example'])).toEqual([])
  })
})

describe('a sender domain one letter away from the name', () => {
  it('warns on a dropped, changed or swapped letter', () => {
    expect(reasons('Scroll Community <noreply@scrol.io>', [])).toEqual([
      'sender_domain_misspells_name',
    ])
    expect(reasons('Stripe <billing@stirpe.example>', [])).toEqual(['sender_domain_misspells_name'])
    expect(reasons('Kraken <support@krakan.example>', [])).toEqual(['sender_domain_misspells_name'])
  })

  it('leaves the exact name and a person’s initial-and-surname domain alone', () => {
    expect(reasons('Scroll Community <noreply@scroll.io>', [])).toEqual([])
    expect(reasons('Chris Kloiber <chris@ckloiber.com>', [])).toEqual([])
    expect(reasons('Steve Kann <steve@stevek.com>', [])).toEqual([])
  })
})

describe('an organisation writing from a free mailbox', () => {
  it('warns when the name is the linked site’s and the address is free mail', () => {
    expect(
      reasons('LeakBase - Official Community Forum <forum.notices@yandex.ru>', ['leakbase.io']),
    ).toEqual(['sender_free_mail_for_linked_site'])
  })

  it('leaves a person, the provider’s own mail and other sites alone', () => {
    expect(reasons('William Stearns <wstearns@pobox.com>', ['stearns.org'])).toEqual([])
    expect(reasons('Yahoo News <news@reply.yahoo.com>', ['yahoo.com'])).toEqual([])
    expect(reasons('LeakBase Official Forum <notices@yandex.ru>', ['other.example'])).toEqual([])
  })
})

describe('at click time', () => {
  it('puts the finding on every link of the message', async () => {
    const h = createHarness()
    const input = message(
      'text/html; charset=utf-8',
      '7bit',
      '<a href="https://optimism-holder.com/claim">claim</a> <a href="https://x.example/">x</a>',
    )
    const withSender = new TextEncoder().encode(
      new TextDecoder()
        .decode(input)
        .replace('From: alerts@example.com', 'From: Team Optimism <hello@talks.example>'),
    )

    const { output, summary } = await h.deps.rewriter.rewriteMessage(withSender)
    const links = signedLinks(new TextDecoder().decode(output), h.deps)
    const page = await h.app.request(new URL(links[1] ?? '').pathname)

    expect(summary.findings.map((f) => f.reason)).toEqual(['sender_name_in_other_domain'])
    expect(links).toHaveLength(2)
    expect(await page.text()).toContain('optimism-holder.com, which wraps that name')
  })
})
