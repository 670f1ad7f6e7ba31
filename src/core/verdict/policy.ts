/**
 * Combines findings into one verdict, in a fixed precedence:
 * an admin block wins; then an admin allow (unless configured otherwise);
 * then the worst of every other finding. A pending finding counts as a
 * warning, because a link we could not finish judging is never waved through.
 */

import type { Decision, Finding, Verdict } from './types.js'

export interface PolicyOptions {
  /** An admin allow rule overrides every non-admin finding. Default true. */
  allowOverrides: boolean
}

const SEVERITY: Record<Verdict, number> = { allow: 0, pending: 1, warn: 2, block: 3 }

export function decide(findings: Finding[], options: PolicyOptions): Decision {
  // The usual click: nothing found anywhere.
  if (findings.length === 0) return { verdict: 'allow', decisive: null, findings, overridden: [] }

  const adminBlock = findings.find((f) => f.source === 'rules' && f.verdict === 'block')
  if (adminBlock) return { verdict: 'block', decisive: adminBlock, findings, overridden: [] }

  const others = findings.filter((f) => f.source !== 'rules')
  const adminAllow = findings.find((f) => f.source === 'rules' && f.verdict === 'allow')
  if (adminAllow && options.allowOverrides) {
    const overridden = others.filter((f) => f.verdict !== 'allow')
    return { verdict: 'allow', decisive: adminAllow, findings, overridden }
  }

  const worst = others.reduce<Finding | null>(
    (top, f) => (top === null || SEVERITY[f.verdict] > SEVERITY[top.verdict] ? f : top),
    null,
  )
  if (!worst || worst.verdict === 'allow') {
    return { verdict: 'allow', decisive: adminAllow ?? worst, findings, overridden: [] }
  }
  const verdict = worst.verdict === 'block' ? 'block' : 'warn'
  return { verdict, decisive: worst, findings, overridden: [] }
}
