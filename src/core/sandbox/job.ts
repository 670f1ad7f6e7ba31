/**
 * One scan job, the same wherever it runs (Node's job table, a Workers
 * queue consumer): decide whether the URL may be fetched at all, run every
 * scanner, and say whether to finish, retry later, or skip.
 */

import type { ScanStore } from '../scan-store.js'
import { DEFAULT_ONE_TIME_WORDS, looksOneTime } from '../one-time.js'
import { parseWebUrl } from '../url.js'
import { gatherFindings } from '../verdict/signals.js'
import type { Signal } from '../verdict/types.js'
import { type ScanReport, type Scanner, emptyReport } from './types.js'

/** Why a URL is not fetched, or null to go ahead. */
export type ScanGate = (url: string, now: number) => Promise<string | null>

export interface ScanJobOptions {
  scanners: readonly Scanner[]
  gate: ScanGate
  /** Attempts before a transient failure is accepted as the result. */
  maxAttempts: number
  /** How long a result stays fresh. */
  ttlMs: number
}

export type JobOutcome =
  | { kind: 'done'; reports: ScanReport[] }
  | { kind: 'retry'; reports: ScanReport[]; error: string }
  | { kind: 'skipped'; reason: string }

/** First retry after 5 s, then 20 s, 80 s, …: a busy host or API gets room to recover. */
const RETRY_BASE_MS = 5_000
const RETRY_FACTOR = 4
const RETRY_MAX_MS = 10 * 60_000

export function retryDelayMs(attempt: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * RETRY_FACTOR ** Math.max(0, attempt - 1))
}

/**
 * The gate every runtime applies before a fetch: only web URLs; never a
 * link that looks one-time (opening it would spend it); and not a URL the
 * other signals already decide (blocked, or allowed by an admin rule).
 */
export function scanGate(options: {
  signals: () => readonly Signal[]
  oneTimeWords?: readonly string[]
}): ScanGate {
  const words = options.oneTimeWords ?? DEFAULT_ONE_TIME_WORDS

  return async function gate(url, now) {
    if (!parseWebUrl(url)) return 'not_web'
    if (looksOneTime(url, words)) return 'one_time'

    const findings = await gatherFindings(options.signals(), {
      target: url,
      linkId: 0,
      messageRef: null,
      now,
    })
    if (findings.some((f) => f.verdict === 'block')) return 'known_bad'
    if (findings.some((f) => f.source === 'rules' && f.verdict === 'allow')) return 'admin_allowed'
    return null
  }
}

export async function runScanJob(
  url: string,
  attempt: number,
  options: ScanJobOptions,
  now: number,
  signal: AbortSignal,
): Promise<JobOutcome> {
  const skip = await options.gate(url, now)
  if (skip !== null) return { kind: 'skipped', reason: skip }

  const reports = await Promise.all(
    options.scanners.map((scanner) =>
      scanner.scan(url, signal).catch((err: unknown) => crashedReport(scanner.name, url, err)),
    ),
  )
  const transient = reports.find((report) => report.failure?.transient)
  if (transient?.failure && attempt < options.maxAttempts) {
    return { kind: 'retry', reports, error: `${transient.scanner}: ${transient.failure.message}` }
  }
  return { kind: 'done', reports }
}

/** Writes a job's outcome; a retry waits out its backoff, a result is fresh for `ttlMs`. */
export async function recordOutcome(
  scans: ScanStore,
  url: string,
  attempt: number,
  outcome: JobOutcome,
  now: number,
  ttlMs: number,
): Promise<void> {
  if (outcome.kind === 'retry') return scans.retry(url, outcome.error, now + retryDelayMs(attempt))
  if (outcome.kind === 'skipped') return scans.skip(url, outcome.reason, now, now + ttlMs)
  return scans.complete(url, outcome.reports, now, now + ttlMs)
}

/** A scanner that threw is a fault of ours or its service; the job retries, then warns. */
function crashedReport(scanner: string, url: string, err: unknown): ScanReport {
  const report = emptyReport(scanner, url)
  report.failure = {
    code: 'scanner_unavailable',
    message: `the ${scanner} scanner failed (${err instanceof Error ? err.name : 'error'})`,
    transient: true,
  }
  report.findings = [
    {
      verdict: 'warn',
      reason: 'scanner_unavailable',
      detail: `The link could not be checked: the ${scanner} scanner failed.`,
    },
  ]
  return report
}
