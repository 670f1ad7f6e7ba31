/**
 * Requests to the fixed provider endpoints (feed downloads and lookup APIs).
 * These are operator-configured API hosts, not user URLs, so the SSRF guard
 * for destinations does not apply; what does apply:
 * - redirects are followed by hand and must stay on https (a downgrade would
 *   hand the feed, and any key in it, to whoever sits on the path);
 * - credentials in headers are sent to the configured origin only, never to
 *   the host a redirect points at;
 * - error messages carry a short stable code, never the URL, which may hold
 *   a key (PhishTank puts the application key in the path).
 */

import { ClickgateError } from '../errors.js'

/** More than a CDN hop or two is a loop or a misconfiguration. */
export const MAX_REDIRECTS = 5

/** A provider request failed; `reason` is a stable code for logs and /healthz. */
export class ProviderError extends ClickgateError {
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('unavailable', message, options)
    this.name = 'ProviderError'
  }
}

export interface EndpointPolicy {
  /**
   * Allows plain http (for the endpoint and its redirects). Only ever true for
   * a loopback endpoint outside production: the test fakes.
   */
  allowInsecure: boolean
  userAgent: string
}

export interface EndpointRequest {
  method?: 'GET' | 'POST'
  /** Sent to the configured origin only. */
  secretHeaders?: Record<string, string>
  headers?: Record<string, string>
  body?: string
  signal?: AbortSignal
}

/** Fetches `url` under the endpoint policy; a non-2xx answer is a ProviderError. */
export async function fetchEndpoint(
  url: string,
  request: EndpointRequest,
  policy: EndpointPolicy,
): Promise<Response> {
  const origin = new URL(url).origin
  let current = checkedUrl(url, policy)

  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const response = await send(current, request, policy, current.origin === origin)
    if (![301, 302, 303, 307, 308].includes(response.status)) return okOrThrow(response)

    await response.body?.cancel()
    const location = response.headers.get('Location')
    if (!location) throw new ProviderError('bad_redirect', 'redirect without a Location')
    current = checkedUrl(new URL(location, current).href, policy)
  }
  throw new ProviderError('too_many_redirects', `more than ${MAX_REDIRECTS} redirects`)
}

async function send(
  url: URL,
  request: EndpointRequest,
  policy: EndpointPolicy,
  sameOrigin: boolean,
): Promise<Response> {
  const headers: Record<string, string> = {
    'User-Agent': policy.userAgent,
    ...request.headers,
    ...(sameOrigin ? request.secretHeaders : {}),
  }
  try {
    return await fetch(url, {
      method: request.method ?? 'GET',
      headers,
      body: request.body,
      redirect: 'manual',
      signal: request.signal,
    })
  } catch (err) {
    if (request.signal?.aborted) throw err
    throw new ProviderError('unreachable', 'the provider could not be reached', { cause: err })
  }
}

function checkedUrl(text: string, policy: EndpointPolicy): URL {
  const url = new URL(text)
  if (url.protocol === 'https:') return url
  if (url.protocol === 'http:' && policy.allowInsecure) return url
  throw new ProviderError('insecure_url', 'refused a plain-http address (https only)')
}

async function okOrThrow(response: Response): Promise<Response> {
  if (response.ok) return response

  await response.body?.cancel()
  throw new ProviderError(`http_${response.status}`, `the provider answered ${response.status}`)
}

/** True for the hosts a test fake listens on. */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  )
}
