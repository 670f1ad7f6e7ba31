/**
 * The urlscan.io and Cloudflare URL Scanner adapters against fakes on
 * 127.0.0.1 that serve the documented request and response shapes:
 * submit, 404 while the scan runs, then the result.
 */

import type { IncomingMessage, ServerResponse } from 'node:http'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { cloudflareScanner } from '../../src/core/sandbox/cloudflare.js'
import { sandboxConfigFromEnv } from '../../src/core/sandbox/config.js'
import type { Scanner } from '../../src/core/sandbox/types.js'
import { urlscanScanner } from '../../src/core/sandbox/urlscan.js'
import { SITE_ADDRESS, type SiteServer, startSite, tableResolver } from '../support/loopback.js'
import { LANDING, html } from '../support/pages.js'
import { createSandboxHarness, pathOf } from '../support/sandbox-harness.js'

const API_KEY = 'urlscan-test-key-0123'
const CF_TOKEN = 'cf-test-token-0123'
const ACCOUNT = '0123456789abcdef0123456789abcdef'
const UUID = '0196d976-07f6-7aae-8a57-aa019145f31c'
const POLLING = { timeoutMs: 5_000, firstPollDelayMs: 1, pollIntervalMs: 1 }

interface Seen {
  method: string
  path: string
  headers: IncomingMessage['headers']
  body: unknown
}

let api: SiteServer
const seen: Seen[] = []
/** Polls answered 404 before the result is ready, per scan id. */
const pending = new Map<string, number>()
let submitStatus = 200
/** How many polls the fake answers 404 before the result is ready. */
let pollsBeforeResult = 2

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'Content-Type': 'application/json' })
  res.end(JSON.stringify(body))
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    let text = ''
    req.on('data', (chunk: Buffer) => (text += chunk.toString()))
    req.on('end', () => resolve(text ? JSON.parse(text) : null))
  })
}

beforeAll(async () => {
  api = await startSite(async (req, res) => {
    const body = await readBody(req)
    const path = req.url ?? '/'
    seen.push({ method: req.method ?? '', path, headers: req.headers, body })

    if (req.method === 'POST' && path === '/api/v1/scan/') {
      if (req.headers['api-key'] !== API_KEY) return json(res, 401, { message: 'Invalid API key' })
      if (submitStatus !== 200) return json(res, submitStatus, { message: 'Rate limit exceeded' })
      pending.set(UUID, pollsBeforeResult)
      return json(res, 200, {
        message: 'Submission successful',
        uuid: UUID,
        result: `https://urlscan.io/result/${UUID}/`,
        api: `https://urlscan.io/api/v1/result/${UUID}/`,
        visibility: 'unlisted',
        url: (body as { url: string }).url,
      })
    }
    if (req.method === 'GET' && path === `/api/v1/result/${UUID}/`) {
      return pollOr(res, UUID, () => urlscanResult((seen[0]?.body as { url: string }).url))
    }
    const cf = `/accounts/${ACCOUNT}/urlscanner/v2`
    if (req.method === 'POST' && path === `${cf}/scan`) {
      if (req.headers.authorization !== `Bearer ${CF_TOKEN}`)
        return json(res, 403, { message: 'no' })
      pending.set('cf-' + UUID, 1)
      return json(res, 200, {
        uuid: UUID,
        api: `https://api.cloudflare.com/client/v4/accounts/${ACCOUNT}/urlscanner/v2/result/${UUID}`,
        visibility: 'unlisted',
        url: (body as { url: string }).url,
        message: 'Submission successful',
      })
    }
    if (req.method === 'GET' && path === `${cf}/result/${UUID}`) {
      return pollOr(res, 'cf-' + UUID, () => cloudflareResult())
    }
    json(res, 404, { message: 'not found' })
  }, '127.0.0.1')
})

afterAll(async () => {
  await api?.close()
})

function pollOr(res: ServerResponse, id: string, result: () => unknown) {
  const left = pending.get(id) ?? 0
  if (left > 0) {
    pending.set(id, left - 1)
    return json(res, 404, { message: 'Scan is not finished yet', status: 404 })
  }
  json(res, 200, result())
}

