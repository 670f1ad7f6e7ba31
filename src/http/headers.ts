/**
 * Header sets shared by the app's middleware and the click path's redirects.
 */

/** HSTS means nothing over plain http (RFC 6797 section 7.2) and would only confuse. */
export function hsts(baseUrl: URL): string | false {
  return baseUrl.protocol === 'https:' ? 'max-age=15552000; includeSubDomains' : false
}

/**
 * What a redirect to a destination carries besides its Location: no
 * referrer, which the browser applies to the redirected request so that our
 * token never reaches the destination (Referrer Policy §8.3); no caching, so
 * every click is judged afresh; and HSTS, the redirect often being a reader's
 * first contact with our host.
 */
export function redirectHeaders(baseUrl: URL): Readonly<Record<string, string>> {
  const transport = hsts(baseUrl)
  return {
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    ...(transport ? { 'Strict-Transport-Security': transport } : {}),
  }
}

/**
 * The headers of a redirect to `location`, Location included: made once per
 * destination and shared by every redirect there, so frozen. The caller has
 * made `location` safe to send (see core/url.ts `locationFor`).
 */
export function redirectHeadersTo(
  location: string,
  headers: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  return Object.freeze({ ...headers, Location: location })
}

/**
 * A redirect built as a plain Response with plain-object headers: on Node the
 * adapter writes it without building a Headers object, which Hono's
 * `c.redirect` would (the click path's hottest answer).
 */
export function redirectTo(status: 302 | 303, headers: Readonly<Record<string, string>>): Response {
  return new Response(null, { status, headers })
}
