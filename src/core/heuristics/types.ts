/**
 * What every URL heuristic takes and returns. Heuristics are pure: a parsed
 * URL and the raw text in, zero or more observations out. The signal wraps
 * them into findings with a source and a time.
 */

import type { Brand } from '../brands.js'

export interface Observation {
  verdict: 'warn' | 'block'
  /** Stable code, e.g. `ip_host`, `brand_lookalike`. */
  reason: string
  /** Plain-text evidence for the warning page. */
  detail: string
}

export interface UrlInput {
  /** The URL as authored (or as found inside a wrapper). */
  raw: string
  /** The WHATWG parse of `raw`. */
  url: URL
}

export interface HeuristicOptions {
  brands: readonly Brand[]
}

export type Heuristic = (input: UrlInput, options: HeuristicOptions) => Observation[]
