/**
 * Turns a decision into the page data the views take. Views stay free of
 * parsing and policy; this is the only place that prepares what they show.
 */

import { toUnicode } from 'punycode/punycode.es6.js'
import { parse } from 'tldts'

import { isMixedScript } from '../core/heuristics/brand.js'
import type { Layer, WrapperKind } from '../core/unwrap.js'
import { locationFor, parseWebUrl, splitHost } from '../core/url.js'
import type { Decision, Finding } from '../core/verdict/types.js'
import type { DestinationParts } from '../../views/destination.js'
import type { ChainStep, Reason } from '../../views/reasons.js'
import type { Route, RouteStep } from '../../views/route.js'

export function destinationParts(target: string): DestinationParts | null {
  const url = parseWebUrl(target)
  if (!url) return null

  const host = splitHost(url.hostname)
  const userinfo =
    url.username || url.password ? `${url.username}${url.password ? ':' + url.password : ''}@` : ''
  const port = url.port ? `:${url.port}` : ''
  const unicodeHost = toUnicode(url.hostname)
  const differs = unicodeHost !== url.hostname

  return {
    scheme: `${url.protocol}//`,
    userinfo,
    hostBefore: host.before,
    domain: host.domain,
    hostAfter: host.after,
    rest: port + url.pathname + url.search + url.hash,
    hostLabel: hostLabelOf(url.hostname),
    unicodeHost: differs ? unicodeHost : null,
    mixedScript: differs && unicodeHost.split('.').some(isMixedScript),
  }
}

/**
 * What the highlighted part is. The public suffix list gives the name that
 * was registered, which says nothing about who runs the site; an address or
 * a name with no registrable part is called what it is.
 */
function hostLabelOf(hostname: string): DestinationParts['hostLabel'] {
  const parsed = parse(hostname, { allowPrivateDomains: true })
  if (parsed.isIp || hostname.startsWith('[')) return 'IP address'
  return parsed.domain ? 'Registered domain' : 'Host name'
}

/**
 * What each wrapper is called on our pages. A known wrapper's decoding is
 * exact; a redirect parameter on any other site only says where that site
 * is asked to send the reader, which the page must not state as fact.
 */
const WRAPPER_NAMES: Record<Exclude<WrapperKind, 'embedded_url'>, string> = {
  safelinks: 'Microsoft Safe Links',
  proofpoint_v1: 'Proofpoint URL Defense',
  proofpoint_v2: 'Proofpoint URL Defense',
  proofpoint_v3: 'Proofpoint URL Defense',
  google_redirect: 'Google’s redirect page',
  outlook_redirect: 'Outlook Web App’s redirect page',
  open_redirect: 'a redirector',
  redirect_param: 'a page that is given the next address in its link',
}

/**
 * Where the link leads as far as its address shows, and what it passes
 * through: the innermost layer reached through wrappers and redirects. A
 * URL merely carried in a query parameter (`embedded_url`) is checked, but
 * nothing says the link goes there, so the route stops before it.
 */
export function routeOf(layers: readonly Layer[], target: string): Route {
  const steps: RouteStep[] = []
  let destination = target
  for (let i = 1; i < layers.length; i++) {
    const layer = layers[i]
    const outer = layers[i - 1]
    if (!layer || !outer || layer.via === null || layer.via === 'embedded_url') break
    steps.push({ host: hostOf(outer.url), name: WRAPPER_NAMES[layer.via] })
    destination = layer.url
  }
  const inferred = layers.slice(1, steps.length + 1).some((l) => l.via === 'redirect_param')
  return { destination, parts: destinationParts(destination), through: steps, inferred }
}

/** The layers as the chain on the page shows them, each with how it came out of the one before. */
export function chainOf(layers: readonly Layer[]): ChainStep[] {
  return layers.map((layer) => ({ url: layer.url, how: howFound(layer.via) }))
}

function howFound(via: WrapperKind | null): string | null {
  if (via === null) return null
  if (via === 'embedded_url') {
    return 'carried in the address before it; checked too, though the link may not lead there'
  }
  if (via === 'redirect_param') return 'given in the address before it as where to send the reader'
  return `where ${WRAPPER_NAMES[via]} sends the reader`
}

