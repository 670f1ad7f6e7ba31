/**
 * Every URL heuristic, run in a fixed order. Each one is pure and cheap
 * (no I/O), so all of them run on every layer of every link.
 */

import { parseWebUrl } from '../url.js'
import { hiddenAddress } from './address.js'
import { brandLookalike, brandMisuse, mixedScript } from './brand.js'
import { ipHost } from './ip-host.js'
import {
  absurdShape,
  abusedTld,
  accountWordDomain,
  addressInHost,
  disguisedHost,
  hostNamedInParameter,
  opaqueLink,
  sharedHosting,
  shortCodeLink,
  urlShortener,
} from './shape.js'
import type { Heuristic, HeuristicOptions, Observation } from './types.js'
import { userinfo } from './userinfo.js'

export type { HeuristicOptions, Observation } from './types.js'

export const HEURISTICS: readonly Heuristic[] = [
  ipHost,
  disguisedHost,
  userinfo,
  brandLookalike,
  mixedScript,
  brandMisuse,
  urlShortener,
  sharedHosting,
  abusedTld,
  accountWordDomain,
  addressInHost,
  hiddenAddress,
  opaqueLink,
  shortCodeLink,
  hostNamedInParameter,
  absurdShape,
]

/** What the heuristics see in one URL; an unparseable URL is left to the syntax signal. */
export function observeUrl(raw: string, options: HeuristicOptions): Observation[] {
  const url = parseWebUrl(raw)
  if (!url) return []

  return HEURISTICS.flatMap((heuristic) => heuristic({ raw, url }, options))
}