function urlscanResult(url: string) {
  return {
    task: {
      uuid: UUID,
      url,
      visibility: 'unlisted',
      reportURL: `https://urlscan.io/result/${UUID}/`,
    },
    page: {
      url: 'https://login.evil-portal.example/owa/',
      domain: 'login.evil-portal.example',
      status: '200',
      mimeType: 'text/html',
      title: 'Sign in',
    },
    verdicts: {
      overall: {
        score: 100,
        categories: ['phishing'],
        brands: ['microsoft'],
        malicious: true,
        hasVerdicts: true,
      },
    },
  }
}

function cloudflareResult() {
  return {
    task: {
      uuid: UUID,
      url: 'https://bit.example/x',
      success: true,
      status: 'Finished',
      visibility: 'Unlisted',
    },
    page: { url: 'https://bit.example/x', domain: 'bit.example', status: 200 },
    verdicts: {
      overall: {
        malicious: true,
        hasVerdicts: true,
        categories: [{ id: 1, name: 'Phishing', super_category_id: 2 }],
        phishing: ['Microsoft'],
      },
    },
  }
}

function settings() {
  return sandboxConfigFromEnv({
    CLICKGATE_URLSCAN_API_KEY: API_KEY,
    CLICKGATE_URLSCAN_API_URL: api.origin(),
    CLICKGATE_CLOUDFLARE_SCANNER_TOKEN: CF_TOKEN,
    CLICKGATE_CLOUDFLARE_ACCOUNT_ID: ACCOUNT,
    CLICKGATE_CLOUDFLARE_API_URL: api.origin(),
  })
}

function run(scanner: Scanner, url: string) {
  return scanner.scan(url, new AbortController().signal)
}

describe('urlscan.io adapter', () => {
  it('submits unlisted with the API key, polls past 404, and blocks on a malicious verdict', async () => {
    seen.length = 0
    const config = settings()
    const scanner = urlscanScanner(config.urlscan ?? fail(), POLLING)

    const report = await run(scanner, 'https://short.example/abc')

    expect(seen[0]).toMatchObject({
      method: 'POST',
      path: '/api/v1/scan/',
      body: { url: 'https://short.example/abc', visibility: 'unlisted' },
    })
    expect(seen[0]?.headers['content-type']).toBe('application/json')
    expect(seen.filter((s) => s.method === 'GET')).toHaveLength(3)
    expect(seen[1]?.headers['api-key']).toBe(API_KEY)
    expect(report.failure).toBeNull()
    expect(report.finalUrl).toBe('https://login.evil-portal.example/owa/')
    expect(report.chain.map((hop) => hop.url)).toEqual([
      'https://short.example/abc',
      'https://login.evil-portal.example/owa/',
    ])
    expect(report.findings).toEqual([
      {
        verdict: 'block',
        reason: 'urlscan_malicious',
        detail: 'urlscan.io rates the page as malicious.',
        evidence: [
          'category: phishing',
          'imitates: microsoft',
          'score 100 of 100',
          `urlscan.io report https://urlscan.io/result/${UUID}/`,
        ],
      },
    ])
  })

  it('reports a rate limit as a transient failure, and a bad key as a lasting one', async () => {
    submitStatus = 429
    const limited = await run(
      urlscanScanner(settings().urlscan ?? fail(), POLLING),
      'https://a.example/',
    )
    submitStatus = 200
    const badKey = await run(
      urlscanScanner({ ...(settings().urlscan ?? fail()), apiKey: 'wrong' }, POLLING),
      'https://a.example/',
    )

    expect(limited.failure).toMatchObject({ code: 'scanner_unavailable', transient: true })
    expect(limited.failure?.message).toBe('urlscan answered 429: Rate limit exceeded')
    expect(badKey.failure).toMatchObject({ code: 'scanner_unavailable', transient: false })
    expect(badKey.findings.map((f) => f.reason)).toEqual(['scanner_unavailable'])
  })

  it('never follows an API redirect, so the key cannot travel elsewhere (workerd refuses redirect: error)', async () => {
    submitStatus = 302
    const report = await run(
      urlscanScanner(settings().urlscan ?? fail(), POLLING),
      'https://a.example/',
    )
    submitStatus = 200

    expect(report.failure).toMatchObject({ code: 'scanner_unavailable', transient: false })
    expect(report.failure?.message).toBe('urlscan answered a redirect (302), which is not followed')
  })

  it('gives up when the result never comes, by its own time limit', async () => {
    pollsBeforeResult = Number.MAX_SAFE_INTEGER
    const slow = { ...POLLING, timeoutMs: 150, pollIntervalMs: 20 }

    const report = await run(
      urlscanScanner(settings().urlscan ?? fail(), slow),
      'https://a.example/',
    )
    pollsBeforeResult = 2

    expect(report.failure).toMatchObject({ code: 'timeout', transient: true })
    expect(report.findings.map((f) => f.reason)).toEqual(['scan_timeout'])
  })
})

