/**
 * The downloaded feeds as configured: where each one comes from, how often it
 * is refreshed, when its data counts as stale, and what a match means.
 */

import type { ProvidersConfig } from '../providers/config.js'
import { type LocalFeedName, PROVIDERS, isLocalFeed } from '../providers/catalogue.js'
import type { FeedFormat } from './formats.js'

export interface FeedSource {
  url: string
  format: FeedFormat
  /** Sent only to the source's own origin (see fetchEndpoint). */
  secretHeaders?: Record<string, string>
}

export interface FeedDefinition {
  name: LocalFeedName
  label: string
  sources: FeedSource[]
  /** How often the server refreshes it. */
  refreshMs: number
  /** Older data is stale: a miss in it is no reason to allow, and is reported. */
  staleAfterMs: number
  /** What a listed exact URL and a listed host mean. */
  onUrl: { verdict: 'block' | 'warn'; reason: string; detail: string }
  onHost: { verdict: 'block' | 'warn'; reason: string; detail: string }
}

const MINUTE = 60_000

/**
 * What a URL match means (keys.ts, canonical.ts): both sides go through
 * Safe Browsing's canonicalisation, so the page must not say "this exact
 * address" when it may differ in the parts below.
 */
const MATCHED_ON =
  'matched after canonicalising both: scheme, port, user name and #fragment ignored; host case, percent-escapes and dot segments normalised'

/**
 * Shortest refresh each provider tolerates. abuse.ch regenerates URLhaus
 * dumps every 5 minutes and asks for no more; PhishTank and OpenPhish update
 * hourly at best, and PhishTank limits anonymous downloads to a few a day.
 */
const MIN_REFRESH_MINUTES: Record<LocalFeedName, number> = {
  urlhaus: 5,
  phishtank: 60,
  openphish: 60,
}

export function feedDefinitions(config: ProvidersConfig): FeedDefinition[] {
  return config.enabled.filter(isLocalFeed).map((name) => definition(name, config))
}

function definition(name: LocalFeedName, config: ProvidersConfig): FeedDefinition {
  const defaultMinutes =
    name === 'urlhaus' ? 15 : name === 'phishtank' && !config.phishtank.keyed ? 360 : 60
  const minutes = Math.max(config.refreshMinutes ?? defaultMinutes, MIN_REFRESH_MINUTES[name])
  const base = {
    name,
    label: PROVIDERS[name].label,
    refreshMs: minutes * MINUTE,
  }

  if (name === 'urlhaus') {
    const secretHeaders = config.urlhaus.authKey
      ? { 'Auth-Key': config.urlhaus.authKey }
      : undefined
    const sources: FeedSource[] = [{ url: config.urlhaus.url, format: 'urlhaus', secretHeaders }]
    if (config.urlhaus.hostfileUrl) {
      sources.push({ url: config.urlhaus.hostfileUrl, format: 'urlhaus-hostfile', secretHeaders })
    }
    return {
      ...base,
      sources,
      staleAfterMs: Math.max(120 * MINUTE, 4 * minutes * MINUTE),
      onUrl: {
        verdict: 'block',
        reason: 'urlhaus_malware_url',
        detail: `URLhaus lists this address as a malware download (${MATCHED_ON})`,
      },
      onHost: {
        verdict: 'warn',
        reason: 'urlhaus_malware_host',
        detail: 'URLhaus lists this host as currently serving malware',
      },
    }
  }

  const url = name === 'phishtank' ? config.phishtank.url : config.openphish.url
  const label = PROVIDERS[name].label
  return {
    ...base,
    sources: [{ url, format: name }],
    staleAfterMs: name === 'openphish' ? 24 * 60 * MINUTE : 4 * minutes * MINUTE,
    onUrl: {
      verdict: 'block',
      reason: `${name}_phish`,
      detail: `${label} lists this address as a phishing page (${MATCHED_ON})`,
    },
    // Neither feed lists hosts; OpenPhish in particular never flags a whole domain.
    onHost: { verdict: 'warn', reason: `${name}_phish_host`, detail: `${label} lists this host` },
  }
}
