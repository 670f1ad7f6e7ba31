/**
 * Wires the runtime-neutral services from configuration and a store. Both
 * runtime entries call this, so the rewriter and the verdict signals are the
 * same on Node and on Workers.
 */

import { type MessagePipeline, createMessagePipeline } from './auth/pipeline.js'
import type { MailAuthenticator } from './auth/types.js'
import { type Capabilities, NODE_CAPABILITIES } from './capabilities.js'
import { type AutomationDetector, createAutomationDetector } from './clicks/automation.js'
import {
  type ClickBatchWriter,
  type ClickRecorder,
  createClickRecorder,
} from './clicks/recorder.js'
import type { AppConfig } from './config.js'
import { ClickgateError } from './errors.js'
import { type Hasher, createHasher } from './hashing.js'
import { JobRegistry } from './jobs.js'
import { createLinker } from './linker.js'
import { type FeedSync, registerMaintenanceJobs } from './maintenance.js'
import { looksOneTime } from './one-time.js'
import { ProviderSet } from './providers/provider-set.js'
import { type Rewriter, createRewriter } from './rewrite/rewriter.js'
import { type ScanGate, scanGate } from './sandbox/job.js'
import { registerScanJob } from './sandbox/queued.js'
import { sandboxSignal } from './sandbox/signal.js'
import type { ScanQueue, Scanner } from './sandbox/types.js'
import type { MessageContext, Rule, Store } from './store.js'
import { parseWebUrl } from './url.js'
import { createTtlCache } from './verdict/cache.js'
import { type UrlVerdict, type VerdictEngine, createVerdictEngine } from './verdict/engine.js'
import { heuristicsSignal, messageSignal, rulesSignal, syntaxSignal } from './verdict/signals.js'
import type { Signal } from './verdict/types.js'

export interface Services {
  config: AppConfig
  store: Store
  hasher: Hasher
  rewriter: Rewriter
  /** Whole messages: sender authentication, the rewriter, DKIM signing and ARC sealing. */
  mail: MessagePipeline
  /** In order: admin rules, the message, reputation providers, syntax, heuristics, the sandbox. */
  signals: Signal[]
  /** Runs the signals over every layer of a link and decides (core/verdict/engine.ts). */
  verdicts: VerdictEngine
  /** A link's stored target by id. Targets never change, so they are cached. */
  linkTarget: (id: number) => Promise<string | null>
  /** The target when it is in memory; undefined when it would have to be read. */
  linkTargetNow: (id: number) => string | undefined
  /** Tells a person's click from a program's. */
  automation: AutomationDetector
  /** Queues clicks and writes them in batches; the runtime decides when to flush. */
  clicks: ClickRecorder
  /** Reputation feeds and lookup APIs: their syncs and status. */
  providers: ProviderSet
  now: () => number
  /** What this runtime can do; features it lacks answer `unavailable`. */
  capabilities: Capabilities
  /** Handlers for background jobs by kind; features add theirs. */
  jobs: JobRegistry
  /** Refreshes reputation feeds; called by the scheduler. */
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
  /** Writes click batches, when not the store itself (Node: a writer thread that also logs them). */
  clickBatches?: ClickBatchWriter
  /** Most clicks in one of those batches; default CLICK_BATCH_SIZE. */
  clickBatchSize?: number
  /**
   * Keep link targets in memory (link rows are never changed or deleted).
   * On for the Node server; off on Workers, where a read is per request
   * anyway and an isolate may outlive a database it was built over.
   */
  cacheLinkTargets?: boolean
}

/** Link targets kept in memory: the hot links of a campaign, not the whole table. */
const LINK_CACHE_SIZE = 50_000

/** Message contexts kept in memory; a message's context changes only when it is rewritten again. */
const MESSAGE_CACHE_SIZE = 10_000

