/**
 * Wires the runtime-neutral services from configuration and a store. Both
 * runtime entries call this, so the rewriter and the verdict signals are the
 * same on Node and on Workers.
 */

import type { AppConfig } from './config.js'
import { type Hasher, createHasher } from './hashing.js'
import { createLinker } from './linker.js'
import { type Rewriter, createRewriter } from './rewrite/rewriter.js'
import { type ScanGate, scanGate } from './sandbox/job.js'
import { sandboxSignal } from './sandbox/signal.js'
import type { ScanQueue } from './sandbox/types.js'
import type { Store } from './store.js'
import { looksOneTime } from './one-time.js'
import { parseWebUrl } from './url.js'
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
  /** Whether a URL may be scanned, set when the sandbox is on; scan runners apply it. */
  scanGate?: ScanGate
}

/** What a runtime adds to the services when it has them. */
export interface ServiceExtras {
  /** The runtime's scan queue; the sandbox is on exactly when this is given. */
  scanQueue?: ScanQueue
}

export function createServices(
  config: AppConfig,
  store: Store,
  now = () => Date.now(),
  extras: ServiceExtras = {},
): Services {
  const hasher = createHasher(config.hashSecret)
  const queue = extras.scanQueue
  const linker = createLinker({
    baseUrl: config.baseUrl,
    ring: config.ring,
    store,
    hasher,
    linkTtlSeconds: config.linkTtlSeconds,
    now,
    ...(queue ? { onRegistered: (urls, at) => queue.enqueue(urls.filter(scannable), at) } : {}),
  })
  const rewriter = createRewriter({
    classify: { baseUrl: config.baseUrl, noRewriteHosts: config.noRewriteHosts },
    linker,
    now,
  })
  const signals = [rulesSignal(store), messageSignal(store), syntaxSignal()]
  if (!queue) return { config, store, hasher, rewriter, signals, now }

  // Redirect hops and the scan gate use every signal that judges a URL by itself.
  const urlSignals = () => signals.filter((s) => s.name !== 'message' && s.name !== 'sandbox')
  const gate = scanGate({ signals: urlSignals })
  signals.push(
    sandboxSignal({
      scans: store.scans,
      queue,
      gate,
      hopSignals: urlSignals,
      clickWaitMs: config.sandbox.clickWaitMs,
      checkLimitMs: config.sandbox.checkLimitMs,
    }),
  )
  return { config, store, hasher, rewriter, signals, now, scanGate: gate }
}

/** Worth a scan: a web URL that a machine may open (never a one-time link). */
function scannable(url: string): boolean {
  return parseWebUrl(url) !== null && !looksOneTime(url)
}
