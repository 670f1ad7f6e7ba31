/**
 * Heuristics about where a link is hosted and how it is written, rather than
 * whose name it borrows: public shorteners, shared hosting, absurd length,
 * obfuscating encodings.
 */

import { parse } from 'tldts'

import { brandOwning } from '../brands.js'
import {
  ABUSED_TLDS,
  LOOKALIKE_COUNTRY_SUFFIXES,
  S3_ENDPOINT,
  SHARED_HOSTING,
  USER_CONTENT,
} from '../lists/hosting.js'
import { URL_SHORTENERS } from '../lists/shorteners.js'
import { authoredHost } from './ip-host.js'
import type { Heuristic, Observation } from './types.js'

/**
 * Longer than any address a person could read. Legitimate tracking links
 * reach one or two thousand characters; beyond this a URL is padding meant
 * to push the real host off screen or past scanners that truncate.
 */
export const ABSURD_URL_LENGTH = 4096

/**
 * Percent-encoded letters and digits at or above this count. RFC 3986
 * section 2.3: unreserved characters "should not be created" encoded by URI
 * producers, so spelling `login` as `%6c%6f%67%69%6e` only hides words.
 */
export const ENCODED_UNRESERVED_LIMIT = 3

const SHORTENERS = new Set(URL_SHORTENERS)
const SHARED = new Set(SHARED_HOSTING)
const ABUSED = new Set(ABUSED_TLDS)
const COUNTRY_LOOKALIKES = new Set(LOOKALIKE_COUNTRY_SUFFIXES)

function underAny(host: string, set: ReadonlySet<string>): string | null {
  const labels = host.split('.')
  for (let i = 0; i < labels.length - 1; i++) {
    const candidate = labels.slice(i).join('.')
    if (set.has(candidate)) return candidate
  }
  return null
}

export const urlShortener: Heuristic = ({ url }) => {
  const service = underAny(url.hostname.toLowerCase(), SHORTENERS)
  if (service === null) return []
  return [
    {
      verdict: 'warn',
      reason: 'url_shortener',
      detail: `${service} is a public link shortener: the real destination is hidden behind it`,
    },
  ]
}

/**
 * Hosts under a suffix in the private section of the Public Suffix List:
 * cloud storage buckets, app platforms, free site builders and dynamic DNS,
 * where anyone can publish under a famous parent domain. The parent's good
 * name says nothing about who runs the page.
 */
export const sharedHosting: Heuristic = ({ url }) => {
  const host = url.hostname.toLowerCase()
  const place = sharedPlace(host, url.pathname)
  if (place === null) return []

  return [
    {
      verdict: 'warn',
      reason: 'shared_hosting',
      detail: `the page is on ${place}, a platform where anyone can publish, so the platform's name says nothing about who made this page`,
    },
  ]
}

/** The platform a host or page is on, unless it is the platform's own site. */
function sharedPlace(host: string, path: string): string | null {
  const platform = underAny(host, SHARED)
  if (platform !== null && host !== platform && host !== `www.${platform}`) return platform
  if (S3_ENDPOINT.test(host)) return 'Amazon S3 storage'

  const content = USER_CONTENT.find((entry) => {
    const slash = entry.indexOf('/')
    const entryHost = entry.slice(0, slash)
    const onHost = host === entryHost || host.endsWith('.' + entryHost)
    return onHost && path.startsWith(entry.slice(slash))
  })
  return content === undefined ? null : content.replace(/\/$/, '')
}

/** A registrable domain under a top-level domain where abuse dominates, or a fake country suffix. */
export const abusedTld: Heuristic = ({ url }) => {
  const lookalike = underAny(url.hostname.toLowerCase(), COUNTRY_LOOKALIKES)
  if (lookalike !== null && url.hostname.toLowerCase() !== lookalike) {
    return [
      {
        verdict: 'warn',
        reason: 'lookalike_country_suffix',
        detail: `.${lookalike} looks like a country's domain but is sold by a private company to anyone`,
      },
    ]
  }

  const parsed = parse(url.hostname)
  const tld = parsed.publicSuffix?.split('.').pop()
  if (!parsed.domain || tld === undefined || !ABUSED.has(tld)) return []

  return [
    {
      verdict: 'warn',
      reason: 'abused_tld',
      detail: `${parsed.domain} is under .${tld}, a top-level domain where most registrations reported are abusive`,
    },
  ]
}

/**
 * A host written with characters that browsers fold into other ones
 * (UTS #46 mapping: fullwidth letters, mathematical digits such as `𝟜`):
 * what the reader sees is not what the browser looks up, and filters that
 * match on the written text miss it.
 */
export const disguisedHost: Heuristic = ({ raw, url }) => {
  const written = authoredHost(raw)
  if (written === null || /^[\x00-\x7f]*$/.test(written)) return []
  if (url.hostname.split('.').some((label) => label.startsWith('xn--'))) return []

  return [
    {
      verdict: 'block',
      reason: 'host_disguised_characters',
      detail: `the site name is written as "${written}", which browsers read as ${url.hostname}`,
    },
  ]
}

