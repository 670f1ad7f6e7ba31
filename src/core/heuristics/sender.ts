/**
 * Heuristics about who the message says it is from, read from its From
 * field when it is rewritten. Many mail clients, phones above all, show only
 * the sender's display name, which the sender writes freely: "PayPal" or
 * "service@paypal.com" in the name says nothing about the address behind it.
 * This display-name spoofing is the most common impersonation in mail that
 * reaches inboxes (FBI IC3 and Proofpoint describe it as the usual form of
 * business email compromise), because it passes SPF, DKIM and DMARC: the
 * attacker's own domain is authenticated, only the name lies.
 *
 * Each finding is about the whole message, so it warns on every link in it.
 */

import { addressParser, decodeWords } from 'postal-mime'
import { getDomain, parse } from 'tldts'

import {
  type HeaderBlock,
  asciiDomain,
  domainOf,
  fieldValues,
  headerText,
} from '../auth/header-block.js'
import { type Brand, brandOwning } from '../brands.js'
import type { Observation } from './types.js'

/** Longest display name we read; real names are a few words. */
const MAX_NAME_LENGTH = 200

/** An address written inside a display name: `"service@paypal.com" <x@evil.example>`. */
const ADDRESS_IN_NAME = /[\p{L}\p{N}._%+-]+@([\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+)/u

export interface Sender {
  /** The display name, decoded (RFC 2047), or '' without one. */
  name: string
  /** The address's domain, lower-case ASCII, or '' when it has none. */
  domain: string
  /** The address's local part, lower-case, or ''. */
  local: string
}

/**
 * The sender as a reader sees it, from the first From field: every name in
 * it, and the domain of its first address. All names count because kits
 * put the brand in a name-only entry before the real mailbox
 * (`From: PayPal ,_<x@evil.example>`), which clients show as the sender.
 */
export function senderOf(block: HeaderBlock): Sender | null {
  const [value] = fieldValues(block, 'from')
  if (value === undefined) return null

  const mailboxes = addressParser(headerText(value), { flatten: true })
  if (mailboxes.length === 0) return null
  const names = mailboxes.map((mailbox) => decodedName(mailbox.name ?? '')).filter(Boolean)
  const address = mailboxes.find((mailbox) => mailbox.address?.includes('@'))?.address ?? ''
  return {
    name: names.join(', ').slice(0, MAX_NAME_LENGTH),
    domain: asciiDomain(domainOf(address)),
    local: address.slice(0, address.lastIndexOf('@')).toLowerCase(),
  }
}

/** The sender heuristics, in a fixed order. */
export function observeSender(sender: Sender, brands: readonly Brand[]): Observation[] {
  return [...nameClaimsBrand(sender, brands), ...nameShowsOtherAddress(sender)]
}

/**
 * The display name names a protected brand (by its distinctive keywords,
 * the same words the host checks use) while the address is not the brand's.
 * "PayPal Service" <notice@billing-center.example> is the pattern; a brand's
 * own mail, and its country domains (`paypal.de`), are left alone.
 */
function nameClaimsBrand(sender: Sender, brands: readonly Brand[]): Observation[] {
  const name = sender.name.normalize('NFKC')
  const brand = brands.find((b) => b.keywords.some((keyword) => hasWord(name, keyword)))
  if (brand === undefined || ownedBy(sender.domain, brand)) return []

  const sent =
    sender.domain === ''
      ? 'the message has no valid sender address'
      : `its From header gives an address at ${sender.domain}, which is not one of ${brand.name}'s domains`
  return [
    {
      verdict: 'warn',
      reason: 'sender_name_brand_mismatch',
      detail: `the sender calls itself "${sender.name}", but ${sent}`,
    },
  ]
}

/**
 * The display name contains an email address at another organisation than
 * the real one: `"it-support@yourcompany.example" <x@evil.example>`. A client
 * that shows only the name shows the fake address as the sender.
 */
function nameShowsOtherAddress(sender: Sender): Observation[] {
  const shown = ADDRESS_IN_NAME.exec(sender.name)
  if (shown === null) return []

  const shownDomain = asciiDomain(shown[1] ?? '')
  if (shownDomain !== '' && sameOrganisation(shownDomain, sender.domain)) return []
  const sent =
    sender.domain === ''
      ? 'the message has no valid sender address'
      : `the address in its From header is at ${sender.domain}`
  return [
    {
      verdict: 'warn',
      reason: 'sender_name_shows_other_address',
      detail: `the sender's name shows the address ${shown[0]}, but ${sent}`,
    },
  ]
}

/**
 * Mail domains a brand hands to its customers: every Microsoft 365 tenant
 * sends as `<tenant>.onmicrosoft.com`, and free trial tenants are a known
 * spam and phishing source (Microsoft began throttling their outbound mail
 * in 2025 for that reason). Such an address is the tenant's, not the brand's.
 */
export const CUSTOMER_MAIL_DOMAINS: readonly string[] = ['onmicrosoft.com']

/** The brand's own domains, or a country domain under its name (`amazon.it`, `dhl.co.uk`). */
function ownedBy(domain: string, brand: Brand): boolean {
  if (domain === '') return false
  if (CUSTOMER_MAIL_DOMAINS.some((d) => domain.endsWith(`.${d}`))) return false
  if (brandOwning(domain, [brand]) !== null) return true

  const parsed = parse(domain)
  const label = parsed.domainWithoutSuffix ?? ''
  const countrySuffix = /^(?:(?:com|co|org|net)\.)?[a-z]{2}$/.test(parsed.publicSuffix ?? '')
  return countrySuffix && brand.keywords.includes(label)
}

function sameOrganisation(a: string, b: string): boolean {
  return b !== '' && (getDomain(a) ?? a) === (getDomain(b) ?? b)
}

/**
 * True when the lower-case `word` stands alone in `text`: not inside a
 * longer word. A change from lower to upper case also separates words, as
 * in the run-together names kits use (`NetflixBilling`, `PepeByBinance`).
 */
function hasWord(text: string, word: string): boolean {
  const lower = text.toLowerCase()
  const cased = lower.length === text.length
  let at = lower.indexOf(word)
  while (at >= 0) {
    const end = at + word.length
    if (boundary(text, at, cased) && boundary(text, end, cased)) return true
    at = lower.indexOf(word, at + 1)
  }
  return false
}

/** Whether a word may start or end at `at` in `text`. */
function boundary(text: string, at: number, cased: boolean): boolean {
  const before = text[at - 1] ?? ' '
  const after = text[at] ?? ' '
  if (!/[\p{L}\p{N}]/u.test(before) || !/[\p{L}\p{N}]/u.test(after)) return true
  return cased && /\p{Ll}/u.test(before) && /\p{Lu}/u.test(after)
}

/**
 * The name decoded, with format characters (bidi overrides, zero-width
 * spaces) dropped and control characters made spaces: kits split a brand
 * with them (`Pay\u200bPal`), and the warning page quotes the name, which
 * they would let the sender reorder.
 */
function decodedName(name: string): string {
  let decoded = name
  try {
    decoded = decodeWords(name)
  } catch {
    // A broken encoded word is shown as written; its plain ASCII words still count.
  }
  return decoded
    .replace(/\p{Cf}/gu, '')
    .replace(/[\p{Cc}\s]+/gu, ' ')
    .trim()
}
