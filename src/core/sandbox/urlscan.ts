/**
 * urlscan.io: submit with `POST /api/v1/scan/` (header `API-Key`, body
 * `{url, visibility}`), then poll `GET /api/v1/result/{uuid}/`, which answers
 * 404 until the scan has finished (urlscan.io API documentation, "Submission"
 * and "Result API"). Visibility is unlisted or private, never public: public
 * scans would publish our users' links.
 */

import type { UrlscanSettings } from './config.js'
import {
  type ExternalScannerOptions,
  field,
  namesOf,
  stringField,
  submitAndPoll,
} from './external.js'
import type { ScanReport, Scanner } from './types.js'

export function urlscanScanner(
  settings: UrlscanSettings,
  options: ExternalScannerOptions,
): Scanner {
  const headers = { 'API-Key': settings.apiKey, 'Content-Type': 'application/json' }

  return {
    name: 'urlscan',
    scan(url, signal) {
      return submitAndPoll('urlscan', url, options, signal, {
        submit: {
          url: `${settings.apiUrl}/api/v1/scan/`,
          init: {
            method: 'POST',
            headers,
            body: JSON.stringify({ url, visibility: settings.visibility }),
          },
        },
        pollCall: (submitted) => ({
          url: `${settings.apiUrl}/api/v1/result/${encodeURIComponent(stringField(submitted, 'uuid') ?? '')}/`,
          init: { method: 'GET', headers: { 'API-Key': settings.apiKey } },
        }),
        read: readResult,
      })
    },
  }
}

function readResult(result: Record<string, unknown>, report: ScanReport): void {
  const pageUrl = stringField(result, 'page', 'url')
  if (pageUrl && pageUrl !== report.url) report.chain.push({ url: pageUrl, via: 'http' })
  report.finalUrl = pageUrl ?? report.url
  const status = Number(stringField(result, 'page', 'status') ?? field(result, 'page', 'status'))
  report.status = Number.isInteger(status) && status > 0 ? status : null
  report.contentType = stringField(result, 'page', 'mimeType')

  const overall = field(result, 'verdicts', 'overall')
  if (field(overall, 'malicious') !== true) return

  const score = field(overall, 'score')
  const evidence = [
    ...namesOf(field(overall, 'categories')).map((c) => `category: ${c}`),
    ...namesOf(field(overall, 'brands')).map((b) => `imitates: ${b}`),
    ...(typeof score === 'number' ? [`score ${score} of 100`] : []),
    `urlscan.io report ${stringField(result, 'task', 'reportURL') ?? stringField(result, 'task', 'uuid') ?? ''}`.trim(),
  ]
  report.findings.push({
    verdict: 'block',
    reason: 'urlscan_malicious',
    detail: 'urlscan.io rates the page as malicious.',
    evidence,
  })
}
