/**
 * Sandbox settings from the environment (CLICKGATE_SANDBOX_*, and the
 * external scanners' keys). Validated at start-up: a bad value stops the
 * server with a message naming the variable.
 */

import type { Env } from '../config.js'
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_SCAN_TIMEOUT_MS,
} from './page-scanner.js'

export interface UrlscanSettings {
  apiKey: string
  visibility: 'unlisted' | 'private'
  apiUrl: string
}

export interface CloudflareScannerSettings {
  accountId: string
  apiToken: string
  apiUrl: string
}

export interface SandboxConfig {
  /** Off by default: the sandbox makes outbound requests to every unknown destination. */
  enabled: boolean
  /** Scans running at once per process. */
  concurrency: number
  /** How long a result stays fresh. */
  ttlMs: number
  /** How long a click waits for a pending scan before the "checking" page. */
  clickWaitMs: number
  /** After this long checking, an unfinished scan is shown as a warning. */
  checkLimitMs: number
  /** Total time for one local scan, redirects included. */
  timeoutMs: number
  maxBytes: number
  maxRedirects: number
  ports: number[]
  userAgent: string | null
  maxAttempts: number
  /** How long an external scanner may take, submission to result. */
  externalTimeoutMs: number
  /** Pause before the first result poll; both services ask for about 10 s. */
  externalFirstPollMs: number
  externalPollMs: number
  urlscan: UrlscanSettings | null
  cloudflare: CloudflareScannerSettings | null
}

export const DEFAULT_SANDBOX_PORTS = [80, 443, 8080, 8443]

export function sandboxConfigFromEnv(env: Env): SandboxConfig {
  return {
    enabled: onOff(env, 'CLICKGATE_SANDBOX', false),
    concurrency: int(env, 'CLICKGATE_SANDBOX_CONCURRENCY', 4, 1, 256),
    ttlMs: int(env, 'CLICKGATE_SANDBOX_TTL_HOURS', 24, 1, 24 * 365) * 3_600_000,
    clickWaitMs: int(env, 'CLICKGATE_SANDBOX_CLICK_WAIT_MS', 3_000, 0, 30_000),
    checkLimitMs: int(env, 'CLICKGATE_SANDBOX_CHECK_LIMIT_SECONDS', 90, 1, 3_600) * 1_000,
    timeoutMs: int(env, 'CLICKGATE_SANDBOX_TIMEOUT_MS', DEFAULT_SCAN_TIMEOUT_MS, 100, 120_000),
    maxBytes: int(env, 'CLICKGATE_SANDBOX_MAX_BYTES', DEFAULT_MAX_BYTES, 1_024, 64 * 1024 * 1024),
    maxRedirects: int(env, 'CLICKGATE_SANDBOX_MAX_REDIRECTS', DEFAULT_MAX_REDIRECTS, 0, 30),
    ports: ports(env),
    userAgent: env.CLICKGATE_SANDBOX_USER_AGENT?.trim() || null,
    maxAttempts: int(env, 'CLICKGATE_SANDBOX_MAX_ATTEMPTS', 3, 1, 10),
    externalTimeoutMs: int(env, 'CLICKGATE_EXTERNAL_SCAN_TIMEOUT_SECONDS', 75, 5, 600) * 1_000,
    externalFirstPollMs: int(env, 'CLICKGATE_EXTERNAL_SCAN_FIRST_POLL_MS', 10_000, 0, 120_000),
    externalPollMs: int(env, 'CLICKGATE_EXTERNAL_SCAN_POLL_MS', 2_500, 50, 60_000),
    urlscan: urlscan(env),
    cloudflare: cloudflare(env),
  }
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase()
  if (!raw) return fallback
  if (raw === 'on') return true
  if (raw === 'off') return false
  throw new TypeError(`${name} must be "on" or "off", got "${raw}"`)
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim()
  if (!raw) return fallback

  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new TypeError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`)
  }
  return value
}

function ports(env: Env): number[] {
  const raw = env.CLICKGATE_SANDBOX_PORTS?.trim()
  if (!raw) return DEFAULT_SANDBOX_PORTS

  return raw.split(',').map((item) => {
    const port = Number(item.trim())
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new TypeError(`CLICKGATE_SANDBOX_PORTS entry "${item.trim()}" is not a port number`)
    }
    return port
  })
}

function urlscan(env: Env): UrlscanSettings | null {
  const apiKey = env.CLICKGATE_URLSCAN_API_KEY?.trim()
  if (!apiKey) return null

  const visibility = env.CLICKGATE_URLSCAN_VISIBILITY?.trim() || 'unlisted'
  if (visibility !== 'unlisted' && visibility !== 'private') {
    // Public scans would publish every destination of our users' mail.
    throw new TypeError('CLICKGATE_URLSCAN_VISIBILITY must be "unlisted" or "private"')
  }
  return {
    apiKey,
    visibility,
    apiUrl: apiUrl(env, 'CLICKGATE_URLSCAN_API_URL', 'https://urlscan.io'),
  }
}

function cloudflare(env: Env): CloudflareScannerSettings | null {
  const apiToken = env.CLICKGATE_CLOUDFLARE_SCANNER_TOKEN?.trim()
  const accountId = env.CLICKGATE_CLOUDFLARE_ACCOUNT_ID?.trim()
  if (!apiToken && !accountId) return null
  if (!apiToken || !accountId) {
    throw new TypeError(
      'CLICKGATE_CLOUDFLARE_SCANNER_TOKEN and CLICKGATE_CLOUDFLARE_ACCOUNT_ID are needed together',
    )
  }
  if (!/^[0-9a-f]{32}$/i.test(accountId)) {
    throw new TypeError('CLICKGATE_CLOUDFLARE_ACCOUNT_ID must be a 32-character hex account id')
  }
  return {
    accountId,
    apiToken,
    apiUrl: apiUrl(env, 'CLICKGATE_CLOUDFLARE_API_URL', 'https://api.cloudflare.com/client/v4'),
  }
}

/** Overridable for tests against a local fake; https required except on loopback. */
function apiUrl(env: Env, name: string, fallback: string): string {
  const raw = env[name]?.trim()
  if (!raw) return fallback

  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new TypeError(`${name} "${raw}" is not a URL`)
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === '[::1]'
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new TypeError(`${name} must be an https URL`)
  }
  return url.href.replace(/\/$/, '')
}
