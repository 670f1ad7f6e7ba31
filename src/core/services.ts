/**
 * Wires the runtime-neutral services from configuration and a store. Both
 * runtime entries call this, so the rewriter and the verdict signals are the
 * same on Node and on Workers.
 */

import { type Capabilities, NODE_CAPABILITIES } from './capabilities.js'
import type { AppConfig } from './config.js'
import { type Hasher, createHasher } from './hashing.js'
import { JobRegistry } from './jobs.js'
import { createLinker } from './linker.js'
import { type FeedSync, noFeedSync, registerMaintenanceJobs } from './maintenance.js'
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
  /** What this runtime can do; features it lacks answer `unavailable`. */
  capabilities: Capabilities
  /** Handlers for background jobs by kind; features add theirs. */
  jobs: JobRegistry
  /** Refreshes reputation feeds; called by the scheduler. A no-op until feeds exist. */
  syncFeeds: FeedSync
}

export function createServices(
  config: AppConfig,
  store: Store,
  now = () => Date.now(),
  capabilities: Capabilities = NODE_CAPABILITIES,
): Services {
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
  const jobs = registerMaintenanceJobs(new JobRegistry())
  return {
    config,
    store,
    hasher,
    rewriter,
    signals,
    now,
    capabilities,
    jobs,
    syncFeeds: noFeedSync,
  }
}
