/**
 * Provider settings from the environment. Everything is off until listed in
 * CLICKGATE_PROVIDERS; lookup APIs also need their key; a provider whose
 * terms restrict commercial use needs the operator's word that this use is
 * allowed. Mistakes are TypeErrors naming the variable, found at start-up.
 */

import { type FailureVerdict, MAX_BUDGET_MS } from '../verdict/budget.js'
import { isLoopbackHost } from '../feeds/fetch.js'
import { VERSION } from '../version.js'
import { PROVIDERS, PROVIDER_NAMES, type ProviderName } from './catalogue.js'

type Env = Record<string, string | undefined>

export interface ProvidersConfig {
  /** Enabled providers, in the order their findings are gathered. */
  enabled: ProviderName[]
  /** Time budget per provider per click. */
  budgetMs: number
  /** The verdict for a check that could not be completed (timeout, error, stale data). */
  onFailure: FailureVerdict
  /** Operator override of the download feeds' refresh period, in minutes. */
  refreshMinutes: number | null
  /** Whether the Node server refreshes feeds itself. */
  schedule: boolean
  production: boolean
  urlhaus: { url: string; hostfileUrl: string | null; authKey: string | null }
  phishtank: { url: string; keyed: boolean }
  openphish: { url: string }
  safeBrowsing: { key: string | null; url: string; threatTypes: string[] }
  webRisk: { key: string | null; url: string; threatTypes: string[] }
}

/** A click waits this long for one provider by default. */
export const DEFAULT_PROVIDER_BUDGET_MS = 1500

/** PhishTank and abuse.ch ask for a descriptive User-Agent on automated downloads. */
export const USER_AGENT = `clickgate/${VERSION} (reputation feed sync)`

const SAFE_BROWSING_THREATS = ['MALWARE', 'SOCIAL_ENGINEERING', 'UNWANTED_SOFTWARE']
const WEB_RISK_THREATS = ['MALWARE', 'SOCIAL_ENGINEERING', 'UNWANTED_SOFTWARE']

export const DEFAULT_ENDPOINTS = {
  urlhaus: 'https://urlhaus.abuse.ch/downloads/csv_recent/',
  urlhausHostfile: 'https://urlhaus.abuse.ch/downloads/hostfile/',
  phishtank: 'https://data.phishtank.com/data/online-valid.json',
  openphish: 'https://openphish.com/feed.txt',
  safeBrowsing: 'https://safebrowsing.googleapis.com',
  webRisk: 'https://webrisk.googleapis.com',
}

export function providersFromEnv(env: Env): ProvidersConfig {
  const production = env.NODE_ENV === 'production'
  const enabled = parseEnabled(env.CLICKGATE_PROVIDERS ?? '')
  checkLicences(env, enabled)

  const appKey = text(env, 'CLICKGATE_PHISHTANK_APP_KEY')
  const phishtankUrl = text(env, 'CLICKGATE_PHISHTANK_URL')
  const config: ProvidersConfig = {
    enabled,
    budgetMs: budget(env),
    onFailure: failureVerdict(env),
    refreshMinutes: optionalPositive(env, 'CLICKGATE_FEEDS_REFRESH_MINUTES'),
    schedule: onOff(env, 'CLICKGATE_FEEDS_SCHEDULE', true),
    production,
    urlhaus: {
      url: endpoint(env, 'CLICKGATE_URLHAUS_URL', DEFAULT_ENDPOINTS.urlhaus, production),
      hostfileUrl: optionalEndpoint(env, production),
      authKey: text(env, 'CLICKGATE_URLHAUS_AUTH_KEY'),
    },
    phishtank: {
      url: phishtankUrl
        ? endpoint(env, 'CLICKGATE_PHISHTANK_URL', '', production)
        : appKey
          ? `https://data.phishtank.com/data/${encodeURIComponent(appKey)}/online-valid.json`
          : DEFAULT_ENDPOINTS.phishtank,
      keyed: appKey !== null,
    },
    openphish: {
      url: endpoint(env, 'CLICKGATE_OPENPHISH_URL', DEFAULT_ENDPOINTS.openphish, production),
    },
    safeBrowsing: {
      key: text(env, 'CLICKGATE_SAFE_BROWSING_KEY'),
      url: endpoint(env, 'CLICKGATE_SAFE_BROWSING_URL', DEFAULT_ENDPOINTS.safeBrowsing, production),
      threatTypes: SAFE_BROWSING_THREATS,
    },
    webRisk: {
      key: text(env, 'CLICKGATE_WEB_RISK_KEY'),
      url: endpoint(env, 'CLICKGATE_WEB_RISK_URL', DEFAULT_ENDPOINTS.webRisk, production),
      threatTypes: WEB_RISK_THREATS,
    },
  }
  checkKeys(config)
  return config
}