export const absurdShape: Heuristic = ({ raw }) => {
  const observations: Observation[] = []

  if (raw.length > ABSURD_URL_LENGTH) {
    observations.push({
      verdict: 'warn',
      reason: 'url_absurd_length',
      detail: `the link is ${raw.length} characters long, far beyond any readable address`,
    })
  }

  const encoding = obfuscatingEncoding(raw)
  if (encoding !== null) {
    observations.push({ verdict: 'warn', reason: 'url_obfuscated_encoding', detail: encoding })
  }
  return observations
}

function obfuscatingEncoding(raw: string): string | null {
  const host = authoredHost(raw) ?? ''
  if (host.includes('%')) return 'the site name is percent-encoded, which only serves to hide it'
  if (/\\/.test(raw.slice(0, raw.indexOf(host) + host.length + 1))) {
    return 'the address uses backslashes, which browsers read as slashes'
  }

  const rest = raw.slice(raw.indexOf(host) + host.length)
  const encoded = rest.match(/%(3[0-9]|4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a])/gi) ?? []
  if (encoded.length >= ENCODED_UNRESERVED_LIMIT) {
    return `letters or digits in the address are disguised as ${encoded.length} percent-escapes`
  }
  return null
}

/**
 * A host name that spells out an IP address (`103-52-115-55.cloud.example`,
 * `ip-10-0-0-1.example`): the reverse-DNS name of a rented server, which
 * names a machine, not a site anyone put their name to.
 */
export const addressInHost: Heuristic = ({ url }) => {
  const host = url.hostname.toLowerCase()
  const match = /(?:^|[.-])(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})(?=[.-])/.exec(host)
  if (!match || /^[\d.]+$/.test(host)) return []
  if (match.slice(1).some((part) => Number(part) > 255)) return []

  return [
    {
      verdict: 'warn',
      reason: 'ip_in_host_name',
      detail: `${host} is a rented server's address spelt out (${match.slice(1).join('.')}), not a site name`,
    },
  ]
}

/**
 * Words about accounts and sign-in that phishing domains add to a name
 * (`secure-netcloud`, `paypal-login`): Garera et al. (WORM 2007) found such
 * tokens among the strongest signs of a phishing URL. Only a word joined by
 * a hyphen to the rest of the registrable domain counts; written inside a
 * longer word (`securityweek`) or as a subdomain (`login.bank.example`,
 * which the domain's owner chose) it proves nothing.
 */
const ACCOUNT_WORDS = new Set([
  'secure',
  'security',
  'login',
  'logon',
  'signin',
  'signon',
  'verify',
  'verification',
  'account',
  'accounts',
  'auth',
  'wallet',
  'billing',
  'confirm',
  'unlock',
  'webscr',
  'password',
])

export const accountWordDomain: Heuristic = ({ url }) => {
  const parsed = parse(url.hostname)
  const label = parsed.domainWithoutSuffix?.toLowerCase() ?? ''
  const words = label.split('-')
  const word = words.length > 1 ? words.find((w) => ACCOUNT_WORDS.has(w)) : undefined
  if (word === undefined) return []

  return [
    {
      verdict: 'warn',
      reason: 'account_word_in_domain',
      detail: `${parsed.domain} joins "${word}" to its name, the way phishing domains borrow trust; the word says nothing about who runs it`,
    },
  ]
}

/**
 * Shortest opaque token we treat as hiding the destination. Readable paths
 * are words; a code this long at the root of a site is a key to a redirect.
 */
export const OPAQUE_TOKEN_LENGTH = 32

/**
 * A link that is nothing but a long random code at the root of a site
 * (`https://unknown.example/4XELzv34023kzUx610…`), or a root-level script
 * whose only parameter has no readable name (`/r684f.php?32=1o1668bb…`):
 * like a shortener, it tells the reader nothing about where it leads, and
 * it is how bulk phishing kits address each recipient's redirect.
 * Tracking links name their parameters (`?id=`, `?upn=`), which is why a
 * named one does not count.
 */
export const opaqueLink: Heuristic = ({ url }) => {
  const path = url.pathname.replace(/\/$/, '').slice(1)
  if (path.includes('/')) return []

  const code = url.search === '' || url.search === '?' ? path : unnamedParameter(url.search)
  if (code === null || !isOpaqueCode(code)) return []

  return [
    {
      verdict: 'warn',
      reason: 'opaque_link',
      detail: `the address is only a ${code.length}-character code, which hides where it leads`,
    },
  ]
}

/** The value of a query that is one parameter named by nothing or a number (`?32=…`, `?…`). */
function unnamedParameter(search: string): string | null {
  const query = search.slice(1)
  if (query.includes('&')) return null
  const equals = query.indexOf('=')
  if (equals < 0) return query
  return /^[0-9]*$/.test(query.slice(0, equals)) ? query.slice(equals + 1) : null
}

