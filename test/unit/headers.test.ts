/**
 * The header heuristics: where replies go, and how the subject and the
 * sender's name are spelt. Each case has a benign twin that must not fire.
 */

import { describe, expect, it } from 'vitest'

import { readHeaderBlock } from '../../src/core/auth/header-block.js'
import { DEFAULT_BRANDS } from '../../src/core/brands.js'
import { observeHeaders } from '../../src/core/heuristics/headers.js'
import { senderOf } from '../../src/core/heuristics/sender.js'
import { createHarness } from '../support/harness.js'
import { signedLinks } from '../support/links.js'
import { message } from '../support/mail.js'

/** An RFC 2047 encoded word: how mail carries non-ASCII header text. */
const word = (text: string) =>
  `=?utf-8?B?${btoa(String.fromCharCode(...new TextEncoder().encode(text)))}?=`

function reasons(...fields: string[]): string[] {
  const block = readHeaderBlock(`${fields.join('\r\n')}\r\n\r\n`)
  return observeHeaders(block, senderOf(block), DEFAULT_BRANDS).map((o) => o.reason)
}

describe('replies sent to a free mailbox', () => {
  it('warns when an organisation’s address asks for replies at a free mailbox', () => {
    expect(
      reasons('From: Claims Desk <claims@firm.example>', 'Reply-To: firm.claims@gmail.com'),
    ).toEqual(['reply_to_free_mail'])
    expect(
      reasons('From: "E. Castro" <e.castro@studio.example>', 'Reply-To: <agent7@aliyun.com>'),
    ).toEqual(['reply_to_free_mail'])
  })

  it('leaves free mail, the same organisation and list mail alone (benign twins)', () => {
    // A person moving between free mailboxes.
    expect(reasons('From: Ann <ann@hotmail.com>', 'Reply-To: ann@msn.com')).toEqual([])
    // Replies to the organisation's own domain, or to another company's.
    expect(reasons('From: news@firm.example', 'Reply-To: help@support.firm.example')).toEqual([])
    expect(reasons('From: news@firm.example', 'Reply-To: desk@helpdesk-vendor.example')).toEqual([])
    // A mailing list puts the author's own address in Reply-To.
    expect(
      reasons(
        'From: "Ann via Users" <users@lists.example>',
        'Reply-To: ann@gmail.com',
        'List-Id: <users.lists.example>',
      ),
    ).toEqual([])
    expect(reasons('From: news@firm.example')).toEqual([])
  })

  it('leaves a service’s notification sent for one of its users alone (benign twins)', () => {
    // A shared document, an invitation or a form: from an address that takes no replies.
    const noReply = [
      'From: "Jane Roe (via Docs)" <drive-shares-dm-noreply@docs.example>',
      'From: Calendar <calendar-notification@calendar.example>',
      'From: Forms <no-reply@forms.example>',
      'From: Tickets <do_not_reply@order.tickets.example>',
    ]
    for (const from of noReply) expect(reasons(from, 'Reply-To: jane.roe@gmail.com')).toEqual([])
    // An invoice from a protected brand's own domain: a forgery of it fails DMARC instead.
    expect(reasons('From: service@paypal.com', 'Reply-To: seller@hotmail.com')).toEqual([])
    expect(reasons('From: dse_NA4@docusign.net', 'Reply-To: buyer@yahoo.com')).toEqual([])
    // The words must stand as words of the local part.
    expect(reasons('From: snotifyer@firm.example', 'Reply-To: firm@gmail.com')).toEqual([
      'reply_to_free_mail',
    ])
  })

  it('warns on every link of the rewritten message', async () => {
    const h = createHarness()
    const base = new TextDecoder().decode(
      message('text/html', '7bit', '<a href="https://shop.example/">x</a>'),
    )
    const input = new TextEncoder().encode(
      base.replace(
        'From: alerts@example.com',
        'From: alerts@shop.example\r\nReply-To: x@gmail.com',
      ),
    )

    const { output, summary } = await h.deps.rewriter.rewriteMessage(input)
    const [link] = signedLinks(new TextDecoder().decode(output), h.deps)
    const click = await h.app.request(new URL(link ?? '').pathname)

    expect(summary.findings).toMatchObject([
      { verdict: 'warn', reason: 'reply_to_free_mail', source: 'heuristics' },
    ])
    expect(await click.text()).toContain('reply_to_free_mail')
  })
})

describe('words spelt in two alphabets', () => {
  it('warns on a Latin word with Cyrillic or Greek look-alikes in the subject or the name', () => {
    // "Amаzon" and "accоunt" with Cyrillic а and о.
    expect(
      reasons('From: shop@mailer.example', `Subject: ${word('Your Am\u0430zon acc\u043eunt')}`),
    ).toEqual(['mixed_script_words'])
    // The subject as an encoded word, in KOI8-R.
    expect(
      reasons('From: shop@mailer.example', 'Subject: =?koi8-r?Q?Am=C1zon_acc=CFunt?='),
    ).toEqual(['mixed_script_words'])
    // A Greek Ν in the sender's name, split by a zero-width space.
    expect(reasons(`From: "${word('\u039de\u200bw Offers')}" <offers@mailer.example>`)).toEqual([
      'mixed_script_words',
    ])
  })

  it('leaves one alphabet per word alone (benign twins)', () => {
    expect(
      reasons('From: news@lists.example', `Subject: ${word('Новости Linux и Debian')}`),
    ).toEqual([])
    expect(reasons('From: a@b.example', `Subject: ${word('Ελληνικά and English')}`)).toEqual([])
    expect(
      reasons(
        `From: ${word('Zoë Müller')} <z@b.example>`,
        `Subject: ${word('Café résumé, naïve')}`,
      ),
    ).toEqual([])
    expect(reasons(`From: ${word('Алексей Петров')} <a@b.example>`, 'Subject: Re: test')).toEqual(
      [],
    )
    // Greek letters that look like no Latin letter: units and symbols in ordinary mail.
    expect(
      reasons(
        'From: orders@parts.example',
        `Subject: ${word('Order 4821: 10 kΩ resistors, 5 μm filters')}`,
      ),
    ).toEqual([])
    expect(
      reasons('From: lab@uni.example', `Subject: ${word('Δx results for the ΩmegaScan run')}`),
    ).toEqual([])
  })
})