describe('Cloudflare URL Scanner adapter', () => {
  it('submits unlisted with the bearer token, polls the v2 result, and blocks on malicious', async () => {
    seen.length = 0
    const scanner = cloudflareScanner(settings().cloudflare ?? fail(), POLLING)

    const report = await run(scanner, 'https://bit.example/x')

    expect(seen[0]).toMatchObject({
      method: 'POST',
      path: `/accounts/${ACCOUNT}/urlscanner/v2/scan`,
      body: { url: 'https://bit.example/x', visibility: 'Unlisted' },
    })
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${CF_TOKEN}`)
    expect(seen.map((s) => s.path)).toContain(`/accounts/${ACCOUNT}/urlscanner/v2/result/${UUID}`)
    expect(report.findings).toEqual([
      {
        verdict: 'block',
        reason: 'cloudflare_malicious',
        detail: 'Cloudflare URL Scanner rates the page as malicious.',
        evidence: ['category: Phishing', 'phishing: Microsoft', `Cloudflare scan ${UUID}`],
      },
    ])
  })
})

describe('external scanners in the sandbox', () => {
  it('turn a clean-looking page into a block at the click when urlscan.io calls it malicious', async () => {
    const site = await startSite(html(LANDING))
    const h = await createSandboxHarness({
      env: {
        CLICKGATE_SANDBOX_CLICK_WAIT_MS: '10000',
        CLICKGATE_URLSCAN_API_KEY: API_KEY,
        CLICKGATE_URLSCAN_API_URL: api.origin(),
      },
      resolve: tableResolver({ 'newsletter.example': [SITE_ADDRESS] }),
      allow: [`${SITE_ADDRESS}:${site.port}`],
      externalPolling: { firstPollDelayMs: 1, pollIntervalMs: 1 },
    })
    seen.length = 0

    const [link] = await h.linksFor([`http://newsletter.example:${site.port}/issue-12`])
    const response = await h.app.request(pathOf(link ?? ''))
    const page = await response.text()
    await h.close()
    await site.close()

    expect(response.status).toBe(403)
    expect(page).toContain('urlscan_malicious')
    expect(page).toContain('imitates: microsoft')
    expect(site.hits.get('/issue-12')).toBe(1)
  })
})

describe('external scanner settings', () => {
  it('refuses public visibility and half-configured Cloudflare credentials', () => {
    expect(() =>
      sandboxConfigFromEnv({
        CLICKGATE_URLSCAN_API_KEY: 'k',
        CLICKGATE_URLSCAN_VISIBILITY: 'public',
      }),
    ).toThrow('CLICKGATE_URLSCAN_VISIBILITY must be "unlisted" or "private"')
    expect(() => sandboxConfigFromEnv({ CLICKGATE_CLOUDFLARE_SCANNER_TOKEN: 't' })).toThrow(
      'CLICKGATE_CLOUDFLARE_SCANNER_TOKEN and CLICKGATE_CLOUDFLARE_ACCOUNT_ID are needed together',
    )
    expect(() =>
      sandboxConfigFromEnv({
        CLICKGATE_URLSCAN_API_KEY: 'k',
        CLICKGATE_URLSCAN_API_URL: 'http://scanner.example',
      }),
    ).toThrow('CLICKGATE_URLSCAN_API_URL must be an https URL')
  })
})

function fail(): never {
  throw new Error('scanner settings missing')
}
