/**
 * Turns an authentication result into message-level findings. Only ever
 * adds warnings: a message that passes earns its links nothing, because a
 * genuine mailbox can send a malicious link (the 2024 abuse of a real
 * Microsoft alert mailbox passed DKIM and DMARC). Its links are checked at
 * the click like any others.
 */

import { getDomain } from 'tldts'

import { type Brand, brandOwning } from '../brands.js'
import type { MessageFinding } from '../store.js'
import type { MessageAuth } from './types.js'

export interface AuthPolicyOptions {
  brands: readonly Brand[]
  /**
   * ARC sealers (d= of the newest ARC-Seal) whose recorded DMARC pass may
   * stand in for a DMARC failure caused by their own changes (RFC 8617
   * section 7.2). A listed domain covers its subdomains.
   */
  trustedArcSealers: readonly string[]
}

/** The source every finding here carries. */
export const AUTH_SOURCE = 'auth'

/**
 * RFC 8617 section 7.2: when DMARC failed but the chain passed and its
 * newest sealer is one we trust and recorded a DMARC pass for the same From
 * domain, the failure is the forwarder's doing. Returns the sealer, or null.
 */
export function arcOverride(auth: MessageAuth, trusted: readonly string[]): string | null {
  const { arc, dmarc } = auth
  if (dmarc?.result !== 'fail' || arc?.result !== 'pass' || !arc.sealer) return null

  const sealer = arc.sealer
  const isTrusted = trusted.some((d) => sealer === d || sealer.endsWith(`.${d}`))
  const recorded = arc.sealerDmarc
  if (!isTrusted || recorded?.result !== 'pass' || !recorded.domain) return null

  const from = auth.fromDomains.length === 1 ? auth.fromDomains[0] : ''
  return sameOrganisation(recorded.domain, from) ? sealer : null
}

/** The message-level findings for one result. */
export function authFindings(
  auth: MessageAuth,
  options: AuthPolicyOptions,
  now: number,
): MessageFinding[] {
  const finding = (reason: string, detail: string): MessageFinding => ({
    verdict: 'warn',
    reason,
    source: AUTH_SOURCE,
    checkedAt: now,
    detail,
  })
  const findings: MessageFinding[] = []

  if (auth.notes.includes('relay_results_conflict')) {
    findings.push(finding('auth_results_conflict', CONFLICT_DETAIL))
  }
  const ambiguity = fromAmbiguity(auth)
  if (ambiguity) findings.push(finding('from_ambiguous', ambiguity))

  const [from = ''] = auth.fromDomains
  const dmarcFailed = auth.dmarc?.result === 'fail' && auth.arcOverride === null
  if (dmarcFailed) {
    const domain = auth.dmarc?.domain ?? from
    findings.push(finding('dmarc_fail', dmarcDetail(domain, brandOwning(domain, options.brands))))
  }

  // A DMARC failure already says the sender is forged; the brand finding covers the rest.
  for (const domain of dmarcFailed ? [] : new Set(auth.fromDomains)) {
    const brand = domain ? brandOwning(domain, options.brands) : null
    if (brand && !authenticated(auth, domain)) {
      findings.push(finding('brand_not_authenticated', brandDetail(brand, domain)))
    }
  }
  return findings
}

const CONFLICT_DETAIL =
  'The message carries contradicting authentication results in the name of your mail relay, ' +
  'so at least one of them is forged and none can be trusted.'

function fromAmbiguity(auth: MessageAuth): string | null {
  if (auth.notes.includes('from_mismatch')) {
    return 'The sender address is written so that different programs read different domains in it, a trick to pass authentication as one sender and display another.'
  }
  if (auth.fromDomains.length === 0 || auth.fromDomains.includes('')) {
    return 'The message has no usable sender (From) address, so its sender cannot be authenticated.'
  }
  if (auth.fromDomains.length > 1) {
    // RFC 7489 section 6.6.1: DMARC cannot evaluate a message with several From domains.
    return `The message names ${auth.fromDomains.length} senders (From addresses), so it cannot be authenticated as any one of them.`
  }
  return null
}

function dmarcDetail(domain: string, brand: Brand | null): string {
  const sender = brand ? `${brand.name} (${domain})` : domain
  return `The message claims to come from ${sender}, but it failed that domain's sender authentication (DMARC): the sender address is probably forged.`
}

function brandDetail(brand: Brand, domain: string): string {
  return `The message claims to come from ${brand.name} (${domain}), but it could not be authenticated as coming from ${brand.name}.`
}

/**
 * DMARC's answer when there is one; otherwise DMARC's own test (RFC 7489
 * section 3.1): a DKIM or SPF pass for a domain aligned with the From domain.
 */
export function authenticated(auth: MessageAuth, fromDomain: string): boolean {
  if (auth.arcOverride !== null) return true
  if (auth.dmarc?.result === 'pass') {
    // A pass without header.from vouches for the one From domain there is, never for several.
    const { domain } = auth.dmarc
    return domain === null ? auth.fromDomains.length === 1 : sameOrganisation(domain, fromDomain)
  }
  if (auth.dmarc?.result === 'fail') return false

  const dkimAligned = auth.dkim.some(
    (d) => d.result === 'pass' && sameOrganisation(d.domain ?? '', fromDomain),
  )
  const spfAligned =
    auth.spf?.result === 'pass' && sameOrganisation(auth.spf.domain ?? '', fromDomain)
  return dkimAligned || spfAligned
}

/** RFC 7489 section 3.2 relaxed alignment: the same organisational domain. */
export function sameOrganisation(a: string, b: string): boolean {
  if (a === '' || b === '') return false
  const orgA = getDomain(a) ?? a
  const orgB = getDomain(b) ?? b
  return orgA.toLowerCase() === orgB.toLowerCase()
}
