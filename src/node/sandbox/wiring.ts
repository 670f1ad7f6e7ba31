/**
 * Builds the Node sandbox from configuration: the safe fetcher and page
 * scanner, the external scanners whose keys are set, the job worker and
 * the queue the services enqueue into.
 */

import type { SandboxConfig } from '../../core/sandbox/config.js'
import { cloudflareScanner } from '../../core/sandbox/cloudflare.js'
import type { ScanGate } from '../../core/sandbox/job.js'
import { createPageScanner } from '../../core/sandbox/page-scanner.js'
import type { Scanner } from '../../core/sandbox/types.js'
import { urlscanScanner } from '../../core/sandbox/urlscan.js'
import type { ScanStore } from '../../core/scan-store.js'
import type { Resolver, TestAllowance } from './connector.js'
import { NodeScanQueue } from './queue.js'
import { SafeFetcher } from './safe-fetch.js'
import { ScanWorker, type ScanWorkerOptions } from './worker.js'

/** Extra lease time beyond the longest scan, so a slow but alive worker keeps its job. */
const LEASE_MARGIN_MS = 30_000

export interface NodeSandboxOptions {
  testAllowance?: TestAllowance
  resolve?: Resolver
  /** Standard fetch for the external scanners' APIs. */
  apiFetch?: typeof fetch
  /** Poll timing of the external scanners; tests shorten it. */
  externalPolling?: { firstPollDelayMs: number; pollIntervalMs: number }
  now?: () => number
  onError?: ScanWorkerOptions['onError']
  onOutcome?: ScanWorkerOptions['onOutcome']
}

export interface NodeSandbox {
  queue: NodeScanQueue
  worker: ScanWorker
  scanners: readonly Scanner[]
  /** Starts working the queue; jobs pass `gate` before any fetch. */
  start(gate: ScanGate): void
  close(): Promise<void>
}

export function createNodeSandbox(
  config: SandboxConfig,
  scans: ScanStore,
  options: NodeSandboxOptions = {},
): NodeSandbox {
  const fetcher = new SafeFetcher({
    allowedPorts: config.ports,
    ...(config.userAgent ? { userAgent: config.userAgent } : {}),
    ...(options.resolve ? { resolve: options.resolve } : {}),
    ...(options.testAllowance ? { testAllowance: options.testAllowance } : {}),
  })
  const scanners = buildScanners(config, fetcher, options)
  let gate: ScanGate | null = null

  const worker = new ScanWorker({
    scans,
    job: {
      scanners,
      gate: (url, now) => (gate ? gate(url, now) : Promise.resolve('not_started')),
      maxAttempts: config.maxAttempts,
      ttlMs: config.ttlMs,
    },
    concurrency: config.concurrency,
    leaseMs: leaseFor(config, scanners),
    ...(options.now ? { now: options.now } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.onOutcome ? { onOutcome: options.onOutcome } : {}),
  })

  return {
    queue: new NodeScanQueue(scans, worker),
    worker,
    scanners,
    start(bound) {
      gate = bound
      worker.start()
    },
    async close() {
      await worker.stop()
      await fetcher.close()
    },
  }
}

function buildScanners(config: SandboxConfig, fetcher: SafeFetcher, options: NodeSandboxOptions) {
  const external = {
    timeoutMs: config.externalTimeoutMs,
    firstPollDelayMs: config.externalFirstPollMs,
    pollIntervalMs: config.externalPollMs,
    ...(options.apiFetch ? { fetch: options.apiFetch } : {}),
    ...options.externalPolling,
  }
  const scanners: Scanner[] = [
    createPageScanner({
      fetcher,
      maxRedirects: config.maxRedirects,
      maxBytes: config.maxBytes,
      timeoutMs: config.timeoutMs,
    }),
  ]
  if (config.urlscan) scanners.push(urlscanScanner(config.urlscan, external))
  if (config.cloudflare) scanners.push(cloudflareScanner(config.cloudflare, external))
  return scanners
}

function leaseFor(config: SandboxConfig, scanners: readonly Scanner[]): number {
  const longest =
    scanners.length > 1 ? Math.max(config.timeoutMs, config.externalTimeoutMs) : config.timeoutMs
  return longest + LEASE_MARGIN_MS
}
