/**
 * Peels the link wrappers of other products off a URL, so that the
 * destination inside is checked too.
 *
 * Alerts often arrive already rewritten by another gateway (Microsoft Safe
 * Links, Proofpoint URL Defense) or carry redirect links (Google, Outlook Web
 * App, click trackers with an open-redirect parameter). Each wrapper hides
 * the real destination; checking only the outer URL would judge the
 * wrapper's reputation, which is excellent by design.
 *
 * Unwrapping can only add findings: the outer URL is still checked as well,
 * and the verdict is the worst over all layers. So a decoder that is too
 * eager costs at most a warning, never a missed check.
 */

import { binaryToBytes } from './bytes.js'
import { parseWebUrl } from './url.js'

/** How one layer was taken out of the one before it. */
export type WrapperKind =
  | 'safelinks'
  | 'proofpoint_v1'
  | 'proofpoint_v2'
  | 'proofpoint_v3'
  | 'google_redirect'
  | 'outlook_redirect'
  | 'open_redirect'
  | 'redirect_param'
  | 'embedded_url'

export interface Layer {
  url: string
  /** The wrapper this layer was found inside; null for the link as authored. */
  via: WrapperKind | null
}

/**
 * Deepest nesting we follow. Real chains seldom exceed three (Safe Links
 * around Proofpoint around a tracker); the cap stops a crafted link that
 * wraps itself hundreds of times from costing work on every click.
 */
export const MAX_UNWRAP_DEPTH = 5

/** Longest URL we try to decode; longer inner values are ignored as absurd. */
const MAX_WRAPPED_LENGTH = 32_768

type Decoder = (url: URL) => string | null

interface Wrapper {
  kind: WrapperKind
  /** True when the host (lower-case ASCII) may carry this wrapper. */
  host: (host: string) => boolean
  decode: Decoder
}

/**
 * The layers of a URL, outermost first: the URL as authored, then each
 * destination found inside it, up to {@link MAX_UNWRAP_DEPTH} more.
 */
export function unwrapLayers(target: string, maxDepth = MAX_UNWRAP_DEPTH): Layer[] {
  const layers: Layer[] = [{ url: target, via: null }]
  const seen = new Set([target])

  let current = target
  for (let depth = 0; depth < maxDepth; depth++) {
    const inner = unwrapOnce(current)
    if (inner === null || seen.has(inner.url)) break

    layers.push(inner)
    seen.add(inner.url)
    current = inner.url
  }
  return layers
}

/** The destination directly inside a wrapped URL, or null when it is not a known wrapper. */
export function unwrapOnce(target: string): Layer | null {
  const url = parseWebUrl(target)
  if (!url) return null

  const host = url.hostname.toLowerCase().replace(/\.$/, '')
  for (const wrapper of WRAPPERS) {
    if (!wrapper.host(host)) continue

    const inner = wrapper.decode(url)
    if (inner !== null && inner.length <= MAX_WRAPPED_LENGTH && parseWebUrl(inner)) {
      return { url: inner, via: wrapper.kind }
    }
  }
  return null
}

/** `a.b.example` is `example`-rooted when it is `example` or ends in `.example`. */
function under(...domains: string[]): (host: string) => boolean {
  return (host) => domains.some((d) => host === d || host.endsWith(`.${d}`))
}

function param(url: URL, ...names: string[]): string | null {
  for (const name of names) {
    const value = url.searchParams.get(name)
    if (value) return value
  }
  return null
}

/**
 * Microsoft Defender for Office 365 Safe Links:
 * `https://eur01.safelinks.protection.outlook.com/?url=<percent-encoded>&data=…`.
 * The government clouds use `safelinks.protection.office365.us`; Teams uses a
 * static page with the same `url` parameter.
 */
const safeLinks: Wrapper = {
  kind: 'safelinks',
  host: under(
    'safelinks.protection.outlook.com',
    'safelinks.protection.office365.us',
    'safelinks.protection.outlook.de',
    'statics.teams.cdn.office.net',
  ),
  decode: (url) => param(url, 'url'),
}

/** Proofpoint v1: `https://urldefense.proofpoint.com/v1/url?u=<percent-encoded>&k=…`. */
function decodeProofpointV1(url: URL): string | null {
  if (!url.pathname.startsWith('/v1/')) return null
  return param(url, 'u')
}

