/**
 * What the Google providers share: the JSON request, the API key (sent in
 * the `X-Goog-Api-Key` header that Google APIs accept, so it stays out of
 * URLs and any proxy's access log), durations, and what a threat type means.
 */

import { type EndpointPolicy, ProviderError, fetchEndpoint } from '../feeds/fetch.js'
import type { Finding } from '../verdict/types.js'
import { VERSION } from '../version.js'

export const CLIENT_INFO = { clientId: 'clickgate', clientVersion: VERSION }

/** Largest JSON answer we read from an API; real ones are a few kilobytes. */
export const MAX_API_RESPONSE_BYTES = 4 * 1024 * 1024

export async function googleJson(
  url: string,
  key: string,
  policy: EndpointPolicy,
  init: { body?: unknown; signal?: AbortSignal },
): Promise<Record<string, unknown>> {
  const response = await fetchEndpoint(
    url,
    {
      method: init.body === undefined ? 'GET' : 'POST',
      headers: init.body === undefined ? {} : { 'Content-Type': 'application/json' },
      secretHeaders: { 'X-Goog-Api-Key': key },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    },
    policy,
  )

  const text = await response.text()
  if (text.length > MAX_API_RESPONSE_BYTES) throw new ProviderError('too_large', 'answer too large')

  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new ProviderError('bad_response', 'the provider answered with invalid JSON', {
      cause: err,
    })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ProviderError('bad_response', 'the provider answered with something not an object')
  }
  return Object.fromEntries(Object.entries(parsed))
}

/** `"593.440s"` (protobuf Duration in JSON) to milliseconds; null when absent or malformed. */
export function durationMs(value: unknown): number | null {
  if (typeof value !== 'string') return null
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value)
  return match?.[1] ? Math.round(Number(match[1]) * 1000) : null
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

export function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value))
    : {}
}

export function asString(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}

const THREATS: Record<string, { verdict: 'block' | 'warn'; words: string }> = {
  MALWARE: { verdict: 'block', words: 'malware' },
  SOCIAL_ENGINEERING: { verdict: 'block', words: 'phishing or other deceptive content' },
  SOCIAL_ENGINEERING_EXTENDED_COVERAGE: {
    verdict: 'warn',
    words: 'possibly deceptive content (extended coverage)',
  },
  UNWANTED_SOFTWARE: { verdict: 'warn', words: 'unwanted software' },
  POTENTIALLY_HARMFUL_APPLICATION: { verdict: 'warn', words: 'potentially harmful applications' },
}

/** A finding for a listed threat type; unknown types still warn rather than vanish. */
export function threatFinding(
  source: string,
  label: string,
  reasonPrefix: string,
  threatType: string,
  now: number,
): Finding {
  const known = THREATS[threatType]
  return {
    verdict: known?.verdict ?? 'warn',
    reason: `${reasonPrefix}_${threatType.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`,
    source,
    checkedAt: now,
    detail: `${label} lists this address for ${known?.words ?? threatType.toLowerCase()}`,
  }
}
