/**
 * Wires the runtime-neutral services from configuration and a store. Both
 * runtime entries call this, so the rewriter and the verdict signals are the
 * same on Node and on Workers.
 */

import { type MessagePipeline, createMessagePipeline } from './auth/pipeline.js'
import type { MailAuthenticator } from './auth/types.js'
import { DEFAULT_BRANDS } from './brands.js'
import { type Capabilities, NODE_CAPABILITIES } from './capabilities.js'
import type { AppConfig } from './config.js'
import { type Hasher, createHasher } from './hashing.js'
import { JobRegistry } from './jobs.js'
import { createLinker } from './linker.js'
import { ClickgateError } from './errors.js'
import { type FeedSync, registerMaintenanceJobs } from './maintenance.js'
import { type Rewriter, createRewriter } from './rewrite/rewriter.js'
import { ProviderSet } from './providers/provider-set.js'
import { type ScanGate, scanGate } from './sandbox/job.js'
import { registerScanJob } from './sandbox/queued.js'
import { sandboxSignal } from './sandbox/signal.js'
import type { ScanQueue, Scanner } from './sandbox/types.js'
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
  /** Whole messages: sender authentication, the rewriter, DKIM signing and ARC sealing. */
  mail: MessagePipeline
  /** In order; later issues add feeds, heuristics and sandbox results here. */
  signals: Signal[]
  /** Reputation feeds and lookup APIs: their syncs and status. */
  providers: ProviderSet
  now: () => number
  /** What this runtime can do; features it lacks answer `unavailable`. */
  capabilities: Capabilities
  /** Handlers for background jobs by kind; features add theirs. */
  jobs: JobRegistry
  /** Refreshes reputation feeds; called by the scheduler. A no-op until feeds exist. */
  syncFeeds: FeedSync
  /** Whether a URL may be scanned, set when the sandbox is on; scan runners apply it. */
  scanGate?: ScanGate
}

/** What a runtime supplies besides configuration and storage. */
export interface ServiceOptions {
  /** The clock; tests freeze it. */
  now?: () => number
  /** What the runtime can do; Node's by default. */
  capabilities?: Capabilities
  /** The runtime's scan queue; the sandbox is on exactly when this is given. */
  scanQueue?: ScanQueue
  /**
   * With `scanQueue`: register the `scan` job kind running these scanners
   * (Workers, where scans are queue jobs). Node works its own job table.
   */
  scanJobs?: { scanners: readonly Scanner[]; scanTimeoutMs: number }
  /** Node's mailauth-based verifier, sealer and signer; absent on Workers. */
  mailAuth?: MailAuthenticator | null
}

export function createServices(
  config: AppConfig,
  store: Store,
  options: ServiceOptions = {},
): Services {
  const now = options.now ?? (() => Date.now())
  const capabilities = options.capabilities ?? NODE_CAPABILITIES
  const hasher = createHasher(config.hashSecret)
  const queue = options.scanQueue
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
    classify: {
      baseUrl: config.baseUrl,
      noRewriteHosts: config.noRewriteHosts,
      maxUrlLength: config.rewriteLimits.maxUrlLength,
    },
    linker,
    limits: config.rewriteLimits,
    rewriteAttachedMessages: config.rewriteAttachedMessages,
    now,
  })
  const mailAuth = options.mailAuth ?? null
  const mail = createMessagePipeline({
    rewriter,
    config: config.auth,
    brands: DEFAULT_BRANDS,
    mailAuth,
    now,
  })
  const providers = new ProviderSet(config.providers, {
    feeds: store.feeds,
    threatLists: store.threatLists,
    now,
    // Workers isolates are short-lived: a million-entry index would be rebuilt from D1 each time.
    memoryIndex: capabilities.runtime === 'node',
  })
  const signals = [rulesSignal(store), messageSignal(store), ...providers.signals, syntaxSignal()]
  const jobs = registerMaintenanceJobs(new JobRegistry())
  const syncFeeds = providerSync(providers, now)
  const base = {
    config,
    store,
    hasher,
    rewriter,
    mail,
    signals,
    providers,
    now,
    capabilities,
    jobs,
  }
  if (!queue) return { ...base, syncFeeds }

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
  if (options.scanJobs) {
    const { scanners, scanTimeoutMs } = options.scanJobs
    const { maxAttempts, ttlMs } = config.sandbox
    const job = { scanners, gate, maxAttempts, ttlMs }
    registerScanJob(jobs, { scans: store.scans, job, scanTimeoutMs })
  }
  return { ...base, syncFeeds, scanGate: gate }
}

/**
 * The scheduled refresh (Workers' Cron Trigger calls it through runScheduled):
 * every due provider is synced; one failure does not stop the others, and is
 * reported afterwards. The Node server refreshes in a worker thread instead.
 */
function providerSync(providers: ProviderSet, now: () => number): FeedSync {
  return async function syncFeeds() {
    const failed: string[] = []
    let updated = 0
    for (const name of await providers.due(now())) {
      try {
        await providers.sync(name)
        updated++
      } catch {
        // Recorded in the feed's state (lastError); named in the error below.
        failed.push(name)
      }
    }
    if (failed.length > 0) {
      throw new ClickgateError('unavailable', `feed sync failed: ${failed.join(', ')}`)
    }
    return { feeds: providers.syncable.length, updated }
  }
}

/** Worth a scan: a web URL that a machine may open (never a one-time link). */
function scannable(url: string): boolean {
  return parseWebUrl(url) !== null && !looksOneTime(url)
}
