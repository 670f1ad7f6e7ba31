/**
 * Wires the runtime-neutral services from configuration and a store. Both
 * runtime entries call this, so the rewriter and the verdict signals are the
 * same on Node and on Workers.
 */

import type { AppConfig } from './config.js'
import { type Hasher, createHasher } from './hashing.js'
import { createLinker } from './linker.js'
import { type Rewriter, createRewriter } from './rewrite/rewriter.js'
import type { Store } from './store.js'
import { messageSignal, rulesSignal, syntaxSignal } from './verdict/signals.js'
import type { Signal } from './verdict/types.js'

export interface Services {
  config: AppConfig
  store: Store
  hasher: Hasher
  rewriter: Rewriter
  /** In order; later issues add feeds, heuristics and sandbox results here. */
  signals: Signal[]
  now: () => number
}

export function createServices(config: AppConfig, store: Store, now = () => Date.now()): Services {
  const hasher = createHasher(config.hashSecret)
  const linker = createLinker({
    baseUrl: config.baseUrl,
    ring: config.ring,
    store,
    hasher,
    linkTtlSeconds: config.linkTtlSeconds,
    now,
  })
  const rewriter = createRewriter({
    classify: { baseUrl: config.baseUrl, noRewriteHosts: config.noRewriteHosts },
    linker,
    now,
  })
  const signals = [rulesSignal(store), messageSignal(store), syntaxSignal()]
  return { config, store, hasher, rewriter, signals, now }
}
