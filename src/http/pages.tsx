/**
 * Turns a decision into the page data the views take. Views stay free of
 * parsing and policy; this is the only place that prepares what they show.
 */

import { toUnicode } from 'punycode/punycode.es6.js'

import { isMixedScript } from '../core/heuristics/brand.js'
import { parseWebUrl, splitHost } from '../core/url.js'
import type { Decision, Finding } from '../core/verdict/types.js'
import type { DestinationParts } from '../../views/destination.js'
import type { Reason } from '../../views/reasons.js'

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
    unicodeHost: differs ? unicodeHost : null,
    mixedScript: differs && unicodeHost.split('.').some(isMixedScript),
  }
}

/** One sentence per stable code; the finding's own detail adds the specifics. */
const REASON_TEXT: Record<string, string> = {
  admin_block: 'Your organisation has blocked this site.',
  admin_allow: 'Your organisation allows this site.',
  not_http: 'This link does not lead to a web page.',
  script_link_in_message:
    'The message this link came from also contains a link that runs a script or carries hidden content, a common phishing trick.',
  long_link_in_message:
    'The message this link came from also contains a link too long to be checked, a trick to get it past filters.',
  unreadable_part_in_message:
    'The message this link came from hides part of its content behind an invalid encoding, a trick to get links past filters; those links could not be checked.',
  sender_name_brand_mismatch:
    'The message this link came from puts a well-known brand’s name on its sender, but was sent from an address that does not belong to that brand.',
  sender_name_shows_other_address:
    'The message this link came from shows an email address as its sender’s name, but was really sent from another address.',
  unparseable_url: 'This link is damaged or malformed, so its destination cannot be checked.',
  ip_host: 'This link goes to a bare network address instead of a named site.',
  ip_host_obfuscated: 'This link hides a network address in a disguised spelling.',
  userinfo: 'This link carries a user name before the site name.',
  userinfo_disguise: 'This link puts a fake site name in front of the real one.',
  brand_lookalike: 'The site name imitates a well-known brand with look-alike characters.',
  mixed_script_host: 'The site name mixes alphabets, a way to imitate another name.',
  brand_in_subdomain: 'The site name starts with a well-known brand it does not belong to.',
  brand_in_domain: 'The site uses a well-known brand’s name but does not belong to it.',
  brand_in_path: 'A sign-in page on this site is named after a brand it does not belong to.',
  address_hidden_in_link:
    'This link carries an email address in hidden form, the way phishing kits personalise a fake sign-in page.',
  url_shortener: 'This link hides its destination behind a link shortener.',
  shared_hosting: 'This page is on a hosting service where anyone can publish.',
  url_absurd_length: 'This link is far longer than any real address.',
  url_obfuscated_encoding: 'Parts of this link are encoded to hide what they say.',
  link_text_mismatch: 'The link text shows one site, but the link goes to another.',
  link_text_brand_mismatch:
    'The link text shows a well-known brand’s site, but the link goes somewhere else.',
  open_redirect: 'The link passes through another site’s redirector to hide where it goes.',
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
