/**
 * Tells a person's click from a program's. Mail gateways open every link of
 * a message on delivery to scan it; counted as clicks they make the log
 * useless, and on one-time links (password resets, magic sign-in links)
 * they spend the link before the person can use it.
 *
 * The evidence, each a stable code stored with the click:
 * - `head`: a HEAD request; browsers navigate with GET.
 * - `scanner_ua`, `bot_ua`, `no_user_agent`: the User-Agent names a scanner
 *   (our list), a bot or HTTP library (isbot), or is missing.
 * - `scanner_address`: the address is in a scanner range.
 * - `no_browser_headers`: no Accept-Language, or an Accept without
 *   text/html; every browser sends both on a navigation (Fetch Standard,
 *   "fetch" step 12; HTML Standard, navigation requests).
 * - `fast_click`: the link was written seconds ago; gateways scan on
 *   delivery, people read later.
 */

import ipaddr from 'ipaddr.js'
import { isbot } from 'isbot'

import { SCANNER_RANGES, SCANNER_USER_AGENTS } from '../lists/scanners.js'
import { createTtlCache } from '../verdict/cache.js'

export type Evidence =
  | 'head'
  | 'scanner_ua'
  | 'bot_ua'
  | 'no_user_agent'
  | 'scanner_address'
  | 'no_browser_headers'
  | 'fast_click'

export interface RequestFacts {
  method: string
  userAgent: string | null
  accept: string | null
  acceptLanguage: string | null
  ip: string | null
  /** Seconds since the link was written (the token's issue time). */
  ageSeconds: number
}

export interface Classification {
  automated: boolean
  evidence: Evidence[]
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number]

export interface AutomationOptions {
  /** Extra CIDR ranges, e.g. the organisation's own gateway. */
  extraRanges?: readonly string[]
  fastClickSeconds: number
}

export interface AutomationDetector {
  classify(facts: RequestFacts, options?: { deliberate?: boolean }): Classification
}

/** Parses CIDR ranges, naming the bad one; a configuration error is found at start-up. */
export function parseRanges(ranges: readonly string[], name = 'scanner range'): Range[] {
  return ranges.map((range) => {
    try {
      return ipaddr.parseCIDR(range)
    } catch {
      throw new TypeError(`${name} "${range}" is not a CIDR range such as 192.0.2.0/24`)
    }
  })
}

export function createAutomationDetector(options: AutomationOptions): AutomationDetector {
  const ranges = parseRanges([...SCANNER_RANGES, ...(options.extraRanges ?? [])])
  // The same addresses come back click after click; parsing and matching once is enough.
  const known = createTtlCache<{ scanner: boolean }>({ max: 50_000, ttlMs: 3_600_000 })

  function inRanges(ip: string): boolean {
    const hit = known.get(ip)
    if (hit) return hit.scanner

    const scanner = ipaddr.isValid(ip) && matchesAny(ipaddr.process(ip), ranges)
    known.set(ip, { scanner })
    return scanner
  }

  /**
   * `deliberate` is set for the confirmation POST: a form submitted by a
   * person may well come seconds after delivery, so timing is not held
   * against it.
   */
  const agents = createTtlCache<{ evidence: Evidence[] }>({ max: 10_000, ttlMs: 3_600_000 })

  /** User agents repeat across clicks; the pattern matching runs once per distinct one. */
  function agentEvidence(userAgent: string | null): Evidence[] {
    if (userAgent === null) return ['no_user_agent']
    const hit = agents.get(userAgent)
    if (hit) return hit.evidence

    const evidence = userAgentEvidence(userAgent)
    agents.set(userAgent, { evidence })
    return evidence
  }

  function classify(facts: RequestFacts, { deliberate = false } = {}): Classification {
    const evidence: Evidence[] = []
    if (facts.method === 'HEAD') evidence.push('head')
    evidence.push(...agentEvidence(facts.userAgent))
    if (facts.ip !== null && inRanges(facts.ip)) evidence.push('scanner_address')
    if (!facts.acceptLanguage || !facts.accept?.includes('text/html')) {
      evidence.push('no_browser_headers')
    }
    if (!deliberate && facts.ageSeconds < options.fastClickSeconds) evidence.push('fast_click')

    return { automated: evidence.length > 0, evidence }
  }

  return { classify }
}

function matchesAny(address: ipaddr.IPv4 | ipaddr.IPv6, ranges: readonly Range[]): boolean {
  return ranges.some(([net, bits]) => address.kind() === net.kind() && address.match(net, bits))
}

function userAgentEvidence(userAgent: string | null): Evidence[] {
  if (!userAgent) return ['no_user_agent']

  const lower = userAgent.toLowerCase()
  if (SCANNER_USER_AGENTS.some((fragment) => lower.includes(fragment))) return ['scanner_ua']
  return isbot(userAgent) ? ['bot_ua'] : []
}
