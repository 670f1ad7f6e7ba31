/**
 * Hosts that borrow a protected brand's name. Three tricks:
 *
 * - look-alikes: a label that reads as the brand but is spelt with other
 *   characters (Cyrillic `раураl`, `paypa1`, `rnicrosoft`), compared by
 *   confusable skeleton (Unicode TS #39 section 4, via unhomoglyph's copy of
 *   confusables.txt);
 * - mixed scripts: one label mixing alphabets (Latin with Cyrillic or
 *   Greek), which no real name needs (TS #39 section 5.2, "highly restrictive");
 * - the brand's name as a subdomain, as part of another registrable domain,
 *   or as a path segment on a sign-in page of another domain
 *   (`microsoft.com.evil.example`, `paypal-secure.example`,
 *   `evil.example/office365/login.php`).
 *
 * Nothing fires on a host the brand owns (see `brandOwning`).
 */

import { toUnicode } from 'punycode/punycode.es6.js'
import { parse } from 'tldts'
import unhomoglyph from 'unhomoglyph'

import { type Brand, brandOwning } from '../brands.js'
import type { Heuristic, Observation } from './types.js'

/** Case-folded confusable skeleton. */
export function skeleton(text: string): string {
  return unhomoglyph(text.normalize('NFKC').toLowerCase()).toLowerCase()
}

/**
 * Words that make a page a credential page. A brand's name in a path is
 * everyday (`github.com/microsoft/vscode`); the same name on a page that
 * asks you to sign in or verify is the imitation we look for.
 */
const CREDENTIAL_WORDS = new Set([
  'login',
  'logon',
  'signin',
  'sign',
  'auth',
  'oauth',
  'verify',
  'verification',
  'account',
  'accounts',
  'secure',
  'security',
  'update',
  'password',
  'passwd',
  'webscr',
  'wallet',
  'billing',
  'owa',
  'mfa',
  'unlock',
])

/** Scripts whose letters we tell apart; any other letter counts as "other". */
const SCRIPTS: readonly [string, RegExp][] = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Georgian', /\p{Script=Georgian}/u],
  ['Cherokee', /\p{Script=Cherokee}/u],
  ['Han', /\p{Script=Han}/u],
  ['Hiragana', /\p{Script=Hiragana}/u],
  ['Katakana', /\p{Script=Katakana}/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['Bopomofo', /\p{Script=Bopomofo}/u],
]

/** Script mixes that TS #39's "highly restrictive" level allows: Latin with CJK writing systems. */
const ALLOWED_MIXES: readonly ReadonlySet<string>[] = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
]

interface HostView {
  /** Lower-case ASCII host. */
  ascii: string
  /** The same host in Unicode. */
  unicode: string
  /** Registrable domain (ICANN section), or null for IP literals and bare suffixes. */
  domain: string | null
  /** The registrable domain without its public suffix, in Unicode: `paypal` of `paypal.co.uk`. */
  domainName: string | null
  /** Labels left of the registrable domain, in Unicode. */
  subdomainLabels: string[]
}

export function viewHost(hostname: string): HostView | null {
  const ascii = hostname.toLowerCase().replace(/\.$/, '')
  if (ascii.startsWith('[')) return null

  const parsed = parse(ascii)
  if (parsed.isIp) return null

  const unicode = toUnicode(ascii)
  const domain = parsed.domain
  return {
    ascii,
    unicode,
    domain,
    domainName: parsed.domainWithoutSuffix ? toUnicode(parsed.domainWithoutSuffix) : null,
    subdomainLabels: parsed.subdomain ? toUnicode(parsed.subdomain).split('.') : [],
  }
}

/** A label that reads as one of the brand's names but is spelt differently. */
export const brandLookalike: Heuristic = ({ url }, { brands }) => {
  const host = viewHost(url.hostname)
  if (!host || brandOwning(host.ascii, brands)) return []

  const labels = [...host.subdomainLabels, ...(host.domainName ? host.domainName.split('.') : [])]
  // Whole labels and their hyphenated parts: `rnicrosoft-support` holds `rnicrosoft`.
  const candidates = [...new Set(labels.flatMap((l) => [l, ...l.split('-')]))]
  for (const label of candidates) {
    const brand = lookalikeOf(label, brands)
    if (brand) {
      return [
        {
          verdict: 'block',
          reason: 'brand_lookalike',
          detail: `"${label}" in ${host.unicode} reads as ${brand.name}, but the address is on ${host.domain ?? host.ascii}`,
        },
      ]
    }
  }
  return []
}

