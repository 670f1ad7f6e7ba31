/**
 * The vocabulary of click-time decisions. Signals look at a destination and
 * produce findings; the policy combines findings into one verdict.
 */

import type { Rule } from '../store.js'
import type { Layer } from '../unwrap.js'

export type Verdict = 'allow' | 'warn' | 'block' | 'pending'

export interface Finding {
  verdict: Verdict
  /** Stable code, e.g. `admin_block`, `not_http`. */
  reason: string
  /** The signal that produced it, e.g. `rules`, `syntax`. */
  source: string
  /** Milliseconds since the epoch. */
  checkedAt: number
  /** Human-readable evidence for the warning page. Plain text: views escape it. */
  detail?: string
  /** Set on findings from admin rules. */
  rule?: Rule
  /** The facts behind the finding, one short plain-text line each (sandbox scans). */
  evidence?: string[]
  /** The URL the finding is about, when it is a layer inside the link rather than the link itself. */
  layer?: string
}

/** Everything a signal may look at. */
export interface ClickSubject {
  /** For a `url` signal, the layer being checked; otherwise the link as authored. */
  target: string
  /** The clicked link's id; 0 when judging a URL that is not a stored link (a redirect hop). */
  linkId: number
  messageRef: number | null
  now: number
  /** The link and every destination unwrapped from it, outermost first (see core/unwrap.ts). */
  layers?: readonly Layer[]
}

/**
 * `url` signals depend on nothing but the URL: they run once per layer of
 * the link and their findings are cached per URL. `click` signals (admin
 * rules, message context) run on every click and are never cached.
 */
export type SignalScope = 'url' | 'click'

export interface Signal {
  readonly name: string
  /** Default `click`. */
  readonly scope?: SignalScope
  /**
   * `abort` fires when the signal's time budget runs out (see budget.ts):
   * network-backed signals pass it to fetch so a slow provider is let go.
   */
  evaluate(subject: ClickSubject, abort?: AbortSignal): Promise<Finding[]>
  /**
   * The same findings from what the signal holds in memory, or undefined when
   * it would have to read or ask something first. A click signal that has it
   * lets a repeated click be judged without waiting (engine.ts `judgeNow`).
   */
  evaluateNow?(subject: ClickSubject): Finding[] | undefined
}

export interface Decision {
  verdict: 'allow' | 'warn' | 'block'
  /** The finding that decided it, or null when nothing was found and the link is allowed. */
  decisive: Finding | null
  findings: Finding[]
  /** Findings worse than allow that an admin allow rule overrode; each override is logged. */
  overridden: Finding[]
}