/**
 * Proofpoint v2: `…/v2/url?u=<encoded>&d=…&c=…`, where the value is
 * percent-encoding with `-` in place of `%` and `_` in place of `/`
 * (Proofpoint's published URLDefenseDecode.py, `decode_v2`).
 */
function decodeProofpointV2(url: URL): string | null {
  if (!url.pathname.startsWith('/v2/')) return null

  const value = param(url, 'u')
  if (value === null) return null
  return safeDecodeURIComponent(value.replace(/-/g, '%').replace(/_/g, '/'))
}

/**
 * Proofpoint v3: `https://urldefense.com/v3/__<url>__;<base64url>!!<ids>$`.
 * The URL is kept almost as written, except that characters Proofpoint had
 * to encode are replaced by `*` (one character) or `**X` (a run whose length
 * X gives: A=2, B=3, … `_`=65), taken in order from the base64url-decoded
 * UTF-8 string after `__;` (Proofpoint's published decoder, `decode_v3`).
 */
export function decodeProofpointV3(wrapped: string): string | null {
  const match = /\/v3\/__(.+?)__;([A-Za-z0-9_-]*)!/.exec(wrapped)
  if (!match?.[1]) return null

  // The reference decoder percent-decodes before substituting (Python's lenient `unquote`).
  const encoded = safeDecodeURIComponent(match[1]) ?? match[1]
  const bytes = lenientBase64(match[2] ?? '')
  if (bytes === null) return null

  const replacements = [...new TextDecoder().decode(bytes)]
  let marker = 0
  let failed = false
  const url = encoded.replace(/\*(\*.)?/g, (token: string) => {
    const length = token === '*' ? 1 : runLength(token.charAt(2))
    if (length === null || marker + length > replacements.length) failed = true
    const run = replacements.slice(marker, marker + (length ?? 0)).join('')
    marker += length ?? 0
    return run
  })
  if (failed) return null

  // Proofpoint sometimes writes `https:/host`; the decoder restores the second slash.
  return url.replace(/^([a-z0-9+.-]+:\/)(?!\/)/i, '$1/')
}

const RUN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

function runLength(symbol: string): number | null {
  const index = RUN_ALPHABET.indexOf(symbol)
  return index < 0 ? null : index + 2
}

const proofpoint: Wrapper[] = [
  { kind: 'proofpoint_v1', host: under('urldefense.proofpoint.com'), decode: decodeProofpointV1 },
  { kind: 'proofpoint_v2', host: under('urldefense.proofpoint.com'), decode: decodeProofpointV2 },
  {
    kind: 'proofpoint_v3',
    host: under('urldefense.com', 'urldefense.proofpoint.com'),
    decode: (url) => decodeProofpointV3(url.href),
  },
]

/**
 * Google's redirect: `https://www.google.<tld>/url?q=<url>` (also `url=`),
 * as found in Google Docs, Calendar and Groups mail.
 */
const googleRedirect: Wrapper = {
  kind: 'google_redirect',
  host: (host) => /^(www\.)?google\.[a-z.]{2,6}$/.test(host),
  decode: (url) => (url.pathname === '/url' ? param(url, 'q', 'url') : null),
}

/** Outlook Web App's redirect page: `…/owa/redir.aspx?…&URL=<url>` on any Exchange host. */
const outlookRedirect: Wrapper = {
  kind: 'outlook_redirect',
  host: () => true,
  decode: (url) =>
    /\/owa\/redir\.aspx$/i.test(url.pathname) ? param(url, 'URL', 'url', 'Url') : null,
}

/**
 * Redirectors with a well-known open-redirect parameter. Phishing routes
 * through them so that the visible host is a famous one.
 */
const OPEN_REDIRECTS: { hosts: string[]; path: RegExp; decode: Decoder }[] = [
  // Bing click tracking: `u=a1` + base64url of the destination.
  { hosts: ['bing.com'], path: /^\/ck\/a$/, decode: bingTarget },
  {
    hosts: ['l.facebook.com', 'lm.facebook.com'],
    path: /^\/l\.php$/,
    decode: (u) => param(u, 'u'),
  },
  { hosts: ['l.instagram.com'], path: /^\/$/, decode: (u) => param(u, 'u') },
  { hosts: ['youtube.com'], path: /^\/redirect$/, decode: (u) => param(u, 'q') },
  { hosts: ['linkedin.com'], path: /^\/redir\/redirect$/, decode: (u) => param(u, 'url') },
  { hosts: ['slack-redir.net'], path: /^\/link$/, decode: (u) => param(u, 'url') },
  { hosts: ['t.umblr.com'], path: /^\/redirect$/, decode: (u) => param(u, 'z') },
  { hosts: ['away.vk.com'], path: /^\/away\.php$/, decode: (u) => param(u, 'to') },
  { hosts: ['googleadservices.com'], path: /^\/pagead\/aclk$/, decode: (u) => param(u, 'adurl') },
  { hosts: ['google.com'], path: /^\/amp\/s\/./, decode: googleAmpTarget },
  { hosts: ['ad.doubleclick.net'], path: /./, decode: doubleClickTarget },
]