function lookalikeOf(label: string, brands: readonly Brand[]): Brand | null {
  const lower = label.toLowerCase()
  const skel = skeleton(label)

  for (const brand of brands) {
    const names = [...brand.keywords, ...brand.domains.map((d) => d.split('.')[0] ?? d)]
    for (const name of names) {
      if (name.length >= 4 && lower !== name && skel === skeleton(name)) return brand
    }
  }
  return null
}

/** A label that mixes alphabets, shown with its punycode so the reader sees the real name. */
export const mixedScript: Heuristic = ({ url }) => {
  const host = viewHost(url.hostname)
  if (!host || host.unicode === host.ascii) return []

  const mixed = host.unicode.split('.').find((label) => isMixedScript(label))
  if (mixed === undefined) return []
  return [
    {
      verdict: 'warn',
      reason: 'mixed_script_host',
      detail: `the site name mixes alphabets ("${mixed}"); its real form is ${host.ascii}`,
    },
  ]
}

export function isMixedScript(label: string): boolean {
  const scripts = new Set<string>()
  for (const char of label) {
    if (!/\p{L}/u.test(char)) continue
    scripts.add(SCRIPTS.find(([, pattern]) => pattern.test(char))?.[0] ?? 'Other')
  }
  if (scripts.size <= 1) return false
  return !ALLOWED_MIXES.some((allowed) => [...scripts].every((s) => allowed.has(s)))
}

/** The brand's name used on a domain the brand does not own. */
export const brandMisuse: Heuristic = ({ url }, { brands }) => {
  const host = viewHost(url.hostname)
  if (!host?.domain || brandOwning(host.ascii, brands)) return []

  const observations: Observation[] = []
  const inSubdomain = brandIn(host.subdomainLabels.flatMap(words), brands)
  if (inSubdomain) {
    observations.push({
      verdict: 'warn',
      reason: 'brand_in_subdomain',
      detail: `${host.unicode} starts with ${inSubdomain.name}'s name, but the address is on ${host.domain}`,
    })
  }

  const inDomain = brandIn(words(host.domainName ?? ''), brands)
  if (inDomain && !isCountrySite(host, inDomain)) {
    observations.push({
      verdict: 'warn',
      reason: 'brand_in_domain',
      detail: `${host.domain} uses ${inDomain.name}'s name but is not one of ${inDomain.name}'s sites`,
    })
  }

  const inPath = brandInPath(url, brands)
  if (inPath) {
    observations.push({
      verdict: 'warn',
      reason: 'brand_in_path',
      detail: `a sign-in style page on ${host.domain} is named after ${inPath.name}`,
    })
  }
  return observations
}

/**
 * The brand's own name on a country domain (`yahoo.com.au`, `amazon.de`):
 * brands run or defensively hold these, and no list of their domains is
 * ever complete. Generic and unknown suffixes (`microsoft.support`,
 * `paypal.example`) get no such benefit of the doubt.
 */
function isCountrySite(host: HostView, brand: Brand): boolean {
  const name = host.domainName
  const tld = host.domain?.split('.').pop() ?? ''
  const ownNames = brand.domains.map((d) => d.split('.')[0])
  return name !== null && ownNames.includes(name) && /^[a-z]{2}$/.test(tld)
}

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0)
}

function brandIn(tokens: readonly string[], brands: readonly Brand[]): Brand | null {
  if (tokens.length === 0) return null
  const set = new Set(tokens)

  // Brand domains spelt out in labels (`microsoft.com.evil.example`) reduce to their keyword.
  return brands.find((brand) => brand.keywords.some((keyword) => set.has(keyword))) ?? null
}

function brandInPath(url: URL, brands: readonly Brand[]): Brand | null {
  const pathWords = words(decodeSafely(url.pathname))
  const allWords = [...pathWords, ...words(decodeSafely(url.search))]
  if (!allWords.some((w) => CREDENTIAL_WORDS.has(w))) return null

  const domainsInPath = decodeSafely(url.pathname).toLowerCase().split('/')
  return (
    brands.find(
      (b) =>
        b.keywords.some((k) => pathWords.includes(k)) ||
        b.domains.some((d) => domainsInPath.includes(d)),
    ) ?? null
  )
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    // Judged as written.
    return text
  }
}
