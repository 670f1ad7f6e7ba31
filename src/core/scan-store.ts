/**
 * Storage for sandbox scans: one row per destination URL that is at once the
 * job and its cached result. Runtime-neutral SQL over the D1-shaped database,
 * so Node's job runner and a Workers queue consumer share it, and the click
 * path reads results the same way on both.
 */

import type { ScanReport } from './sandbox/types.js'
import type { SqlDatabase } from './sql.js'

export type ScanState = 'queued' | 'running' | 'done' | 'skipped'

export interface ScanRecord {
  url: string
  state: ScanState
  attempts: number
  queuedAt: number
  /** When someone first waited on this job; cleared when it finishes. */
  requestedAt: number | null
  finishedAt: number | null
  /** After this the result is stale and a click re-scans. */
  expiresAt: number | null
  /** Why the URL was not fetched (`one_time`, `known`), for skipped rows. */
  skipReason: string | null
  lastError: string | null
  /** The last finished result, kept while a re-scan runs. */
  reports: ScanReport[]
}

export interface ClaimedScan {
  url: string
  /** Including this one. */
  attempts: number
}

export interface ScanStore {
  /** Queues every URL without a row yet; returns how many were new. */
  enqueue(urls: readonly string[], now: number): Promise<number>
  /** As `enqueue`, returning the URLs that were new (each needs a job sent). */
  enqueueNew(urls: readonly string[], now: number): Promise<string[]>
  /** Someone waits on this URL: queue it first, re-queuing a finished or skipped row. */
  request(url: string, now: number): Promise<void>
  get(url: string): Promise<ScanRecord | null>
  /** Takes up to `limit` due jobs, including running ones whose lease ran out. */
  claim(limit: number, now: number, leaseMs: number): Promise<ClaimedScan[]>
  /**
   * Takes this URL's job if it is queued (whatever its run_after: the caller's
   * queue owns the timing) or running with a lapsed lease; null when it is
   * finished or held by a live lease. For one-message-per-URL queues (Workers).
   */
  claimOne(url: string, now: number, leaseMs: number): Promise<ClaimedScan | null>
  complete(
    url: string,
    reports: readonly ScanReport[],
    now: number,
    expiresAt: number,
  ): Promise<void>
  skip(url: string, reason: string, now: number, expiresAt: number): Promise<void>
  retry(url: string, error: string, runAfter: number): Promise<void>
  /** Earliest time a queued job becomes due, or null when none is queued. */
  nextDue(): Promise<number | null>
  counts(): Promise<Record<ScanState, number>>
}

/** D1 allows at most 100 bound parameters per statement; stay well below. */
const MAX_BATCH = 50

interface ScanRow {
  url: string
  state: ScanState
  attempts: number
  queued_at: number
  requested_at: number | null
  finished_at: number | null
  expires_at: number | null
  skip_reason: string | null
  last_error: string | null
  reports: string | null
}

export class SqlScanStore implements ScanStore {
  constructor(private readonly db: SqlDatabase) {}

  async enqueue(urls: readonly string[], now: number): Promise<number> {
    return (await this.enqueueNew(urls, now)).length
  }

  async enqueueNew(urls: readonly string[], now: number): Promise<string[]> {
    const distinct = [...new Set(urls)]
    const added: string[] = []

    for (let i = 0; i < distinct.length; i += MAX_BATCH) {
      const statements = distinct.slice(i, i + MAX_BATCH).map((url) =>
        this.db
          .prepare(
            // RETURNING yields a row only for an insert, so existing jobs are counted out.
            "INSERT INTO scans (url, state, queued_at, run_after) VALUES (?, 'queued', ?, ?) " +
              'ON CONFLICT (url) DO NOTHING RETURNING url',
          )
          .bind(url, now, now),
      )
      const results = await this.db.batch<{ url: string }>(statements)
      for (const result of results) added.push(...result.results.map((row) => row.url))
    }
    return added
  }

  async request(url: string, now: number): Promise<void> {
    await this.db
      .prepare(
        'INSERT INTO scans (url, state, priority, queued_at, run_after, requested_at) ' +
          "VALUES (?, 'queued', 1, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET " +
          'priority = 1, requested_at = coalesce(scans.requested_at, excluded.requested_at), ' +
          "attempts = CASE WHEN scans.state IN ('done', 'skipped') THEN 0 ELSE scans.attempts END, " +
          "run_after = CASE WHEN scans.state = 'running' THEN scans.run_after ELSE excluded.run_after END, " +
          "state = CASE WHEN scans.state IN ('done', 'skipped') THEN 'queued' ELSE scans.state END",
      )
      .bind(url, now, now, now)
      .run()
  }