const openRedirect: Wrapper = {
  kind: 'open_redirect',
  host: (host) => OPEN_REDIRECTS.some((r) => under(...r.hosts)(host)),
  decode: (url) => {
    const host = url.hostname.toLowerCase()
    for (const redirect of OPEN_REDIRECTS) {
      if (!under(...redirect.hosts)(host) || !redirect.path.test(url.pathname)) continue
      const inner = redirect.decode(url)
      if (inner !== null) return inner
    }
    return null
  },
}

function bingTarget(url: URL): string | null {
  const value = param(url, 'u')
  if (value === null || !value.startsWith('a1')) return null

  const bytes = lenientBase64(value.slice(2))
  return bytes === null ? null : new TextDecoder('utf-8', { fatal: false }).decode(bytes)
}

/** `https://www.google.com/amp/s/evil.example/x` stands for `https://evil.example/x`. */
function googleAmpTarget(url: URL): string | null {
  return `https://${url.pathname.slice('/amp/s/'.length)}${url.search}`
}

/** DoubleClick puts its parameters in the path, `;`-separated, the destination last. */
function doubleClickTarget(url: URL): string | null {
  const at = url.href.search(/[;?&]adurl=/i)
  if (at < 0) return null

  const value = url.href.slice(at).replace(/^[;?&]adurl=/i, '')
  return safeDecodeURIComponent(value)
}

/**
 * Base64 or base64url, padded or not. Unlike our token decoder this is not
 * strict: wrappers are written by other software and only need reading.
 */
function lenientBase64(text: string): Uint8Array | null {
  const clean = text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/')
  if (!/^[A-Za-z0-9+/]*$/.test(clean) || clean.length % 4 === 1) return null
  try {
    return binaryToBytes(atob(clean + '='.repeat((4 - (clean.length % 4)) % 4)))
  } catch {
    // Malformed base64: not the wrapper we took it for.
    return null
  }
}

function safeDecodeURIComponent(text: string): string | null {
  try {
    return decodeURIComponent(text)
  } catch {
    // A broken escape means this is not the wrapper we took it for.
    return null
  }
}

/**
 * Any other link that carries a full URL in a query parameter
 * (`…/click?url=https://…`, `…?returnurl=https://…`): click trackers and
 * unknown redirectors. Where the link really goes cannot be known without
 * following it, so the carried URL is checked as a possible destination.
 */
const embeddedUrl: Wrapper = {
  kind: 'embedded_url',
  host: () => true,
  decode: (url) => carriedUrl(url, () => true),
}

/**
 * Parameter names that by convention say "send the visitor here next"
 * (OWASP's Unvalidated Redirects and Forwards cheat sheet lists these
 * patterns). A full URL in one of them is a redirect, not just a mention.
 */
const REDIRECT_PARAMS = new Set([
  'url',
  'u',
  'redirect',
  'redirect_uri',
  'redirect_url',
  'redirecturl',
  'redir',
  'return',
  'returnurl',
  'return_url',
  'returnto',
  'next',
  'goto',
  'go',
  'target',
  'dest',
  'desturl',
  'destination',
  'continue',
  'out',
  'to',
  'link',
  'r',
])

const redirectParam: Wrapper = {
  kind: 'redirect_param',
  host: () => true,
  decode: (url) => carriedUrl(url, (name) => REDIRECT_PARAMS.has(name.toLowerCase())),
}

function carriedUrl(url: URL, named: (name: string) => boolean): string | null {
  for (const [name, value] of url.searchParams) {
    if (named(name) && /^https?:\/\/[^/?#\s]+/i.test(value)) return value
  }
  return null
}

const WRAPPERS: readonly Wrapper[] = [
  safeLinks,
  ...proofpoint,
  googleRedirect,
  outlookRedirect,
  openRedirect,
  redirectParam,
  embeddedUrl,
]