function parseEnabled(list: string): ProviderName[] {
  const names = list
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item.length > 0)
  for (const name of names) {
    if (!isProviderName(name)) {
      throw new TypeError(
        `CLICKGATE_PROVIDERS: unknown provider "${name}" (known: ${PROVIDER_NAMES.join(', ')})`,
      )
    }
  }
  // Signal order is the catalogue's, whatever order the operator wrote.
  return PROVIDER_NAMES.filter((name) => names.includes(name))
}

function isProviderName(name: string): name is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(name)
}

/**
 * Terms first: by default a deployment counts as commercial, so a provider
 * whose terms restrict commercial use stays off until the operator says
 * otherwise, for the deployment or for that provider.
 */
function checkLicences(env: Env, enabled: ProviderName[]): void {
  const use = (env.CLICKGATE_PROVIDER_USE ?? 'commercial').trim() || 'commercial'
  if (use !== 'commercial' && use !== 'noncommercial') {
    throw new TypeError(`CLICKGATE_PROVIDER_USE must be commercial or noncommercial, got "${use}"`)
  }
  const licensed = (env.CLICKGATE_PROVIDER_LICENSED ?? '').split(',').map((s) => s.trim())

  const blocked = enabled.filter(
    (name) => !PROVIDERS[name].commercialUse && use === 'commercial' && !licensed.includes(name),
  )
  if (blocked.length > 0) {
    throw new TypeError(
      `CLICKGATE_PROVIDERS enables ${blocked.join(', ')}, whose terms restrict commercial use: ` +
        'set CLICKGATE_PROVIDER_USE=noncommercial if this deployment is not commercial, or list ' +
        'the provider in CLICKGATE_PROVIDER_LICENSED if you hold its permission or licence',
    )
  }
}

function checkKeys(config: ProvidersConfig): void {
  const needsSafeBrowsing = config.enabled.some(
    (n) => n === 'safebrowsing' || n === 'safebrowsing-update',
  )
  if (needsSafeBrowsing && !config.safeBrowsing.key) {
    throw new TypeError('CLICKGATE_SAFE_BROWSING_KEY is required when Safe Browsing is enabled')
  }
  if (config.enabled.includes('webrisk') && !config.webRisk.key) {
    throw new TypeError('CLICKGATE_WEB_RISK_KEY is required when webrisk is enabled')
  }
}

function text(env: Env, name: string): string | null {
  const value = env[name]?.trim()
  return value ? value : null
}

/**
 * Provider endpoints are https. Plain http is accepted only for a loopback
 * host outside production, which is where the test fakes listen.
 */
function endpoint(env: Env, name: string, fallback: string, production: boolean): string {
  const raw = text(env, name) ?? fallback
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new TypeError(`${name} "${raw}" is not a URL`)
  }
  const insecureOk = url.protocol === 'http:' && !production && isLoopbackHost(url.hostname)
  if (url.protocol !== 'https:' && !insecureOk) {
    throw new TypeError(`${name} must be an https URL`)
  }
  return url.href
}

function optionalEndpoint(env: Env, production: boolean): string | null {
  const raw = text(env, 'CLICKGATE_URLHAUS_HOSTFILE_URL')
  if (raw === 'none') return null
  return endpoint(
    env,
    'CLICKGATE_URLHAUS_HOSTFILE_URL',
    DEFAULT_ENDPOINTS.urlhausHostfile,
    production,
  )
}

function budget(env: Env): number {
  const value = optionalPositive(env, 'CLICKGATE_PROVIDER_TIMEOUT_MS') ?? DEFAULT_PROVIDER_BUDGET_MS
  if (value > MAX_BUDGET_MS) {
    throw new TypeError(`CLICKGATE_PROVIDER_TIMEOUT_MS must be at most ${MAX_BUDGET_MS}`)
  }
  return value
}

function failureVerdict(env: Env): FailureVerdict {
  const value = (env.CLICKGATE_PROVIDER_FAILURE ?? 'warn').trim() || 'warn'
  if (value !== 'warn' && value !== 'block') {
    throw new TypeError(`CLICKGATE_PROVIDER_FAILURE must be warn or block, got "${value}"`)
  }
  return value
}

function optionalPositive(env: Env, name: string): number | null {
  const raw = env[name]?.trim()
  if (!raw) return null
  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive whole number, got "${raw}"`)
  }
  return value
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase()
  if (!raw) return fallback
  if (raw === 'on' || raw === 'true') return true
  if (raw === 'off' || raw === 'false') return false
  throw new TypeError(`${name} must be on or off, got "${raw}"`)
}

/** `base` (an endpoint setting) joined with an API path such as `/v4/threatMatches:find`. */
export function apiUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path
}
