/**
 * The sandbox's vocabulary, the same on every runtime. A `Scanner` looks at
 * a URL and returns a `ScanReport`; reports are stored with the scan job and
 * turned into findings when someone clicks.
 */

import { ClickgateError } from '../errors.js'

/** How the scan reached a URL of the chain. */
export type HopVia = 'start' | 'http' | 'meta' | 'script'

export interface Hop {
  url: string
  via: HopVia
  /** HTTP status of the answer, when the hop was fetched. */
  status?: number
}

/** A form on the page, as written. */
export interface FormFact {
  /** Where it posts, resolved against the page; null when the form has no usable action. */
  action: string | null
  method: string
  hasPassword: boolean
  /** Asks for an e-mail address or user name (the first step of a two-step sign-in). */
  asksIdentity: boolean
  /** Button, label and placeholder text, trimmed, for brand wording. */
  wording: string
}

/** Why a page looks like a brand: each entry is one piece of evidence, in plain text. */
export interface BrandEvidence {
  brand: string
  evidence: string[]
}

export interface PageFacts {
  title: string | null
  forms: FormFact[]
  /** The protected brand the page presents, if any, whoever owns the domain. */
  brand: BrandEvidence | null
}

export interface Download {
  kind: 'executable' | 'archive'
  /** File name from Content-Disposition or the URL path, when there is one. */
  name: string | null
  /** What gave it away: content type, extension, or the file's first bytes. */
  why: string
}

/** Stable codes for a scan that could not look at the page. */
export type ScanFailureCode =
  | 'bad_url'
  | 'scheme_refused'
  | 'port_refused'
  | 'address_refused'
  | 'dns_failed'
  | 'connect_failed'
  | 'timeout'
  | 'too_many_redirects'
  | 'scanner_unavailable'

export interface ScanFailure {
  code: ScanFailureCode
  /** Plain text for the warning page; never holds secrets. */
  message: string
  /** Worth another try later (a time-out, a refused connection, a busy API). */
  transient: boolean
}

/** One conclusion of a scan, already mapped to a verdict. */
export interface ScanFinding {
  verdict: 'warn' | 'block'
  /** Stable code, e.g. `brand_impersonation`. */
  reason: string
  /** One plain sentence for the warning page. */
  detail: string
  /** The facts behind it, one short line each. */
  evidence?: string[]
}

export interface ScanReport {
  /** `sandbox`, `urlscan`, `cloudflare`. */
  scanner: string
  url: string
  /** Every URL the scan went through, the start first. */
  chain: Hop[]
  finalUrl: string | null
  status: number | null
  contentType: string | null
  download: Download | null
  page: PageFacts | null
  /** The body was longer than the sandbox reads. */
  truncated: boolean
  /** Set when the chain stopped at a link that must not be opened by a machine. */
  stoppedAtOneTime: string | null
  failure: ScanFailure | null
  findings: ScanFinding[]
}

/** Looks at one URL. Implementations never throw for anything the target does. */
export interface Scanner {
  readonly name: string
  scan(url: string, signal: AbortSignal): Promise<ScanReport>
}

/**
 * Where scan jobs go. Node keeps a durable job table in SQLite and works it
 * in-process; Workers hands jobs to a Queue. Both record state and results in
 * the store's `scans` table, which the click path reads.
 */
export interface ScanQueue {
  /** Queues each URL that has no job or result yet; URLs already known are left alone. */
  enqueue(urls: readonly string[], now: number): Promise<void>
  /** Someone is waiting: queue the URL (again, if its result went stale) ahead of the rest. */
  prioritise(url: string, now: number): Promise<void>
  /** Resolves when the URL's job has settled, or after `budgetMs`, whichever is first. */
  settled(url: string, budgetMs: number): Promise<void>
}

/** A fetch the sandbox refused or could not finish; becomes the report's `failure`. */
export class ScanFetchError extends ClickgateError {
  readonly reason: ScanFailureCode
  readonly transient: boolean

  constructor(reason: ScanFailureCode, message: string, transient: boolean, cause?: unknown) {
    super('scan_failed', message, { cause })
    this.name = 'ScanFetchError'
    this.reason = reason
    this.transient = transient
  }
}

/** An empty report for `url`, to be filled in by a scanner. */
export function emptyReport(scanner: string, url: string): ScanReport {
  return {
    scanner,
    url,
    chain: [],
    finalUrl: null,
    status: null,
    contentType: null,
    download: null,
    page: null,
    truncated: false,
    stoppedAtOneTime: null,
    failure: null,
    findings: [],
  }
}