/**
 * The button's words name where it goes, never the wrapper as if it were
 * the destination: "Continue to paypa1.com through www.google.com" when it
 * opens the link as authored, the destination alone when policy unwraps.
 */
export function continueLabel(
  route: Route,
  location: string,
  target: string,
  verb: 'Continue' | 'Open' = 'Continue',
): string {
  const opensAuthored = location === locationFor(target)
  const to = opensAuthored ? route.parts?.domain : destinationParts(location)?.domain
  const outer = route.through[0]
  const via = opensAuthored && outer ? ` through ${outer.host}` : ''
  return `${verb} to ${to ?? 'the site'}${via}`
}

function hostOf(url: string): string {
  return parseWebUrl(url)?.hostname ?? url
}

/** One sentence per stable code; the finding's own detail adds the specifics. */
const REASON_TEXT: Record<string, string> = {
  admin_block: 'Your organisation has a rule that blocks this address.',
  admin_allow: 'Your organisation allows this site.',
  not_http: 'This link does not lead to a web page.',
  script_link_in_message:
    'The message this link came from also contains a link that runs a script, carries its content inline or opens a program (such as javascript: or data:), which cannot be checked like a web address.',
  long_link_in_message:
    'The message this link came from also contains a link too long to be checked, which was left as it was.',
  unreadable_part_in_message:
    'The message this link came from has a part in an encoding that could not be read, so any links in that part could not be checked.',
  sender_name_brand_mismatch:
    'The message this link came from puts a well-known brand’s name on its sender, but the address in its From header is not at one of that brand’s domains.',
  sender_name_shows_other_address:
    'The message this link came from shows an email address as its sender’s name, but the address in its From header is at another organisation.',
  unparseable_url: 'This link is not a valid web address, so it can be neither checked nor opened.',
  ip_host: 'This link goes to a bare network address instead of a named site.',
  ip_host_obfuscated: 'This link hides a network address in a disguised spelling.',
  userinfo: 'This link carries a user name before the site name.',
  userinfo_disguise: 'This link puts a fake site name in front of the real one.',
  brand_lookalike:
    'The site name reads as a well-known brand’s name, spelt with look-alike characters.',
  mixed_script_host: 'The site name mixes alphabets, a way to imitate another name.',
  brand_in_subdomain:
    'The site name starts with a well-known brand’s name, on a domain that is not one of the brand’s.',
  brand_in_domain:
    'The site name contains a well-known brand’s name, on a domain that is not one of the brand’s.',
  brand_in_path:
    'The address looks like a sign-in page named after a well-known brand, on a domain that is not one of the brand’s.',
  address_hidden_in_link:
    'This link carries an email address in hidden form, the way phishing kits personalise a fake sign-in page.',
  url_shortener: 'This link hides its destination behind a link shortener.',
  shared_hosting: 'This page is on a hosting service where anyone can publish.',
  url_absurd_length: 'This link is far longer than any real address.',
  url_obfuscated_encoding: 'Parts of this link are encoded in a way that hides what they say.',
  link_text_mismatch: 'The link text shows one site, but the link goes to another.',
  link_text_brand_mismatch:
    'The link text shows a well-known brand’s site, but the link goes somewhere else.',
  open_redirect:
    'The link’s address tells one site where to send the reader next, so the site name at its start may not be where it ends.',
}

export function reasonsOf(decision: Decision): Reason[] {
  const relevant = decision.findings.filter((f) => f.verdict !== 'allow')
  return relevant.map(reasonOf)
}

function reasonOf(finding: Finding): Reason {
  const text = REASON_TEXT[finding.reason]
  return {
    code: finding.reason,
    text: text ?? finding.detail ?? 'This link needs a closer look.',
    detail: text && finding.detail ? finding.detail : null,
    source: finding.source,
    checkedAt: new Date(finding.checkedAt).toISOString(),
    layer: finding.layer ?? null,
    ...(finding.evidence?.length ? { evidence: finding.evidence } : {}),
  }
}
