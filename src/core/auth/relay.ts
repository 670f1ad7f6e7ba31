/**
 * Results from a trusted relay's Authentication-Results header fields.
 *
 * RFC 8601 section 5: a consumer only trusts fields carrying the authserv-id
 * of its own border MTA, and that MTA removes any such field arriving from
 * outside. Everything else (the sender's own claims, other hops' results) is
 * ignored. Because a relay that fails to strip would let a forged field
 * through, and a forged field can sit above or below the genuine one,
 * position is not trusted either: the relay's statements are merged, and
 * when two of them disagree about the same thing, none is believed.
 */

import { type ResInfo, parseAuthResults } from './auth-results.js'
import { type HeaderBlock, asciiDomain, domainOf, fieldValues } from './header-block.js'
import type { DkimOutcome, DmarcOutcome, SpfOutcome } from './types.js'

/** Most Authentication-Results fields examined; a flood of them is itself suspicious. */
export const MAX_AUTH_RESULTS_FIELDS = 100

export interface RelayResults {
  /** The relay's authserv-id as configured, when its fields were found and agree. */
  authservId: string | null
  dkim: DkimOutcome[]
  spf: SpfOutcome | null
  dmarc: DmarcOutcome | null
  arc: string | null
  /** `relay_results_missing`, `relay_results_conflict`, `untrusted_results_ignored`. */
  notes: string[]
}

/**
 * Reads the results of the first configured relay id that appears in the
 * block. `trusted` holds authserv-ids, compared case-insensitively.
 */
export function relayResults(block: HeaderBlock, trusted: readonly string[]): RelayResults {
  const wanted = new Set(trusted.map((id) => id.toLowerCase()))
  const parsed = fieldValues(block, 'authentication-results')
    .slice(0, MAX_AUTH_RESULTS_FIELDS)
    .map((value) => parseAuthResults(value))
  const ours = parsed.filter((p) => p !== null && wanted.has(p.authservId.toLowerCase()))
  const empty: RelayResults = {
    authservId: null,
    dkim: [],
    spf: null,
    dmarc: null,
    arc: null,
    notes: [],
  }

  if (parsed.length > ours.length) empty.notes.push('untrusted_results_ignored')
  const first = ours[0]
  if (first === undefined || first === null) {
    return { ...empty, notes: [...empty.notes, 'relay_results_missing'] }
  }

  const statements = ours.flatMap((p) => p?.results ?? [])
  if (hasConflict(statements))
    return { ...empty, notes: [...empty.notes, 'relay_results_conflict'] }

  return { ...collect(statements), authservId: first.authservId, notes: empty.notes }
}

/** What each statement is about: the same key must not carry two results. */
function subjectOf(info: ResInfo): string | null {
  const p = info.props
  switch (info.method) {
    case 'dmarc':
    case 'arc':
      return info.method
    case 'spf':
      return `spf:${p['smtp.mailfrom'] ?? ''}:${p['smtp.helo'] ?? ''}`
    case 'dkim':
      return `dkim:${p['header.d'] ?? domainOf(p['header.i'] ?? '')}:${p['header.s'] ?? ''}:${p['header.b'] ?? ''}`
    default:
      return null
  }
}

function hasConflict(statements: readonly ResInfo[]): boolean {
  const seen = new Map<string, string>()
  for (const info of statements) {
    const subject = subjectOf(info)
    if (subject === null) continue
    const earlier = seen.get(subject)
    if (earlier !== undefined && earlier !== info.result) return true
    seen.set(subject, info.result)
  }
  return false
}

function collect(statements: readonly ResInfo[]) {
  const dkim = statements
    .filter((info) => info.method === 'dkim')
    .map((info) => ({
      result: info.result,
      domain: asciiDomain(info.props['header.d'] ?? domainOf(info.props['header.i'] ?? '')) || null,
      selector: info.props['header.s'] ?? null,
    }))

  const spfInfo = statements.find((info) => info.method === 'spf')
  const spf = spfInfo ? { result: spfInfo.result, domain: spfDomain(spfInfo) } : null

  const dmarcInfo = statements.find((info) => info.method === 'dmarc')
  const dmarc = dmarcInfo
    ? {
        result: dmarcInfo.result,
        domain: asciiDomain(dmarcInfo.props['header.from'] ?? '') || null,
        policy: dmarcInfo.props['policy.dmarc'] ?? null,
      }
    : null

  const arc = statements.find((info) => info.method === 'arc')?.result ?? null
  return { dkim, spf, dmarc, arc }
}

/** RFC 7208 section 2.4: the MAIL FROM domain, or the HELO name for the null sender. */
function spfDomain(info: ResInfo): string | null {
  const mailFrom = info.props['smtp.mailfrom']
  const domain = mailFrom ? domainOf(mailFrom) || mailFrom : (info.props['smtp.helo'] ?? '')
  return asciiDomain(domain) || null
}
