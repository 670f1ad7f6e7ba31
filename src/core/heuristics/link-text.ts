/**
 * Link text that shows one site while the link goes to another: the text
 * reads `www.paypal.com` and the href is `https://evil.example/`. Readers
 * trust what they see; the href is what the browser opens. The text is
 * captured when the message is rewritten (see `rewrite/anchor-text.ts`).
 *
 * Only a domain shown in the text counts. "Click here" claims nothing, and a
 * text domain that matches any layer of the link (the tracker, the wrapper
 * or the destination inside) is no contradiction.
 */

import { getDomain } from 'tldts'

import { type Brand, brandOwning } from '../brands.js'
import { scanText } from '../rewrite/text.js'
import { parseWebUrl } from '../url.js'
import type { Observation } from './types.js'

/** Longest link text kept per link; enough for any address a reader can take in. */
export const MAX_LINK_TEXT = 200

interface ShownAddress {
  domain: string
  /** Written with a scheme, a `www.` or a path: unmistakably an address. */
  explicit: boolean
}

/** The one address a text consists of, or null when the text is anything more or less. */
function addressOf(text: string): ShownAddress | null {
  const candidate = text.trim().replace(/^[<("'\[]+|[>)"'\].,;:!?]+$/g, '')
  if (candidate === '' || /\s/.test(candidate)) return null

  const { links } = scanText(candidate)
  const link = links[0]
  if (links.length !== 1 || !link || link.start !== 0 || link.end !== candidate.length) return null

  const url = parseWebUrl(link.hasScheme ? link.text : `http://${link.text}`)
  const domain = url ? getDomain(url.hostname) : null
  if (!domain) return null

  const explicit = link.hasScheme || /^www\./i.test(link.text) || /[/?#]/.test(link.text)
  return { domain, explicit }
}

/**
 * The registrable domain a text presents as the link's address, or none.
 *
 * Only a text that is an address as a whole counts, and only when it reads
 * as one: with a scheme, a `www.`, a path, or as a protected brand's domain.
 * "Walmart.com" or "News.com: top stories" name a company; a reader does not
 * take them for the address the link opens, and newsletters put such names
 * over their click trackers all the time.
 */
export function shownDomains(text: string, brands: readonly Brand[]): string[] {
  const address = addressOf(text)
  if (!address) return []
  return address.explicit || brandOwning(address.domain, brands) ? [address.domain] : []
}

/** True when a text is an address, so it is worth keeping for the click-time check. */
export function showsDomain(text: string): boolean {
  return addressOf(text) !== null
}

export function linkTextMismatch(
  texts: readonly string[],
  layers: readonly string[],
  brands: readonly Brand[],
): Observation[] {
  const actual = layers.map(domainOf).filter((d): d is string => d !== null)
  if (actual.length === 0) return []

  for (const text of texts) {
    for (const shown of shownDomains(text, brands)) {
      if (actual.some((domain) => sameOwner(shown, domain, brands))) continue
      return [mismatch(text, shown, actual[actual.length - 1] ?? '', brands)]
    }
  }
  return []
}

function domainOf(layer: string): string | null {
  const url = parseWebUrl(layer)
  return url ? getDomain(url.hostname) : null
}

/** Same registrable domain, or two domains of one protected brand (`office.com`, `microsoft.com`). */
function sameOwner(a: string, b: string, brands: readonly Brand[]): boolean {
  if (a === b) return true
  const owner = brandOwning(a, brands)
  return owner !== null && owner === brandOwning(b, brands)
}

/** Showing a protected brand's domain over a link elsewhere is impersonation: blocked. */
function mismatch(text: string, shown: string, actual: string, brands: readonly Brand[]) {
  const brand = brandOwning(shown, brands)
  const observation: Observation = {
    verdict: brand ? 'block' : 'warn',
    reason: brand ? 'link_text_brand_mismatch' : 'link_text_mismatch',
    detail: `the link text shows "${text.slice(0, 80)}" (${shown}) but the link goes to ${actual}`,
  }
  return observation
}