  async get(url: string): Promise<ScanRecord | null> {
    const row = await this.db
      .prepare(
        'SELECT url, state, attempts, queued_at, requested_at, finished_at, expires_at, ' +
          'skip_reason, last_error, reports FROM scans WHERE url = ?',
      )
      .bind(url)
      .first<ScanRow>()
    return row ? toRecord(row) : null
  }

  async claim(limit: number, now: number, leaseMs: number): Promise<ClaimedScan[]> {
    if (limit <= 0) return []
    const { results } = await this.db
      .prepare(
        "UPDATE scans SET state = 'running', attempts = attempts + 1, lease_until = ? " +
          'WHERE url IN (SELECT url FROM scans WHERE ' +
          "(state = 'queued' AND run_after <= ?) OR (state = 'running' AND lease_until <= ?) " +
          'ORDER BY priority DESC, run_after LIMIT ?) RETURNING url, attempts',
      )
      .bind(now + leaseMs, now, now, limit)
      .all<ClaimedScan>()
    return results
  }

  async claimOne(url: string, now: number, leaseMs: number): Promise<ClaimedScan | null> {
    const row = await this.db
      .prepare(
        "UPDATE scans SET state = 'running', attempts = attempts + 1, lease_until = ? " +
          "WHERE url = ? AND (state = 'queued' OR (state = 'running' AND lease_until <= ?)) " +
          'RETURNING url, attempts',
      )
      .bind(now + leaseMs, url, now)
      .first<ClaimedScan>()
    return row ?? null
  }

  async complete(url: string, reports: readonly ScanReport[], now: number, expiresAt: number) {
    await this.db
      .prepare(
        "UPDATE scans SET state = 'done', reports = ?, finished_at = ?, expires_at = ?, " +
          'lease_until = NULL, requested_at = NULL, priority = 0, last_error = NULL, ' +
          'skip_reason = NULL WHERE url = ?',
      )
      .bind(JSON.stringify(reports), now, expiresAt, url)
      .run()
  }

  async skip(url: string, reason: string, now: number, expiresAt: number): Promise<void> {
    await this.db
      .prepare(
        "UPDATE scans SET state = 'skipped', skip_reason = ?, finished_at = ?, expires_at = ?, " +
          'lease_until = NULL, requested_at = NULL, priority = 0 WHERE url = ?',
      )
      .bind(reason, now, expiresAt, url)
      .run()
  }

  async retry(url: string, error: string, runAfter: number): Promise<void> {
    await this.db
      .prepare(
        "UPDATE scans SET state = 'queued', run_after = ?, lease_until = NULL, last_error = ? " +
          'WHERE url = ?',
      )
      .bind(runAfter, error.slice(0, 500), url)
      .run()
  }

  async nextDue(): Promise<number | null> {
    const row = await this.db
      .prepare(
        "SELECT min(CASE WHEN state = 'queued' THEN run_after ELSE lease_until END) AS due " +
          "FROM scans WHERE state IN ('queued', 'running')",
      )
      .first<{ due: number | null }>()
    return row?.due ?? null
  }

  async counts(): Promise<Record<ScanState, number>> {
    const { results } = await this.db
      .prepare('SELECT state, count(*) AS n FROM scans GROUP BY state')
      .all<{ state: ScanState; n: number }>()
    const counts: Record<ScanState, number> = { queued: 0, running: 0, done: 0, skipped: 0 }
    for (const row of results) counts[row.state] = row.n
    return counts
  }
}

function toRecord(row: ScanRow): ScanRecord {
  return {
    url: row.url,
    state: row.state,
    attempts: row.attempts,
    queuedAt: row.queued_at,
    requestedAt: row.requested_at,
    finishedAt: row.finished_at,
    expiresAt: row.expires_at,
    skipReason: row.skip_reason,
    lastError: row.last_error,
    reports: row.reports ? parseReports(row.reports) : [],
  }
}

function parseReports(json: string): ScanReport[] {
  const value: unknown = JSON.parse(json)
  return Array.isArray(value) ? value.filter(isReport) : []
}

/** The rows are ours, written by `complete`; this only guards against a damaged column. */
function isReport(value: unknown): value is ScanReport {
  return (
    typeof value === 'object' &&
    value !== null &&
    'scanner' in value &&
    typeof value.scanner === 'string' &&
    'chain' in value &&
    Array.isArray(value.chain) &&
    'findings' in value &&
    Array.isArray(value.findings)
  )
}
