/**
 * Decides, for one link value found in a message, whether it is rewritten
 * and to which target, or skipped and why. Skip reasons are stable codes
 * that appear in the rewrite summary.
 */

import {
  UNSAFE_SCHEMES,
  WEB_SCHEMES,
  cleanHref,
  parseWebUrl,
  schemeOf,
  tryParseUrl,
} from '../url.js'
import { MAX_URL_LENGTH } from './limits.js'
import { encodeQueryFor } from './url-encoding.js'

export type SkipReason =
  | 'empty'
  | 'fragment_only'
  | 'non_web_scheme'
  | 'unsafe_scheme'
  | 'relative_without_base'
  | 'schemeless_text'
  | 'own_link'
  | 'no_rewrite_host'
  | 'url_too_long'

export type Decision = { rewrite: true; target: string } | { rewrite: false; reason: SkipReason }

export { MAX_URL_LENGTH } from './limits.js'

export interface ClassifyOptions {
  /** Our public base URL: links under `<base>/r/` are ours and stay as they are. */
  baseUrl: URL
  /** Hosts never rewritten; `*.example.com` covers subdomains only, `example.com` the host only. */
  noRewriteHosts: readonly string[]
  /** Longest target rewritten; longer ones are skipped as `url_too_long`. Default MAX_URL_LENGTH. */
  maxUrlLength?: number
}

/**
 * Classifies an href value that is already character-decoded. `urlEncoding`
 * is the document's encoding: a non-ASCII query is percent-encoded in it, as
 * a browser requests it (WHATWG URL, query state).
 */
export function classifyHref(
  value: string,
  base: string | null,
  options: ClassifyOptions,
  urlEncoding = 'utf-8',
): Decision {
  const decision = classifyValue(value, base, options)
  if (!decision.rewrite || urlEncoding === 'utf-8') return decision
  return { rewrite: true, target: encodeQueryFor(decision.target, urlEncoding) }
}

function classifyValue(value: string, base: string | null, options: ClassifyOptions): Decision {
  const href = cleanHref(value)
  const baseUrl = base === null ? null : tryParseUrl(cleanHref(base))

  // With a base, every href, even an empty one or a bare fragment, is resolved
  // against it as a browser does (HTML §4.2.3): `#top` then leads to the base
  // document and `http:foo` to a path under it, so the base decides the target.
  const resolved = baseUrl === null ? null : tryParseUrl(href, baseUrl.href)
  if (resolved !== null) return classifyResolved(href, resolved, options)

  if (href === '') return { rewrite: false, reason: 'empty' }
  if (href.startsWith('#')) return { rewrite: false, reason: 'fragment_only' }

  const scheme = schemeOf(href)
  if (scheme !== null && !WEB_SCHEMES.has(scheme)) return schemeSkip(scheme)
  if (scheme !== null) return checkTarget(href, options)

  // A network-path reference (`//host/path`) names a host even without a base;
  // mail clients open it over https, and we must not let it through unchecked.
  // The URL parser reads `\` as `/` in web URLs, so `\\host` and `/\host` count too.
  if (/^[/\\]{2}/.test(href)) {
    const resolved = tryParseUrl(href, NETWORK_PATH_BASE)
    if (resolved && resolved.hostname !== 'base.invalid') return checkTarget(resolved.href, options)
  }
  return { rewrite: false, reason: 'relative_without_base' }
}

/** Stands in for a document base when only the scheme matters (RFC 6761 reserves `.invalid`). */
const NETWORK_PATH_BASE = 'https://base.invalid/'

/** A link resolved against the base: judged by its own scheme, kept as authored when that is the same URL. */
function classifyResolved(href: string, resolved: URL, options: ClassifyOptions): Decision {
  const scheme = resolved.protocol.slice(0, -1)
  if (!WEB_SCHEMES.has(scheme)) return schemeSkip(scheme)

  const standalone = /^https?:\/\//i.test(href) ? tryParseUrl(href) : null
  return checkTarget(standalone?.href === resolved.href ? href : resolved.href, options)
}

function schemeSkip(scheme: string): Decision {
  return { rewrite: false, reason: isUnsafeScheme(scheme) ? 'unsafe_scheme' : 'non_web_scheme' }
}

/**
 * Schemes that run code, carry content inline, or hand a URL to a local
 * program (Office protocol handlers, `search-ms:`, `ms-msdt:` as in
 * CVE-2022-30190, `file:` shares that leak NTLM credentials). They never
 * reach our resolver, so they mark the whole message instead.
 */
function isUnsafeScheme(scheme: string): boolean {
  return UNSAFE_SCHEMES.has(scheme) || scheme.startsWith('ms-')
}

/** Classifies a URL found in plain text. */
export function classifyTextUrl(
  text: string,
  hasScheme: boolean,
  options: ClassifyOptions,
): Decision {
  if (hasScheme) return checkTarget(text, options)

  // Mail clients turn `www.` into a link, so we must too; bare domains they mostly leave as text.
  if (/^www\./i.test(text)) return checkTarget(`http://${text}`, options)
  return { rewrite: false, reason: 'schemeless_text' }
}

function checkTarget(target: string, options: ClassifyOptions): Decision {
  if (target.length > (options.maxUrlLength ?? MAX_URL_LENGTH))
    return { rewrite: false, reason: 'url_too_long' }

  const url = parseWebUrl(target)
  if (url && isOwnLink(url, options.baseUrl)) return { rewrite: false, reason: 'own_link' }
  if (url && isNoRewriteHost(url.hostname, options.noRewriteHosts)) {
    return { rewrite: false, reason: 'no_rewrite_host' }
  }

  // A web link we cannot parse is still rewritten: the resolver warns on it,
  // which beats letting an unjudged link through.
  return { rewrite: true, target }
}

/**
 * Only the exact shape we write, `<base>/r/<token>`, is ours to skip. Other
 * addresses under `/r/` are never in a message we wrote: a ready-made form
 * posting to `/r/<token>/go` (our pages' "continue") would take a reader
 * past the warning that link gets, so it is wrapped like any other target.
 */
function isOwnLink(url: URL, base: URL): boolean {
  const prefix = base.pathname.replace(/\/$/, '') + '/r/'
  if (url.origin !== base.origin || !url.pathname.startsWith(prefix)) return false
  return /^[A-Za-z0-9_-]+$/.test(url.pathname.slice(prefix.length))
}

/** Matches the host against `host` and `*.parent` entries (already lower-case ASCII). */
export function isNoRewriteHost(hostname: string, patterns: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '')

  return patterns.some((pattern) =>
    pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern,
  )
}
