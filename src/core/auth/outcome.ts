/**
 * Assembles the recorded `MessageAuth` from either source, and turns it into
 * the statements of the Authentication-Results header we add.
 */

import type { ResInfoOut } from './auth-results.js'
import { type HeaderBlock, fromDomains } from './header-block.js'
import { sameOrganisation } from './policy.js'
import type { RelayResults } from './relay.js'
import type { ConnectionFacts, MessageAuth, VerifiedAuth } from './types.js'

/** The result of our own verification, with our own reading of the From field. */
export function verifiedAuth(
  verified: VerifiedAuth,
  block: HeaderBlock,
  authservId: string,
  now: number,
): MessageAuth {
  const ours = fromDomains(block)
  const notes = sameSet(ours, verified.fromDomains) ? [] : ['from_mismatch']
  return {
    source: 'verified',
    authservId,
    fromDomains: ours,
    dkim: verified.dkim,
    spf: verified.spf,
    dmarc: verified.dmarc,
    arc: verified.arc,
    arcOverride: null,
    notes,
    checkedAt: now,
  }
}

/** The relay's results; its DMARC verdict must concern the From domain we read. */
export function relayAuth(relay: RelayResults, block: HeaderBlock, now: number): MessageAuth {
  const ours = fromDomains(block)
  const notes = [...relay.notes]
  const dmarcDomain = relay.dmarc?.domain
  if (dmarcDomain && ours.length === 1 && !sameOrganisation(dmarcDomain, ours[0] ?? '')) {
    notes.push('from_mismatch')
  }

  return {
    source: 'relay',
    authservId: relay.authservId ?? '',
    fromDomains: ours,
    dkim: relay.dkim,
    spf: relay.spf,
    dmarc: relay.dmarc,
    arc: relay.arc === null ? null : { ...NO_CHAIN, result: relay.arc },
    arcOverride: null,
    notes,
    checkedAt: now,
  }
}

const NO_CHAIN = { instance: 0, sealer: null, sealerDmarc: null, sealable: false }

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a)
  const right = new Set(b)
  return left.size === right.size && [...left].every((item) => right.has(item))
}

/**
 * The statements of our Authentication-Results header. Results the relay
 * reported say so in a comment; with no trustworthy results there are none,
 * and the header says `none`.
 */
export function statementsOf(auth: MessageAuth, facts: ConnectionFacts | null): ResInfoOut[] {
  if (auth.source === 'relay' && auth.authservId === '') return []
  const via = auth.source === 'relay' ? `reported by ${auth.authservId}` : undefined
  const out: ResInfoOut[] = []

  const dkim = auth.dkim.length > 0 ? auth.dkim : [{ result: 'none', domain: null, selector: null }]
  for (const d of dkim) {
    out.push({
      method: 'dkim',
      result: d.result,
      comment: via,
      props: [
        ['header.d', d.domain],
        ['header.s', d.selector],
      ],
    })
  }

  if (auth.spf) {
    const mailFrom = facts?.mailFrom ? facts.mailFrom : auth.spf.domain
    const props: [string, string | null][] = [['smtp.mailfrom', mailFrom]]
    if (facts?.helo) props.push(['smtp.helo', facts.helo])
    out.push({ method: 'spf', result: auth.spf.result, comment: via, props })
  }

  if (auth.dmarc) out.push(dmarcStatement(auth, via))
  const arcVia = auth.notes.includes('arc_verified_here') ? undefined : via
  if (auth.arc) out.push({ method: 'arc', result: auth.arc.result, comment: arcVia })
  return out
}

function dmarcStatement(auth: MessageAuth, via: string | undefined): ResInfoOut {
  const dmarc = auth.dmarc ?? { result: 'none', domain: null, policy: null }
  const policy = dmarc.policy && /^[a-z]+$/i.test(dmarc.policy) ? `p=${dmarc.policy}` : null
  const override = auth.arcOverride ? `overridden by the ARC seal of ${auth.arcOverride}` : null
  const comment = [via, policy, override].filter((part) => part).join(', ')

  return {
    method: 'dmarc',
    result: dmarc.result,
    comment: comment || undefined,
    props: [['header.from', dmarc.domain ?? auth.fromDomains[0] ?? null]],
  }
}