export function createServices(
  config: AppConfig,
  store: Store,
  options: ServiceOptions = {},
): Services {
  const now = options.now ?? (() => Date.now())
  const capabilities = options.capabilities ?? NODE_CAPABILITIES
  // The keyed hashes use the key ring's engine: the runtime's fastest HMAC.
  const hasher = createHasher(config.hashSecret, config.ring.engine)
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
    brands: config.brands,
  })
  const mail = createMessagePipeline({
    rewriter,
    config: config.auth,
    brands: config.brands,
    mailAuth: options.mailAuth ?? null,
    now,
  })
  const providers = new ProviderSet(config.providers, {
    feeds: store.feeds,
    threatLists: store.threatLists,
    now,
    // Workers isolates are short-lived: a million-entry index would be rebuilt from D1 each time.
    memoryIndex: capabilities.runtime === 'node',
  })

  const signals = baseSignals(config, store, providers, now)
  const jobs = registerMaintenanceJobs(new JobRegistry())
  const gate = queue
    ? addSandbox({ config, store, queue, signals, jobs, scanJobs: options.scanJobs })
    : undefined

  return {
    config,
    store,
    hasher,
    rewriter,
    mail,
    signals,
    verdicts: verdictEngine(config, signals, now),
    ...(options.cacheLinkTargets ? cachedLinkTarget(store) : uncachedLinkTarget(store)),
    automation: createAutomationDetector({
      extraRanges: config.scannerRanges,
      fastClickSeconds: config.fastClickSeconds,
    }),
    clicks: createClickRecorder(
      options.clickBatches
        ? { writeBatch: options.clickBatches, batchSize: options.clickBatchSize }
        : { store, hasher },
    ),
    providers,
    now,
    capabilities,
    jobs,
    syncFeeds: providerSync(providers, now),
    ...(gate ? { scanGate: gate } : {}),
  }
}

function baseSignals(
  config: AppConfig,
  store: Store,
  providers: ProviderSet,
  now: () => number,
): Signal[] {
  const ttlMs = cacheTtlMs(config)
  const ruleCache = createTtlCache<{ version: number; rules: Rule[] }>({
    max: Math.max(1, config.verdictCacheSize),
    ttlMs,
    now,
  })
  const messageCache = createTtlCache<MessageContext>({ max: MESSAGE_CACHE_SIZE, ttlMs, now })

  return [
    rulesSignal(store, { cache: ruleCache }),
    messageSignal(store, { brands: config.brands, cache: messageCache }),
    // Reputation depends on the URL alone: checked on every layer, cached with the URL.
    ...providers.signals.map(urlScoped),
    syntaxSignal(),
    heuristicsSignal(config.brands),
  ]
}

function urlScoped(signal: Signal): Signal {
  return {
    name: signal.name,
    scope: 'url',
    evaluate: (subject, abort) => signal.evaluate(subject, abort),
  }
}

/** Adds the sandbox signal; redirect hops and the scan gate use every signal that judges a URL by itself. */
function addSandbox({
  config,
  store,
  queue,
  signals,
  jobs,
  scanJobs,
}: {
  config: AppConfig
  store: Store
  queue: ScanQueue
  signals: Signal[]
  jobs: JobRegistry
  scanJobs: ServiceOptions['scanJobs']
}) {
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
  if (scanJobs) {
    const { scanners, scanTimeoutMs } = scanJobs
    const { maxAttempts, ttlMs } = config.sandbox
    const job = { scanners, gate, maxAttempts, ttlMs }
    registerScanJob(jobs, { scans: store.scans, job, scanTimeoutMs })
  }
  return gate
}

function verdictEngine(config: AppConfig, signals: Signal[], now: () => number): VerdictEngine {
  return createVerdictEngine({
    signals,
    cache: createTtlCache<UrlVerdict>({
      max: Math.max(1, config.verdictCacheSize),
      ttlMs: cacheTtlMs(config),
      now,
    }),
    policy: { allowOverrides: config.allowOverrides },
    caching: config.verdictTtlSeconds > 0 && config.verdictCacheSize > 0,
  })
}

/** CLICKGATE_VERDICT_TTL_SECONDS=0 turns caching off; the caches then hold nothing for long. */
function cacheTtlMs(config: AppConfig): number {
  return Math.max(1, config.verdictTtlSeconds * 1000)
}

type LinkTargets = Pick<Services, 'linkTarget' | 'linkTargetNow'>

function cachedLinkTarget(store: Store): LinkTargets {
  // No time-to-live needed: a link row is never updated.
  const cache = createTtlCache<{ url: string }>({ max: LINK_CACHE_SIZE, ttlMs: 86_400_000 })
  const linkTargetNow = (id: number) => cache.get(String(id))?.url

  async function linkTarget(id: number): Promise<string | null> {
    const hit = linkTargetNow(id)
    if (hit !== undefined) return hit

    const url = await store.getLinkUrl(id)
    if (url !== null) cache.set(String(id), { url })
    return url
  }
  return { linkTarget, linkTargetNow }
}

function uncachedLinkTarget(store: Store): LinkTargets {
  return { linkTarget: (id) => store.getLinkUrl(id), linkTargetNow: () => undefined }
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
