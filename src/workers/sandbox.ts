/**
 * The sandbox on Workers: only the external scanners (urlscan.io,
 * Cloudflare URL Scanner), never a direct fetch of the destination, because
 * Workers' fetch has no connect hook to pin the address the SSRF guard
 * checked. Scans are `scan` jobs on the JOBS queue.
 */

import { cloudflareScanner } from '../core/sandbox/cloudflare.js'
import type { SandboxConfig } from '../core/sandbox/config.js'
import type { Scanner } from '../core/sandbox/types.js'
import { urlscanScanner } from '../core/sandbox/urlscan.js'
import type { LogLevel } from '../core/log.js'

/** Extra room in a queue invocation beyond the scanners' own time limit. */
const SCAN_MARGIN_MS = 5_000

export interface WorkerSandboxPlan {
  scanners: Scanner[]
  scanTimeoutMs: number
  /** What to log once at start-up. */
  notice: { level: LogLevel; event: string; fields: Record<string, string | string[]> }
}

/** The external scanners for this configuration, or null when the sandbox stays off here. */
export function workerSandbox(config: SandboxConfig): WorkerSandboxPlan | null {
  if (!config.enabled) return null

  const options = {
    timeoutMs: config.externalTimeoutMs,
    firstPollDelayMs: config.externalFirstPollMs,
    pollIntervalMs: config.externalPollMs,
  }
  const scanners: Scanner[] = []
  if (config.urlscan) scanners.push(urlscanScanner(config.urlscan, options))
  if (config.cloudflare) scanners.push(cloudflareScanner(config.cloudflare, options))

  if (scanners.length === 0) {
    return {
      scanners,
      scanTimeoutMs: 0,
      notice: {
        level: 'error',
        event: 'sandbox.unavailable',
        fields: {
          reason:
            'CLICKGATE_SANDBOX is on, but on Workers the sandbox only uses external scanners and ' +
            'none is configured (set CLICKGATE_URLSCAN_API_KEY, or CLICKGATE_CLOUDFLARE_SCANNER_TOKEN ' +
            'and CLICKGATE_CLOUDFLARE_ACCOUNT_ID); the sandbox is off',
        },
      },
    }
  }
  return {
    scanners,
    scanTimeoutMs: config.externalTimeoutMs + SCAN_MARGIN_MS,
    notice: {
      level: 'info',
      event: 'sandbox.started',
      fields: { scanners: scanners.map((s) => s.name) },
    },
  }
}
