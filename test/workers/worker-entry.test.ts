/**
 * src/worker.ts itself, with the bindings of wrangler.toml: the fetch path
 * over D1 with `waitUntil` and CF-Connecting-IP, configuration errors, and
 * the Workers Rate Limiting binding.
 */

import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'

import { createHasher } from '../../src/core/hashing.js'
import { fromBase64Url } from '../../src/core/bytes.js'
import { SqlStore } from '../../src/core/sql-store.js'
import worker from '../../src/worker.js'
import { SAMPLE_ALERT } from '../shared/http/alert.js'
import {
  ADMIN_TOKEN,
  BASE_URL,
  HASH_SECRET,
  REWRITE_TOKEN,
  bearer,
} from '../support/harness-core.js'
import { signedLinks } from '../support/links.js'
import { freshDatabase, testEnv } from './d1-harness.js'

/**
 * The bindings without the rate limiter, whose counters last the whole run:
 * only the rate limit test below goes through it.
 */
const unlimitedEnv = { ...testEnv, REWRITE_LIMITER: undefined }

/** Calls the Worker's fetch as the runtime would, and waits for its waitUntil work. */
async function call(path: string, init: RequestInit = {}, env: object = unlimitedEnv) {
  const ctx = createExecutionContext()
  const response = await worker.fetch(new Request(BASE_URL + path, init), env, ctx)
  await waitOnExecutionContext(ctx)
  return response
}

function rewrite(token = REWRITE_TOKEN, env: object = unlimitedEnv) {
  const body = 'see https://a.example/x'
  const headers = { ...bearer(token), 'Content-Type': 'text/plain' }
  return call('/api/v1/rewrite', { method: 'POST', headers, body }, env)
}

/** Structured log lines written to the console, parsed. */
function consoleEvents(spy: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
  return spy.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>)
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('the rewrite rate limit on Workers', () => {
  it('counts per token through the Rate Limiting binding', async () => {
    await freshDatabase()

    // The binding counts in fixed one-minute windows on the wall clock: a window may
    // roll over between two requests, so allow up to two more requests before the 429.
    const responses = []
    for (let i = 0; i < 5; i++) responses.push(await rewrite(REWRITE_TOKEN, testEnv))
    const admin = await rewrite(ADMIN_TOKEN, testEnv)

    const statuses = responses.map((r) => r.status)
    expect(statuses.slice(0, 2)).toEqual([200, 200])
    const limited = responses.find((r) => r.status === 429)
    expect(limited, statuses.join(',')).toBeDefined()
    expect(await limited?.json()).toMatchObject({ error: { code: 'rate_limited' } })
    expect(admin.status).toBe(200)
  })
})

describe('the Worker entry', () => {
  it('rewrites and redirects over D1, recording the click after answering', async () => {
    await freshDatabase()
    const log = vi.spyOn(console, 'log')

    const rewritten = await rewrite()
    const [link] = signedLinks(await rewritten.text(), { config: { baseUrl: new URL(BASE_URL) } })
    const click = await call(new URL(link ?? '').pathname, {
      headers: { 'CF-Connecting-IP': '203.0.113.9', 'User-Agent': 'worker-test' },
    })

    expect(rewritten.status).toBe(200)
    expect(click.status).toBe(302)
    expect(click.headers.get('Location')).toBe('https://a.example/x')
    const [stored] = await new SqlStore(testEnv.DB).listClicks({ limit: 5 })
    const hasher = createHasher(fromBase64Url(HASH_SECRET) ?? new Uint8Array())
    expect(stored).toMatchObject({ userAgent: 'worker-test', verdict: 'allow' })
    expect(stored?.ipHash).toBe(await hasher.ipHash('203.0.113.9'))
    expect(consoleEvents(log).map((e) => e.event)).toEqual(['rewrite', 'click'])
  })

  it('rewrites the sample alert through the Worker', async () => {
    await freshDatabase()

    const response = await call('/api/v1/rewrite', {
      method: 'POST',
      headers: { ...bearer(REWRITE_TOKEN), 'Content-Type': 'message/rfc822' },
      body: SAMPLE_ALERT,
    })

    expect(response.status).toBe(200)
    expect(JSON.parse(response.headers.get('Clickgate-Summary') ?? '{}')).toMatchObject({
      rewritten: 11,
    })
  })

  it('says it runs on Workers and which features it lacks', async () => {
    await freshDatabase()

    const health = (await (
      await call('/healthz', { headers: bearer(ADMIN_TOKEN) })
    ).json()) as Record<string, unknown>

    expect(health).toMatchObject({ runtime: 'workers', keyIds: ['w1'] })
    expect(health.unavailable).toEqual(['dkim', 'arc', 'sandbox_fetch'])
  })
})

describe('the Worker without its configuration', () => {
  it('answers 503 naming a missing secret, logs it once, and never crashes', async () => {
    const errors = vi.spyOn(console, 'error')
    const env = { ...unlimitedEnv, CLICKGATE_KEYS: undefined }

    const api = await call('/healthz', {}, env)
    const again = await call('/api/v1/rules', { headers: bearer(ADMIN_TOKEN) }, env)
    const click = await call('/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAA', {}, env)
    const clickPage = await click.text()

    expect(api.status).toBe(503)
    expect(await api.json()).toEqual({
      error: {
        code: 'unavailable',
        message: 'clickgate is not configured: CLICKGATE_KEYS is not set',
      },
    })
    expect(again.status).toBe(503)
    expect(click.status).toBe(503)
    expect(click.headers.get('Content-Type')).toContain('text/html')
    expect(clickPage).toContain('This link cannot be checked right now')
    expect(clickPage).not.toContain('CLICKGATE')
    expect(consoleEvents(errors)).toMatchObject([
      { level: 'error', event: 'config.invalid', error: 'CLICKGATE_KEYS is not set' },
    ])
  })

  it('names a missing D1 binding, a missing base URL and a weak token', async () => {
    const cases: [object, string][] = [
      [{ ...unlimitedEnv, DB: undefined }, 'the D1 binding "DB" is missing'],
      [{ ...unlimitedEnv, CLICKGATE_BASE_URL: undefined }, 'CLICKGATE_BASE_URL is not set'],
      [
        { ...unlimitedEnv, CLICKGATE_ADMIN_TOKEN: 'short' },
        'CLICKGATE_ADMIN_TOKEN must be at least',
      ],
    ]

    for (const [env, message] of cases) {
      const response = await call('/healthz', {}, env)
      expect(response.status).toBe(503)
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
        message,
      )
    }
  })

  it('never puts a secret value in the answer or the log', async () => {
    const errors = vi.spyOn(console, 'error')
    const env = { ...unlimitedEnv, CLICKGATE_HASH_SECRET: 'dG9vLXNob3J0' }

    const body = await (await call('/healthz', {}, env)).text()

    expect(body).toContain('CLICKGATE_HASH_SECRET must be at least 32 bytes')
    expect(body + JSON.stringify(errors.mock.calls)).not.toContain('dG9vLXNob3J0')
  })
})
