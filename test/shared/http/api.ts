/** The rewrite and rules APIs: auth, media types, limits and errors. */

import { describe, expect, it } from 'vitest'

import { ruleQueryFor } from '../../../src/core/url.js'

import {
  ADMIN_TOKEN,
  BASE_URL,
  type Harness,
  type HarnessFactory,
  REWRITE_TOKEN,
  bearer,
  testConfig,
} from '../../support/harness-core.js'

export function apiTests(make: HarnessFactory): void {
  const HTML =
    '<p><a href="https://shop.example/reset?key=K1&amp;id=7">reset</a> <a href="mailto:x@example.com">m</a></p>'

  function rewriteRequest(body: BodyInit, type: string, headers: Record<string, string> = {}) {
    return {
      method: 'POST',
      headers: { ...bearer(REWRITE_TOKEN), 'Content-Type': type, ...headers },
      body,
    }
  }

  describe('POST /api/v1/rewrite', () => {
    it('rewrites a bare HTML body and reports counts in Clickgate-Summary', async () => {
      const h = await make()

      const response = await h.app.request('/api/v1/rewrite', rewriteRequest(HTML, 'text/html'))
      const body = await response.text()

      expect(response.status).toBe(200)
      expect(body).toMatch(new RegExp(`href="${BASE_URL}/r/[A-Za-z0-9_-]{20,64}"`))
      expect(body).toContain('href="mailto:x@example.com"')
      expect(JSON.parse(response.headers.get('Clickgate-Summary') ?? '{}')).toEqual({
        found: 2,
        rewritten: 1,
        skipped: 1,
        flagged: 0,
      })
    })

    it('keeps a byte-order mark of a bare body', async () => {
      const h = await make()

      const response = await h.app.request(
        '/api/v1/rewrite',
        rewriteRequest('\uFEFFno links', 'text/plain'),
      )

      const bytes = new Uint8Array(await response.arrayBuffer())
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    })

    it('answers JSON with the full summary when asked', async () => {
      const h = await make()

      const response = await h.app.request(
        '/api/v1/rewrite',
        rewriteRequest(HTML, 'text/html', { Accept: 'application/json' }),
      )
      const json = (await response.json()) as { message: string; summary: Record<string, unknown> }

      expect(json.message).toContain(`${BASE_URL}/r/`)
      expect(json.summary).toEqual({
        found: 2,
        rewritten: 1,
        skipped: [{ url: 'mailto:x@example.com', reason: 'non_web_scheme' }],
        flagged: [],
        defanged: [],
        findings: [],
      })
    })

    it('takes message and recipient context from request headers', async () => {
      const h = await make()

      await h.app.request(
        '/api/v1/rewrite',
        rewriteRequest('see https://a.example/x', 'text/plain', {
          'Clickgate-Recipient': 'someone@contoso.example',
          'Clickgate-Message-Id': '<m1@contoso.example>',
        }),
      )

      expect((await h.deps.store.counts()).messages).toBe(1)
    })

    it('rejects missing and wrong tokens with a JSON 401', async () => {
      const h = await make()

      const missing = await h.app.request('/api/v1/rewrite', { method: 'POST', body: HTML })
      const wrong = await h.app.request(
        '/api/v1/rewrite',
        rewriteRequest(HTML, 'text/html', { Authorization: 'Bearer nope' }),
      )

      for (const response of [missing, wrong]) {
        expect(response.status).toBe(401)
        expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } })
      }
    })

    it('accepts the admin token too', async () => {
      const h = await make()

      const response = await h.app.request(
        '/api/v1/rewrite',
        rewriteRequest(HTML, 'text/html', bearer(ADMIN_TOKEN)),
      )

      expect(response.status).toBe(200)
    })

    it('refuses other media types', async () => {
      const h = await make()

      const response = await h.app.request(
        '/api/v1/rewrite',
        rewriteRequest('{}', 'application/json'),
      )

      expect(response.status).toBe(415)
      expect(await response.json()).toMatchObject({ error: { code: 'unsupported_media_type' } })
    })

    it('enforces the configured body size limit', async () => {
      const h = await make(testConfig({ CLICKGATE_MAX_BODY_BYTES: '64' }))

      const response = await h.app.request(
        '/api/v1/rewrite',
        rewriteRequest('x'.repeat(65), 'text/plain'),
      )

      expect(response.status).toBe(413)
      expect(await response.json()).toMatchObject({ error: { code: 'payload_too_large' } })
    })

    it('rate-limits per token', async () => {
      const h = await make(testConfig({ CLICKGATE_REWRITE_RATE_LIMIT: '2' }))
      const send = () => h.app.request('/api/v1/rewrite', rewriteRequest('plain', 'text/plain'))

      expect((await send()).status).toBe(200)
      expect((await send()).status).toBe(200)
      const limited = await send()

      expect(limited.status).toBe(429)
      expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } })
      const admin = await h.app.request(
        '/api/v1/rewrite',
        rewriteRequest('plain', 'text/plain', bearer(ADMIN_TOKEN)),
      )
      expect(admin.status).toBe(200)
    })

    it('logs failed authentication without the presented value', async () => {
      const h = await make()

      await h.app.request('/api/v1/rewrite', { method: 'POST', body: HTML })
      await h.app.request(
        '/api/v1/rewrite',
        rewriteRequest(HTML, 'text/html', bearer('guess-1234')),
      )

      const events = h.logs.filter((l) => l.event === 'auth.rejected')
      expect(events).toHaveLength(2)
      expect(JSON.stringify(h.logs)).not.toContain('guess-1234')
    })

    it('answers 405 for a known route with the wrong method', async () => {
      const h = await make()

      for (const [method, path] of [
        ['GET', '/api/v1/rewrite'],
        ['PUT', '/api/v1/rules'],
        ['PATCH', '/api/v1/rules/abc'],
      ] as const) {
        const response = await h.app.request(path, { method, headers: bearer(ADMIN_TOKEN) })
        expect(response.status, `${method} ${path}`).toBe(405)
        expect(await response.json()).toMatchObject({ error: { code: 'method_not_allowed' } })
      }
    })

    it('keeps unknown routes and JSON errors in one shape', async () => {
      const response = await (await make()).app.request('/nope')

      expect(response.status).toBe(404)
      expect(await response.json()).toEqual({
        error: { code: 'not_found', message: 'no such route' },
      })
    })
  })

  describe('/api/v1/rules', () => {
    const post = (h: Harness, body: unknown, token = ADMIN_TOKEN) =>
      h.app.request('/api/v1/rules', {
        method: 'POST',
        headers: { ...bearer(token), 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      })

    it('adds, lists and removes rules', async () => {
      const h = await make()

      const created = await post(h, {
        action: 'block',
        type: 'domain',
        value: 'Evil.EXAMPLE',
        note: 'phishing wave',
        expiresAt: '2027-01-01T00:00:00Z',
      })
      const rule = (await created.json()) as Record<string, unknown>
      const list = await h.app.request('/api/v1/rules', { headers: bearer(ADMIN_TOKEN) })
      const removed = await h.app.request(`/api/v1/rules/${String(rule.id)}`, {
        method: 'DELETE',
        headers: bearer(ADMIN_TOKEN),
      })

      expect(created.status).toBe(201)
      expect(rule).toMatchObject({
        action: 'block',
        type: 'domain',
        value: 'evil.example',
        note: 'phishing wave',
        expiresAt: '2027-01-01T00:00:00.000Z',
      })
      expect(((await list.json()) as { rules: unknown[] }).rules).toHaveLength(1)
      expect(removed.status).toBe(204)
      expect(h.logs.map((l) => [l.event, l.fields.value])).toEqual([
        ['rule.added', 'evil.example'],
        ['rule.removed', 'evil.example'],
      ])
    })

    it('refuses an identical rule twice, and a whole public suffix', async () => {
      const h = await make()
      const rule = { action: 'block', type: 'domain', value: 'evil.example' }

      expect((await post(h, rule)).status).toBe(201)
      const twice = await post(h, { ...rule, value: 'EVIL.example' })
      const suffix = await post(h, { ...rule, value: 'com' })
      const coUk = await post(h, { ...rule, value: 'co.uk' })

      expect(twice.status).toBe(409)
      expect(await twice.json()).toMatchObject({ error: { code: 'duplicate_rule' } })
      expect(suffix.status).toBe(400)
      expect(coUk.status).toBe(400)
      expect((await post(h, { action: 'block', type: 'host', value: '203.0.113.9' })).status).toBe(
        201,
      )
    })

    it('keeps a domain rule working on hosts with very many labels', async () => {
      const h = await make()
      await post(h, { action: 'block', type: 'domain', value: 'blocked.example' })

      const host = 'a.'.repeat(57) + 'blocked.example'
      const rules = await h.deps.store.matchRules(
        ruleQueryFor(`https://${host}/phish`),
        h.clock.now,
      )

      expect(rules).toHaveLength(1)
    })

    it('matches a url rule whatever the fragment', async () => {
      const h = await make()
      const created = await post(h, {
        action: 'block',
        type: 'url',
        value: 'https://x.example/a?b=1#top',
      })
      const rule = (await created.json()) as { value: string }

      const rules = await h.deps.store.matchRules(
        ruleQueryFor('https://x.example/a?b=1#frag'),
        h.clock.now,
      )

      expect(rule.value).toBe('https://x.example/a?b=1')
      expect(rules).toHaveLength(1)
    })

    it('needs a JSON body', async () => {
      const h = await make()

      const response = await h.app.request('/api/v1/rules', {
        method: 'POST',
        headers: { ...bearer(ADMIN_TOKEN), 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'action=block&type=host&value=a.example',
      })

      expect(response.status).toBe(415)
    })

    it('rejects invalid rules with a clear message', async () => {
      const h = await make()
      const cases = [
        { action: 'deny', type: 'domain', value: 'a.example' },
        { action: 'block', type: 'regex', value: 'a' },
        { action: 'block', type: 'domain', value: 'https://a.example/' },
        { action: 'block', type: 'url', value: 'ftp://a.example/' },
        { action: 'block', type: 'host', value: 'a.example', expiresAt: 'tomorrow' },
        { action: 'block', type: 'host', value: 'a.example', expiresAt: '2001-01-01T00:00:00Z' },
        { action: 'block', type: 'host', value: '' },
        { action: 'block', type: 'domain', value: '*.wild.example' },
        { action: 'block', type: 'domain', value: 'wild$.example' },
        { action: 'block', type: 'domain', value: '.' },
        { action: 'block', type: 'host', value: 'a.example', expiresAt: '2999-02-30' },
        { action: 'block', type: 'url', value: 'https://a.example/' + 'x'.repeat(9000) },
      ]

      for (const body of cases) {
        const response = await post(h, body)
        expect(response.status, JSON.stringify(body)).toBe(400)
        expect(await response.json()).toMatchObject({ error: { code: 'invalid_rule' } })
      }
      expect((await post(h, 'not an object')).status).toBe(400)
    })

    it('needs the admin token, not the rewrite token', async () => {
      const h = await make()

      expect(
        (await post(h, { action: 'block', type: 'host', value: 'a.example' }, REWRITE_TOKEN))
          .status,
      ).toBe(401)
      expect((await h.app.request('/api/v1/rules')).status).toBe(401)
      expect((await h.app.request('/api/v1/rules/x', { method: 'DELETE' })).status).toBe(401)
    })

    it('answers 404 for removing an unknown rule', async () => {
      const h = await make()

      const response = await h.app.request('/api/v1/rules/nope', {
        method: 'DELETE',
        headers: bearer(ADMIN_TOKEN),
      })

      expect(response.status).toBe(404)
    })
  })
}
