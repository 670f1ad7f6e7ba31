/**
 * Heuristics that weigh who the message says it is from against where its
 * links lead. Impersonation that avoids protected brand names still has to
 * make the two stories agree, and cheap kits rarely do:
 *
 * - the address is at a brand's own domain, but no link goes to the brand
 *   (a forged From field: the brand's real mail links to its own sites);
 * - the name is an organisation, and a link goes to a domain that wraps
 *   that name in other words (`Team Optimism` and `optimism-holder.com`),
 *   the "combosquatting" pattern of Kintis et al., CCS 2017;
 * - the address's domain misspells the name by one letter (`Scroll` at
 *   `scrol.io`), typosquatting of the sender itself;
 * - the name is the organisation whose site the links lead to, but the
 *   address is a free mailbox: organisations send their notices from their
 *   own domain.
 *
 * Each finding is about the whole message, so it warns on every link in it.
 */

import { parse } from 'tldts'

import { type Brand, brandOwning } from '../brands.js'
import { FREE_MAIL } from '../lists/free-mail.js'
import { CUSTOMER_MAIL_DOMAINS, type Sender } from './sender.js'
import type { Observation } from './types.js'

/**
 * A brand's domains where anyone can have an address: mail from them is a
 * customer's, not the brand's, so it says nothing about the brand's links.
 */
const PUBLIC_MAILBOXES = new Set([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'msn.com',
  'icloud.com',
  'me.com',
  'yahoo.com',
  'yahoo.co.jp',
])

/**
 * Words that describe a sender rather than name one. "Support Team" names
 * no organisation, so seeing "support" inside a link's domain proves nothing.
 */
const GENERIC_WORDS = new Set(
  (
    'team support service services customer customers client account accounts info ' +
    'information news newsletter mail email mailer notice notices notification ' +
    'notifications alert alerts admin administrator official community forum forums ' +
    'group update updates security help helpdesk center centre department billing ' +
    'online digital global international daily weekly monthly from your with noreply ' +
    'reply contact office sales marketing store shop club home world free best member ' +
    'members staff desk message messages system report reports delivery express ' +
    'secure health care bank card cards money cash deals offers network media'
  ).split(' '),
)

/** Shortest word we take for an organisation's name: `dhl` is a brand, `the` is not. */
const MIN_NAME_WORD = 4

/** The sender checks that need the message's links, in a fixed order. */
export function observeSenderLinks(
  sender: Sender,
  linkDomains: readonly string[],
  brands: readonly Brand[],
): Observation[] {
  return [
    ...brandAddressWithoutBrandLinks(sender, linkDomains, brands),
    ...nameWrappedInLinkDomain(sender, linkDomains),
    ...addressMisspellsName(sender),
    ...freeMailForLinkedSite(sender, linkDomains),
  ]
}

function brandAddressWithoutBrandLinks(
  sender: Sender,
  linkDomains: readonly string[],
  brands: readonly Brand[],
): Observation[] {
  const registrable = parse(sender.domain).domain ?? ''
  if (registrable === '' || PUBLIC_MAILBOXES.has(registrable) || linkDomains.length === 0) return []
  if (CUSTOMER_MAIL_DOMAINS.includes(registrable) || personalMailbox(sender)) return []
  const brand = brandOwning(registrable, brands)
  if (brand === null || linkDomains.some((d) => brandOwning(d, [brand]) !== null)) return []

  return [
    {
      verdict: 'warn',
      reason: 'sender_brand_address_unlinked',
      detail:
        `the From header gives an address at ${sender.domain}, one of ${brand.name}'s domains, ` +
        `but no link in the message goes to ${brand.name}: its real mail links to its own sites`,
    },
  ]
}

function nameWrappedInLinkDomain(sender: Sender, linkDomains: readonly string[]): Observation[] {
  const own = labelOf(sender.domain)
  const allWords = nameWords(sender.name, 1, true)
  for (const word of nameWords(sender.name, 5)) {
    if (own.includes(word)) continue
    const wrapper = linkDomains.find((d) => {
      const label = labelOf(d)
      return label !== word && label.includes(word) && !madeOfName(label, allWords)
    })
    if (wrapper === undefined) continue
    return [
      {
        verdict: 'warn',
        reason: 'sender_name_in_other_domain',
        detail:
          `the sender calls itself "${sender.name}", and a link goes to ${wrapper}, which wraps ` +
          `that name in other words, while the address is at ${sender.domain || 'no domain'}`,
      },
    ]
  }
  return []
}

