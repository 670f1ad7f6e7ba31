/**
 * The sandbox over a generic `JobQueue` (a Cloudflare Queue on Workers): the
 * store's `scans` table holds state and results, as on Node, and each URL to
 * scan becomes one `scan` job. Workers share no memory between requests, so
 * a waiting click polls the table instead of being woken by the worker.
 */

import { ClickgateError } from '../errors.js'
import type { Job, JobQueue, JobRegistry, JsonValue } from '../jobs.js'
import type { ScanStore } from '../scan-store.js'
import { type ScanJobOptions, recordOutcome, runScanJob } from './job.js'
import type { ScanQueue } from './types.js'

export const SCAN_JOB_KIND = 'scan'

/** How often a waiting click re-reads the row: a D1 read each time, so not too often. */
const SETTLE_POLL_MS = 250

/** A second delivery of a URL's job within this is assumed to find it running. */
const LEASE_MARGIN_MS = 30_000

/** Cloudflare Queues accept at most 100 messages per sendBatch; we send one by one, in slices. */
const SEND_CONCURRENCY = 10

export function scanJob(url: string): Job {
  return { kind: SCAN_JOB_KIND, payload: { url } }
}

export class JobScanQueue implements ScanQueue {
  /** `jobs` is read when needed: the runtime builds its job queue after the services. */
  constructor(
    private readonly scans: ScanStore,
    private readonly jobs: () => JobQueue,
  ) {}

  async enqueue(urls: readonly string[], now: number): Promise<void> {
    // Only URLs without a row get a job: a link mailed twice is scanned once.
    const fresh = await this.scans.enqueueNew(urls, now)
    for (let i = 0; i < fresh.length; i += SEND_CONCURRENCY) {
      const slice = fresh.slice(i, i + SEND_CONCURRENCY)
      await Promise.all(slice.map((url) => this.jobs().enqueue(scanJob(url))))
    }
  }

  async prioritise(url: string, now: number): Promise<void> {
    const before = await this.scans.get(url)
    await this.scans.request(url, now)
    // A job already in flight (queued, or running under its lease) will finish it.
    if (before && before.state === 'running') return
    await this.jobs().enqueue(scanJob(url))
  }

  async settled(url: string, budgetMs: number): Promise<void> {
    const end = Date.now() + budgetMs
    while (Date.now() < end) {
      const record = await this.scans.get(url)
      if (record && (record.state === 'done' || record.state === 'skipped')) return
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(SETTLE_POLL_MS, end - Date.now())),
      )
    }
  }
}

/**
 * Registers the `scan` job kind. The job claims the URL's row (a duplicate
 * delivery finds it finished or held and does nothing), runs the scanners
 * behind the gate, and records the outcome. A transient failure with
 * attempts left throws, so the queue redelivers it with its own backoff.
 */
export function registerScanJob(
  registry: JobRegistry,
  options: { scans: ScanStore; job: ScanJobOptions; scanTimeoutMs: number },
): JobRegistry {
  return registry.register(SCAN_JOB_KIND, async (payload, ctx) => {
    const url = urlOf(payload)
    const claimed = await options.scans.claimOne(
      url,
      ctx.now(),
      options.scanTimeoutMs + LEASE_MARGIN_MS,
    )
    if (!claimed) return

    const signal = AbortSignal.timeout(options.scanTimeoutMs)
    const outcome = await runScanJob(url, claimed.attempts, options.job, ctx.now(), signal)
    await recordOutcome(options.scans, url, claimed.attempts, outcome, ctx.now(), options.job.ttlMs)
    if (outcome.kind === 'retry') {
      throw new ClickgateError('unavailable', `scan will be retried: ${outcome.error}`)
    }
  })
}

function urlOf(payload: JsonValue): string {
  if (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) {
    const url = payload.url
    if (typeof url === 'string' && url.length > 0) return url
  }
  throw new ClickgateError('bad_request', 'a scan job needs a url')
}
