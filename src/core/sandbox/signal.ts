/**
 * The sandbox at click time. Reads the scan of the clicked destination; when
 * there is none yet, or it is still running, or it went stale, it moves the
 * job to the front and waits up to the click budget. What it finds becomes
 * findings: the scanners' own, and those of every redirect hop, which goes
 * back through the other signals (admin rules, feeds, heuristics).
 *
 * A scan still running when the budget runs out is a `pending` finding: the
 * click path answers with a "checking this link" page that refreshes itself,
 * until the scan finishes or the check limit passes (then: a warning).
 */

import type { ScanRecord, ScanStore } from '../scan-store.js'
import { DEFAULT_ONE_TIME_WORDS, looksOneTime } from '../one-time.js'
import { parseWebUrl } from '../url.js'
import { gatherFindings } from '../verdict/signals.js'
import type { ClickSubject, Finding, Signal } from '../verdict/types.js'
import type { ScanGate } from './job.js'
import type { Hop, ScanQueue, ScanReport } from './types.js'

/** Hops judged per click; a chain longer than this was already refused by the scanner. */
const MAX_HOPS_JUDGED = 12

export interface SandboxSignalOptions {
  scans: ScanStore
  queue: ScanQueue
  gate: ScanGate
  /** The signals each redirect hop goes through: every signal that judges a URL by itself. */
  hopSignals: () => readonly Signal[]
  /** How long a click waits for a scan before the "checking" page. 0: never wait. */
  clickWaitMs: number
  /** After this long since the first waiting click, an unfinished scan is a warning. */
  checkLimitMs: number
  oneTimeWords?: readonly string[]
}

export function sandboxSignal(options: SandboxSignalOptions): Signal {
  const words = options.oneTimeWords ?? DEFAULT_ONE_TIME_WORDS

  async function evaluate(subject: ClickSubject): Promise<Finding[]> {
    const url = subject.target
    // Never fetched, so never waited for: these are judged by the other signals alone.
    if (!parseWebUrl(url) || looksOneTime(url, words)) return []

    let record = await options.scans.get(url)
    if (await needsScan(record, subject.now)) {
      await options.queue.prioritise(url, subject.now)
      await options.queue.settled(url, options.clickWaitMs)
      record = await options.scans.get(url)
    }
    return findingsOf(record, subject)
  }

  async function needsScan(record: ScanRecord | null, now: number): Promise<boolean> {
    if (!record || record.state === 'queued' || record.state === 'running') return true
    if (isStale(record, now)) return true
    // Skipped because another signal decided; if that changed (a rule removed), scan after all.
    return record.state === 'skipped' && (await options.gate(record.url, now)) === null
  }

  async function findingsOf(record: ScanRecord | null, subject: ClickSubject) {
    if (record?.state === 'skipped') return []

    const findings = record ? record.reports.flatMap((r) => reportFindings(r, record)) : []
    if (record && record.reports.length > 0) findings.push(...(await hopFindings(record, subject)))

    const unsettled = !record || record.state !== 'done' || isStale(record, subject.now)
    if (unsettled) findings.push(pendingFinding(record, subject.now, options.checkLimitMs))
    return findings
  }

  async function hopFindings(record: ScanRecord, subject: ClickSubject): Promise<Finding[]> {
    const hops = distinctHops(record.reports, subject.target).slice(0, MAX_HOPS_JUDGED)
    const perHop = await Promise.all(
      hops.map(async (hop) => {
        const found = await gatherFindings(options.hopSignals(), {
          target: hop.url,
          linkId: 0,
          messageRef: null,
          now: subject.now,
        })
        return found
          .filter((f) => f.verdict === 'warn' || f.verdict === 'block')
          .map((f) => hopFinding(hop, f))
      }),
    )
    return perHop.flat()
  }

  return { name: 'sandbox', evaluate }
}

function isStale(record: ScanRecord, now: number): boolean {
  return record.expiresAt !== null && record.expiresAt <= now
}

function reportFindings(report: ScanReport, record: ScanRecord): Finding[] {
  const route = routeOf(report.chain)
  return report.findings.map((finding) => ({
    verdict: finding.verdict,
    reason: finding.reason,
    source: report.scanner,
    checkedAt: record.finishedAt ?? record.queuedAt,
    detail: finding.detail,
    evidence: [...(finding.evidence ?? []), ...(route ? [route] : [])],
  }))
}

/** `reached through a → b (meta refresh) → c`, for chains with more than the start. */
function routeOf(chain: readonly Hop[]): string | null {
  if (chain.length < 2) return null
  const label: Record<Hop['via'], string> = {
    start: '',
    http: '',
    meta: ' (meta refresh)',
    script: ' (script redirect)',
  }
  return 'reached through ' + chain.map((hop) => `${hop.url}${label[hop.via]}`).join(' → ')
}

function distinctHops(reports: readonly ScanReport[], target: string): Hop[] {
  const seen = new Set([target, parseWebUrl(target)?.href])
  const hops: Hop[] = []
  for (const hop of reports.flatMap((report) => report.chain)) {
    if (seen.has(hop.url)) continue
    seen.add(hop.url)
    hops.push(hop)
  }
  return hops
}

function hopFinding(hop: Hop, finding: Finding): Finding {
  return {
    verdict: finding.verdict,
    reason: `redirect_${finding.reason}`,
    source: `redirect:${finding.source}`,
    checkedAt: finding.checkedAt,
    detail: `The link redirects through ${hop.url}: ${finding.detail ?? finding.reason}`,
    ...(finding.evidence ? { evidence: finding.evidence } : {}),
  }
}

function pendingFinding(record: ScanRecord | null, now: number, limitMs: number): Finding {
  const since = record?.requestedAt ?? now
  if (now - since >= limitMs) {
    return {
      verdict: 'warn',
      reason: 'scan_unfinished',
      source: 'sandbox',
      checkedAt: now,
      detail: 'The sandbox has not finished checking this link, so it could not be confirmed safe.',
    }
  }
  return {
    verdict: 'pending',
    reason: 'scan_pending',
    source: 'sandbox',
    checkedAt: now,
    detail: 'This link is being checked in the sandbox.',
  }
}