function addressMisspellsName(sender: Sender): Observation[] {
  const own = labelOf(sender.domain)
  if (own.length < MIN_NAME_WORD) return []
  const word = nameWords(sender.name, 5).find(
    (w) => w !== own && w.length >= own.length && oneEditApart(w, own),
  )
  if (word === undefined) return []

  return [
    {
      verdict: 'warn',
      reason: 'sender_domain_misspells_name',
      detail: `the sender calls itself "${sender.name}", but writes from ${sender.domain}, one letter away from "${word}"`,
    },
  ]
}

function freeMailForLinkedSite(sender: Sender, linkDomains: readonly string[]): Observation[] {
  const registrable = parse(sender.domain).domain ?? ''
  if (!FREE_MAIL.has(registrable) || !organisationName(sender.name)) return []
  const own = labelOf(registrable)
  const words = new Set(nameWords(sender.name, MIN_NAME_WORD))
  const site = linkDomains.find((d) => words.has(labelOf(d)) && labelOf(d) !== own)
  if (site === undefined) return []

  return [
    {
      verdict: 'warn',
      reason: 'sender_free_mail_for_linked_site',
      detail:
        `the sender calls itself "${sender.name}", the name of ${site} that its links lead to, ` +
        `but writes from a free mailbox at ${sender.domain}`,
    },
  ]
}

/** The registrable domain's name without its public suffix, hyphens kept: `optimism-holder`. */
function labelOf(domain: string): string {
  return parse(domain).domainWithoutSuffix?.toLowerCase() ?? ''
}

/**
 * The distinct lower-case words of a display name that could name an
 * organisation: letters and digits only, at least `min` long, not generic
 * (unless `generic`). A run-together name counts whole and in its parts:
 * `LeakBase` gives `leakbase`, `leak` and `base`.
 */
function nameWords(name: string, min: number, generic = false): string[] {
  const text = name.normalize('NFKC')
  const whole = text.toLowerCase().match(WORD) ?? []
  const parts =
    text
      .replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2')
      .toLowerCase()
      .match(WORD) ?? []
  return [...new Set([...whole, ...parts])].filter(
    (w) => w.length >= min && (generic || !GENERIC_WORDS.has(w)),
  )
}

const WORD = /[\p{L}\p{N}]+/gu

/**
 * Whether a domain label is spelt from the name's own words and initials
 * (`jmason` for Justin Mason, `media-unspun` for Media Unspun): a person's
 * or a publication's own site, not the name wrapped in someone else's words.
 */
function madeOfName(label: string, words: readonly string[]): boolean {
  let rest = label.replace(/-/g, '')
  for (const word of [...words].sort((a, b) => b.length - a.length))
    rest = rest.replaceAll(word, '')
  const initials = new Set(words.map((w) => w[0]))
  return [...rest].every((c) => initials.has(c)) && rest.length <= 2
}

/** A name with a word that describes an organisation ("Official Community Forum"), not a person. */
function organisationName(name: string): boolean {
  return nameWords(name, 1, true).some((w) => GENERIC_WORDS.has(w))
}

/**
 * An address made from the display name (`ioates@` for "Oates, Isaac"): a
 * person's own mailbox. A brand's employee writing to a list links wherever
 * the talk goes; a forged notification does not borrow a person's name.
 */
function personalMailbox(sender: Sender): boolean {
  const local = sender.local.replace(/[^\p{L}\p{N}]/gu, '')
  return nameWords(sender.name, 4, true).some((word) => sharesRun(local, word, 4))
}

/** Whether `a` and `b` have `length` characters in a row in common. */
function sharesRun(a: string, b: string, length: number): boolean {
  for (let i = 0; i + length <= b.length; i++) if (a.includes(b.slice(i, i + length))) return true
  return false
}

/** Whether one insertion, deletion, substitution or swap of neighbours turns `a` into `b`. */
function oneEditApart(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  if (a.length === b.length) {
    const swapped = a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2)
    return swapped || a.slice(i + 1) === b.slice(i + 1)
  }
  const [longer, shorter] = a.length > b.length ? [a, b] : [b, a]
  return longer.slice(i + 1) === shorter.slice(i)
}
