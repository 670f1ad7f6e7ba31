/**
 * Cloudflare URL Scanner, API v2: submit with
 * `POST /accounts/{account_id}/urlscanner/v2/scan` (bearer token, body
 * `{url, visibility: "Unlisted"}`), then poll
 * `GET /accounts/{account_id}/urlscanner/v2/result/{uuid}`, which answers 404
 * while the scan is queued or running (Cloudflare API reference, "URL
 * Scanner"). Unlisted keeps the report out of public listings.
 */

import type { CloudflareScannerSettings } from './config.js'
import {
  type ExternalScannerOptions,
  field,
  namesOf,
  stringField,
  submitAndPoll,
} from './external.js'
import type { ScanReport, Scanner } from './types.js'

export function cloudflareScanner(
  settings: CloudflareScannerSettings,
  options: ExternalScannerOptions,
): Scanner {
  const base = `${settings.apiUrl}/accounts/${settings.accountId}/urlscanner/v2`
  const auth = { Authorization: `Bearer ${settings.apiToken}` }

  return {
    name: 'cloudflare',
    scan(url, signal) {
      return submitAndPoll('cloudflare', url, options, signal, {
        submit: {
          url: `${base}/scan`,
          init: {
            method: 'POST',
            headers: { ...auth, 'Content-Type': 'application/json' },
            body: JSON.stringify({ url, visibility: 'Unlisted' }),
          },
        },
        pollCall: (submitted) => ({
          url: `${base}/result/${encodeURIComponent(stringField(submitted, 'uuid') ?? '')}`,
          init: { method: 'GET', headers: auth },
        }),
        read: readResult,
      })
    },
  }
}

function readResult(result: Record<string, unknown>, report: ScanReport): void {
  const pageUrl = stringField(result, 'page', 'url') ?? stringField(result, 'task', 'effectiveUrl')
  if (pageUrl && pageUrl !== report.url) report.chain.push({ url: pageUrl, via: 'http' })
  report.finalUrl = pageUrl ?? report.url
  const status = field(result, 'page', 'status')
  report.status = typeof status === 'number' && status > 0 ? status : null

  const overall = field(result, 'verdicts', 'overall')
  if (field(overall, 'malicious') !== true) return

  report.findings.push({
    verdict: 'block',
    reason: 'cloudflare_malicious',
    detail: 'Cloudflare URL Scanner rates the page as malicious.',
    evidence: [
      ...namesOf(field(overall, 'categories')).map((c) => `category: ${c}`),
      ...namesOf(field(overall, 'phishing')).map((p) => `phishing: ${p}`),
      `Cloudflare scan ${stringField(result, 'task', 'uuid') ?? ''}`.trim(),
    ],
  })
}
