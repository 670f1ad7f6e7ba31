/**
 * Works the durable scan job table in-process: claims due jobs up to the
 * concurrency limit, runs them, records the outcome (a retry waits out its
 * backoff), and wakes whoever waits on a URL. Jobs live in SQLite under a
 * lease, so a job whose process died is claimed again when the lease runs
 * out: the queue survives a restart.
 */

import {
  type JobOutcome,
  type ScanJobOptions,
  recordOutcome,
  runScanJob,
} from '../../core/sandbox/job.js'
import type { ClaimedScan, ScanStore } from '../../core/scan-store.js'

/** Upper bound on sleeping while idle, so jobs queued by another process are picked up too. */
const IDLE_POLL_MS = 5_000

/** How often a waiting click re-reads the row, for jobs finished by another process. */
const WAIT_POLL_MS = 250

export interface ScanWorkerOptions {
  scans: ScanStore
  job: ScanJobOptions
  concurrency: number
  /** A claimed job not finished within this is assumed dead and claimed again. */
  leaseMs: number
  now?: () => number
  /** Called with every failure of the worker itself (never of a scanned site). */
  onError?: (err: unknown, url: string | null) => void
  /** Called after each job's outcome is recorded. */
  onOutcome?: (url: string, outcome: JobOutcome) => void
}

export class ScanWorker {
  private readonly running = new Map<string, AbortController>()
  private readonly waiters = new Map<string, Set<() => void>>()
  private readonly now: () => number
  private timer: NodeJS.Timeout | null = null
  private pumping = false
  private again = false
  private active = false

  constructor(private readonly options: ScanWorkerOptions) {
    this.now = options.now ?? (() => Date.now())
  }

  start(): void {
    this.active = true
    this.kick()
  }

  /** Looks for due work now (after an enqueue, a click, or a finished job). */
  kick(): void {
    if (this.active) void this.pump()
  }

  /** Stops claiming, aborts running scans and waits for them to record or give up. */
  async stop(): Promise<void> {
    this.active = false
    if (this.timer) clearTimeout(this.timer)
    for (const controller of this.running.values()) controller.abort()
    while (this.running.size > 0 || this.pumping) await new Promise((r) => setTimeout(r, 10))
  }

  get inFlight(): number {
    return this.running.size
  }

  /** Resolves when the URL's current job ends, when its row is settled, or after `budgetMs`. */
  async settled(url: string, budgetMs: number): Promise<void> {
    if (budgetMs <= 0) return
    const end = Date.now() + budgetMs

    while (Date.now() < end) {
      const record = await this.options.scans.get(url)
      if (record && (record.state === 'done' || record.state === 'skipped')) return
      await this.waitForJob(url, Math.min(WAIT_POLL_MS, end - Date.now()))
    }
  }

  private waitForJob(url: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(url) ?? new Set()
      const done = () => {
        clearTimeout(timer)
        set.delete(done)
        if (set.size === 0) this.waiters.delete(url)
        resolve()
      }
      const timer = setTimeout(done, Math.max(ms, 0))
      set.add(done)
      this.waiters.set(url, set)
    })
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true
      return
    }
    this.pumping = true
    try {
      do {
        this.again = false
        await this.claimAndLaunch()
      } while (this.again && this.active)
      await this.scheduleNext()
    } catch (err) {
      this.options.onError?.(err, null)
    } finally {
      this.pumping = false
    }
  }

  private async claimAndLaunch(): Promise<void> {
    const free = this.options.concurrency - this.running.size
    if (free <= 0 || !this.active) return

    const jobs = await this.options.scans.claim(free, this.now(), this.options.leaseMs)
    for (const job of jobs) this.launch(job)
  }

  private async scheduleNext(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    if (!this.active) return

    const due = await this.options.scans.nextDue()
    const wait =
      due === null ? IDLE_POLL_MS : Math.min(Math.max(due - this.now(), 10), IDLE_POLL_MS)
    this.timer = setTimeout(() => this.kick(), wait)
    this.timer.unref()
  }

  private launch(job: ClaimedScan): void {
    const controller = new AbortController()
    this.running.set(job.url, controller)

    void this.runOne(job, controller.signal).finally(() => {
      this.running.delete(job.url)
      for (const wake of [...(this.waiters.get(job.url) ?? [])]) wake()
      this.kick()
    })
  }

  private async runOne(job: ClaimedScan, signal: AbortSignal): Promise<void> {
    try {
      const outcome = await runScanJob(job.url, job.attempts, this.options.job, this.now(), signal)
      // Stopped mid-scan: leave the row running; its lease runs out and the next start re-runs it.
      if (signal.aborted && !this.active) return

      const { scans, job: jobOptions } = this.options
      await recordOutcome(scans, job.url, job.attempts, outcome, this.now(), jobOptions.ttlMs)
      this.options.onOutcome?.(job.url, outcome)
    } catch (err) {
      // The lease runs out and the job is claimed again; nothing is lost.
      this.options.onError?.(err, job.url)
    }
  }
}