function isOpaqueCode(code: string): boolean {
  if (code.length < OPAQUE_TOKEN_LENGTH || !/^[A-Za-z0-9_.=+-]+$/.test(code)) return false
  const digits = code.replace(/[^0-9]/g, '').length
  const letters = code.replace(/[^A-Za-z]/g, '').length
  const mixedCase = /[a-z]/.test(code) && /[A-Z]/.test(code)
  return digits >= 4 && letters >= 8 && mixedCase
}

/** Lengths of the keys shorteners hand out (`bit.ly/3xYzAbc`, `goo.gl/aB3dE`). */
const SHORT_CODE = /^[A-Za-z0-9]{5,12}$/

/** Words each of a capital and two or three lower-case letters, as in a handle (`JaneDoe`). */
const CAPITALISED_WORDS = /^(?:[A-Z][a-z]{2,3})+$/

/**
 * A link that is nothing but a short key of upper- and lower-case letters
 * and digits at the root of a site (`https://unknown.example/aCMcO6`): the
 * way every shortener addresses its links, and new shorteners and dynamic
 * QR-code services appear faster than any list of them. Like a listed
 * shortener, it hides where it leads. A key must mix all three kinds of
 * character and hold no run of four lower-case letters, so that paths with
 * a word or a name in them (`/Class3W`, `/Heidelind7`) do not count; nor
 * does a key that, its digits aside, is capitalised words (`/JaneDoe42`,
 * `/User123`), which is how people write the handles of their profile pages
 * and a random key seldom is. A protected brand's own short domain (`aka.ms`)
 * leads only to the brand's sites, as the shortener list's rule has it, and
 * does not count either.
 */
export const shortCodeLink: Heuristic = ({ url }, { brands }) => {
  if (url.search !== '' || url.hash !== '') return []
  const code = url.pathname.replace(/\/$/, '').slice(1)
  if (!SHORT_CODE.test(code) || /[a-z]{4}/.test(code)) return []
  if (!/[a-z]/.test(code) || !/[A-Z]/.test(code) || !/[0-9]/.test(code)) return []
  if (CAPITALISED_WORDS.test(code.replace(/[0-9]/g, ''))) return []
  if (underAny(url.hostname.toLowerCase(), SHORTENERS) !== null) return []
  if (brandOwning(url.hostname, brands) !== null) return []

  return [
    {
      verdict: 'warn',
      reason: 'short_code_link',
      detail: `the address is only the short code "${code}", the way link shorteners hide where a link leads`,
    },
  ]
}

/**
 * Whether two hosts are one organisation's under different suffixes
 * (`vercel.com`, `vercel.app`).
 */
function samePlatform(named: string, link: string): boolean {
  // The ICANN suffixes only: under them `x.vercel.app` belongs to vercel.app itself.
  const name = parse(named, { allowPrivateDomains: false }).domainWithoutSuffix
  return name !== null && name === parse(link, { allowPrivateDomains: false }).domainWithoutSuffix
}

/** Most characters of one parameter read for host names. */
const MAX_PARAMETER_TEXT = 2048

/**
 * A host name written in text: labels and a top-level domain, not part of an
 * address or a longer name.
 */
const HOST_IN_TEXT =
  /(?<![\p{L}\p{N}@._-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?![\p{L}\p{N}@-])/giu

/**
 * A host name on a platform where anyone can publish, or under an abused
 * top-level domain, written without a scheme into a link's parameters
 * (`/wp-login.php?login=pay-out.example.pages.dev%20-%20WITHDRAW%20FUNDS`):
 * phishers write their address into a genuine site's form (an account
 * name, an invoice note, a comment) so that the site's own notification
 * mail carries it to the victim, a practice mail-security vendors report
 * with PayPal invoices, Google Forms and WordPress sign-ups. Full URLs in a
 * parameter are already checked as possible destinations by the unwrapper,
 * so a host after `//` does not count; nor does a host on the link's own
 * platform under another suffix (`vercel.com` naming `app.vercel.app`), which
 * is a platform's dashboard naming a site it hosts.
 */
export const hostNamedInParameter: Heuristic = ({ url }, options) => {
  const own = parse(url.hostname)
  for (const [, value] of url.searchParams) {
    for (const match of value.slice(0, MAX_PARAMETER_TEXT).matchAll(HOST_IN_TEXT)) {
      if (value.slice(0, match.index).endsWith('//')) continue
      const host = match[0].toLowerCase()
      const parsed = parse(host)
      if (!parsed.domain || (!parsed.isIcann && !parsed.isPrivate)) continue
      if (parsed.domain === own.domain || samePlatform(host, url.hostname)) continue
      const bare = new URL(`https://${host}/`)
      const [place] = [
        ...sharedHosting({ raw: bare.href, url: bare }, options),
        ...abusedTld({ raw: bare.href, url: bare }, options),
      ]
      if (place === undefined) continue

      return [
        {
          verdict: 'warn',
          reason: 'host_named_in_parameter',
          detail: `a parameter of the link names ${host}, which the reader is meant to visit: ${place.detail}`,
        },
      ]
    }
  }
  return []
}
