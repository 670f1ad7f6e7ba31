/**
 * The Node page fetcher: one GET, no redirects followed (the scanner follows
 * them by hand so every hop is checked again), through an undici Agent whose
 * connector refuses anything but public unicast addresses.
 *
 * It never sends cookies, credentials or a referrer: it keeps no cookie jar,
 * strips user:password from the URL, and sets only the headers below.
 */

import { Agent, errors as undiciErrors, request } from 'undici'

import type { FetchOptions, FetchedPage, PageFetcher } from '../../core/sandbox/fetcher.js'
import { ScanFetchError } from '../../core/sandbox/types.js'
import { type Resolver, type TestAllowance, guardedConnector, systemResolver } from './connector.js'

/** Ports a web page is served on. Others (SSH, SMTP, databases, admin consoles) are never dialled. */
export const DEFAULT_ALLOWED_PORTS: readonly number[] = [80, 443, 8080, 8443]

/** A host that takes longer than this to accept a connection is not worth waiting for. */
export const CONNECT_TIMEOUT_MS = 5_000

/**
 * Browser-like, because phishing kits show scanners a harmless page (cloaking).
 * Operators can set their own with CLICKGATE_SANDBOX_USER_AGENT.
 */
export const DEFAULT_USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Chrome/124.0 Safari/537.36'

export interface SafeFetcherOptions {
  allowedPorts?: readonly number[]
  connectTimeoutMs?: number
  userAgent?: string
  /** Name resolution; the system resolver unless given. Every answer is still checked. */
  resolve?: Resolver
  /**
   * Tests only: named loopback `address:port` pairs that may be dialled. Built by
   * `createTestAllowance`, which refuses production. The server wiring passes it
   * only from CLICKGATE_SANDBOX_TEST_ALLOW, which production settings refuse too.
   */
  testAllowance?: TestAllowance
}

export class SafeFetcher implements PageFetcher {
  private readonly agent: Agent
  private readonly userAgent: string

  constructor(options: SafeFetcherOptions = {}) {
    const connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS
    this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT
    this.agent = new Agent({
      connect: guardedConnector({
        resolve: options.resolve ?? systemResolver,
        allowedPorts: new Set(options.allowedPorts ?? DEFAULT_ALLOWED_PORTS),
        allowance: options.testAllowance ?? null,
        connectTimeoutMs,
      }),
      // Short-lived pools: a scanner visits many hosts once each.
      keepAliveTimeout: 1_000,
      connections: 8,
    })
  }

  async fetch(target: string, options: FetchOptions): Promise<FetchedPage> {
    const url = checkUrl(target)

    try {
      const response = await request(url, {
        dispatcher: this.agent,
        method: 'GET',
        signal: options.signal,
        headers: {
          'user-agent': this.userAgent,
          accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
          'accept-language': 'en-GB,en;q=0.8',
        },
      })
      const headers = flattenHeaders(response.headers)
      const limit = options.bodyLimit(response.statusCode, headers)
      const { body, truncated } = await readLimited(response.body, limit, headers)
      return { url: url.href, status: response.statusCode, headers, body, truncated }
    } catch (err) {
      throw asFetchError(err, options.signal)
    }
  }

  async close(): Promise<void> {
    await this.agent.close()
  }
}

/** Only http and https, and never with credentials: they are dropped, not sent. */
function checkUrl(target: string): URL {
  let url: URL
  try {
    url = new URL(target)
  } catch {
    throw new ScanFetchError('bad_url', 'the address is not a valid URL', false)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ScanFetchError(
      'scheme_refused',
      `the sandbox opens only http and https, not ${url.protocol}`,
      false,
    )
  }
  url.username = ''
  url.password = ''
  url.hash = ''
  return url
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>) {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return headers
}

type Body = AsyncIterable<Uint8Array> & { destroy(error?: Error): unknown }

/** Reads at most `limit` bytes, then drops the connection: a body is never read to its end by force. */
async function readLimited(body: Body, limit: number, headers: Record<string, string>) {
  const chunks: Uint8Array[] = []
  let size = 0
  let truncated = false

  for await (const chunk of body) {
    const room = limit - size
    if (chunk.byteLength > room) {
      if (room > 0) chunks.push(chunk.subarray(0, room))
      size += Math.max(room, 0)
      truncated = true
      break
    }
    chunks.push(chunk)
    size += chunk.byteLength
  }
  if (truncated) body.destroy()

  const declared = Number(headers['content-length'])
  if (Number.isFinite(declared) && declared > size) truncated = true
  return { body: concat(chunks, size), truncated }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

function asFetchError(err: unknown, signal: AbortSignal): ScanFetchError {
  if (err instanceof ScanFetchError) return err
  if (err instanceof Error && err.cause instanceof ScanFetchError) return err.cause
  if (signal.aborted)
    return new ScanFetchError('timeout', 'the page took too long to load', true, err)
  if (
    err instanceof undiciErrors.ConnectTimeoutError ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError
  ) {
    return new ScanFetchError('timeout', 'the page took too long to load', true, err)
  }
  return new ScanFetchError('connect_failed', 'the page could not be loaded', true, err)
}
