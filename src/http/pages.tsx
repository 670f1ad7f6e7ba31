/**
 * Turns a decision into the page data the views take. Views stay free of
 * parsing and policy; this is the only place that prepares what they show.
 */

import { toUnicode } from 'punycode/punycode.es6.js'

import { parseWebUrl, splitHost } from '../core/url.js'
import type { Decision, Finding } from '../core/verdict/types.js'
import type { DestinationParts } from '../../views/destination.js'
import type { Reason } from '../../views/warning.js'

export function destinationParts(target: string): DestinationParts | null {
  const url = parseWebUrl(target)
  if (!url) return null

  const host = splitHost(url.hostname)
  const userinfo =
    url.username || url.password ? `${url.username}${url.password ? ':' + url.password : ''}@` : ''
  const port = url.port ? `:${url.port}` : ''
  const unicodeHost = toUnicode(url.hostname)

  return {
    scheme: `${url.protocol}//`,
    userinfo,
    hostBefore: host.before,
    domain: host.domain,
    hostAfter: host.after,
    rest: port + url.pathname + url.search + url.hash,
    unicodeHost: unicodeHost === url.hostname ? null : unicodeHost,
  }
}

const REASON_TEXT: Record<string, string> = {
  admin_block: 'Your organisation has blocked this site.',
  not_http: 'This link does not lead to a web page.',
  script_link_in_message:
    'The message this link came from also contains a link that runs a script or carries hidden content, a common phishing trick.',
  unparseable_url: 'This link is damaged or malformed, so its destination cannot be checked.',
}

export function reasonsOf(decision: Decision): Reason[] {
  const relevant = decision.findings.filter((f) => f.verdict !== 'allow')
  return relevant.map((finding) => ({
    code: finding.reason,
    text: reasonText(finding),
    ...(finding.evidence?.length ? { evidence: finding.evidence } : {}),
  }))
}

function reasonText(finding: Finding): string {
  return REASON_TEXT[finding.reason] ?? finding.detail ?? 'This link needs a closer look.'
}
