/**
 * The sandbox scanner: fetches a URL through a safe `PageFetcher`, follows
 * HTTP redirects, meta refreshes and script redirects by hand, and reads the
 * page it lands on. Runtime-neutral: the network safety lives in the fetcher.
 */

import { type Brand, DEFAULT_BRANDS } from '../brands.js'
import { DEFAULT_ONE_TIME_WORDS, looksOneTime } from '../one-time.js'
import { tryParseUrl } from '../url.js'
import { presentedBrand } from './brand.js'
import { SNIFF_BYTES, detectDownload } from './download.js'
import type { FetchedPage, PageFetcher } from './fetcher.js'
import { judgeReport } from './judge.js'
import { analysePage } from './page.js'
import {
  type HopVia,
  type ScanFailure,
  type ScanReport,
  type Scanner,
  ScanFetchError,
  emptyReport,
} from './types.js'

/** Redirect limits in browsers are about 20; phishing chains rarely need more than a handful. */
export const DEFAULT_MAX_REDIRECTS = 10

/** Bytes of HTML read per page; far above a sign-in page, low enough that a flood costs little. */
export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024

/** Total time for one scan, every hop included. */
export const DEFAULT_SCAN_TIMEOUT_MS = 15_000

export interface PageScannerOptions {
  fetcher: PageFetcher
  maxRedirects?: number
  maxBytes?: number
  timeoutMs?: number
  brands?: readonly Brand[]
  oneTimeWords?: readonly string[]
}

interface Step {
  url: string
  via: HopVia
}

export function createPageScanner(options: PageScannerOptions): Scanner {
  const limits = {
    maxRedirects: options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    timeoutMs: options.timeoutMs ?? DEFAULT_SCAN_TIMEOUT_MS,
  }
  const brands = options.brands ?? DEFAULT_BRANDS
  const oneTimeWords = options.oneTimeWords ?? DEFAULT_ONE_TIME_WORDS

  async function scan(url: string, signal: AbortSignal): Promise<ScanReport> {
    const report = emptyReport('sandbox', url)
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(limits.timeoutMs)])
    let step: Step | null = { url, via: 'start' }

    while (step) {
      report.chain.push({ url: step.url, via: step.via })
      step = await visit(step, report, deadline)
    }
    report.findings = judgeReport(report, brands)
    return report
  }

  /** Fetches one hop and returns the next one, or null when the chain ends here. */
  async function visit(step: Step, report: ScanReport, deadline: AbortSignal) {
    // A one-time link is spent by opening it, so the chain stops in front of it.
    if (step.via !== 'start' && looksOneTime(step.url, oneTimeWords)) {
      report.stoppedAtOneTime = step.url
      return null
    }

    let page: FetchedPage
    try {
      page = await options.fetcher.fetch(step.url, { signal: deadline, bodyLimit })
    } catch (err) {
      report.failure = failureOf(err)
      return null
    }

    const hop = report.chain.at(-1)
    if (hop) hop.status = page.status
    const next = nextStep(page, report, brands)
    if (next && report.chain.length > limits.maxRedirects) {
      report.failure = {
        code: 'too_many_redirects',
        message: `it redirects more than ${limits.maxRedirects} times`,
        transient: false,
      }
      return null
    }
    return next
  }

  function bodyLimit(status: number, headers: Record<string, string>): number {
    if (status >= 300 && status < 400 && headers.location) return 0
    return isHtml(mediaTypeOf(headers)) ? limits.maxBytes : SNIFF_BYTES
  }

  return { name: 'sandbox', scan }
}

/** Records what the page is, and returns where it sends the reader next, if anywhere. */
function nextStep(page: FetchedPage, report: ScanReport, brands: readonly Brand[]): Step | null {
  const location = page.headers.location
  if (page.status >= 300 && page.status < 400 && location) {
    const next = tryParseUrl(location, page.url)
    return { url: next ? next.href : location, via: 'http' }
  }

  const mediaType = mediaTypeOf(page.headers)
  report.finalUrl = page.url
  report.status = page.status
  report.contentType = page.headers['content-type'] ?? null
  report.truncated = page.truncated

  if (!isHtml(mediaType)) {
    report.truncated = false
    report.download = detectDownload({
      url: page.url,
      mediaType,
      disposition: page.headers['content-disposition'] ?? null,
      head: page.body,
    })
    return null
  }

  const analysis = analysePage(decodeHtml(page), page.url)
  report.page = {
    title: analysis.title,
    forms: analysis.forms,
    brand: presentedBrand(analysis, brands),
  }
  return analysis.redirect
}

function mediaTypeOf(headers: Record<string, string>): string | null {
  const value = headers['content-type']?.split(';')[0]?.trim().toLowerCase()
  return value ? value : null
}

/** A missing type is read as HTML: that is how browsers sniff most such pages. */
function isHtml(mediaType: string | null): boolean {
  return mediaType === null || mediaType === 'text/html' || mediaType === 'application/xhtml+xml'
}

/** Charset from Content-Type, else from a `<meta charset>` near the top, else UTF-8 (WHATWG). */
function decodeHtml(page: FetchedPage): string {
  const fromHeader = /charset\s*=\s*"?([\w.:-]+)/i.exec(page.headers['content-type'] ?? '')?.[1]
  const head = new TextDecoder('latin1').decode(page.body.subarray(0, 1024))
  const fromMeta = /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1]
  try {
    return new TextDecoder(fromHeader ?? fromMeta ?? 'utf-8').decode(page.body)
  } catch {
    // An unknown charset label: UTF-8 keeps ASCII markup readable, which is what we analyse.
    return new TextDecoder('utf-8').decode(page.body)
  }
}

function failureOf(err: unknown): ScanFailure {
  if (err instanceof ScanFetchError) {
    return { code: err.reason, message: err.message, transient: err.transient }
  }
  return { code: 'connect_failed', message: 'the page could not be loaded', transient: true }
}
