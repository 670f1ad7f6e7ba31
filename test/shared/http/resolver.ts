/** GET /r/:token: redirects, pages, rejections and click recording. */

import { describe, expect, it } from 'vitest'

import { signToken } from '../../../src/core/tokens.js'
import { ADMIN_TOKEN, type HarnessFactory, bearer, testConfig } from '../../support/harness-core.js'
import { addRule, linkFor } from './helpers.js'

export function resolverTests(make: HarnessFactory): void {
  describe('GET /r/:token', () => {
    it('redirects to the target exactly as authored, with no referrer and no caching', async () => {
      const h = await make()
      const target = 'https://shop.example/catalogue?key=K1&id=7#Top'

      const response = await h.app.request(await linkFor(h, target))

      expect(response.status).toBe(302)
      expect(response.headers.get('Location')).toBe(target)
      expect(response.headers.get('Referrer-Policy')).toBe('no-referrer')
      expect(response.headers.get('Cache-Control')).toBe('no-store')
      expect(response.headers.get('Strict-Transport-Security')).toContain('max-age=')
      expect(response.headers.get('Content-Security-Policy')).toBeNull()
    })

    it('sends no HSTS on a redirect from a plain-http base URL', async () => {
      const h = await make(testConfig({ CLICKGATE_BASE_URL: 'http://localhost:8787' }))

      const response = await h.app.request(await linkFor(h, 'https://news.example/a'))

      expect(response.status).toBe(302)
      expect(response.headers.get('Referrer-Policy')).toBe('no-referrer')
      expect(response.headers.get('Strict-Transport-Security')).toBeNull()
    })

    it('serialises a non-ASCII target the way a browser requests it', async () => {
      const h = await make()

      const response = await h.app.request(await linkFor(h, 'https://bücher.example/straße?q=ü'))

      expect(response.headers.get('Location')).toBe(
        'https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC',
      )
    })

    it('blocks a domain rule on its subdomains with a page that has no way through', async () => {
      const h = await make()
      const path = await linkFor(h, 'https://login.evil.example/phish')
      await addRule(h, {
        action: 'block',
        type: 'domain',
        value: 'evil.example',
        note: 'campaign 42',
      })

      const response = await h.app.request(path)
      const html = await response.text()

      expect(response.status).toBe(403)
      expect(html).toContain('<mark>evil.example</mark>')
      expect(html).not.toContain('href="https://login.evil.example')
      expect(response.headers.get('Content-Security-Policy')).toContain("default-src 'none'")
    })

    it('applies a rule change on the very next click', async () => {
      const h = await make()
      const path = await linkFor(h, 'https://news.example/a')

      expect((await h.app.request(path)).status).toBe(302)
      const { json } = await addRule(h, { action: 'block', type: 'host', value: 'news.example' })
      expect((await h.app.request(path)).status).toBe(403)

      await h.app.request(`/api/v1/rules/${String(json.id)}`, {
        method: 'DELETE',
        headers: bearer(ADMIN_TOKEN),
      })
      expect((await h.app.request(path)).status).toBe(302)
    })

    it('lets a block rule win over an allow rule for the same link', async () => {
      const h = await make()
      const path = await linkFor(h, 'https://files.example/bad/x.exe')
      await addRule(h, { action: 'allow', type: 'domain', value: 'files.example' })
      await addRule(h, { action: 'block', type: 'prefix', value: 'https://files.example/bad/' })

      expect((await h.app.request(path)).status).toBe(403)
    })

    it('says, escaped, that a target that cannot be parsed cannot be opened', async () => {
      const h = await make()
      const path = await linkFor(h, 'https://exa mple.example/"><script>alert(1)</script>')

      const response = await h.app.request(path)
      const html = await response.text()

      expect(response.status).toBe(403)
      expect(html).toContain('unparseable_url')
      expect(html).not.toContain('<script>')
      expect(html).toContain('&lt;script&gt;')
      expect(html).not.toContain('class="continue"')
    })

    it('never redirects to a script or data target (case 11)', async () => {
      const h = await make()

      for (const target of [
        'javascript:alert(1)',
        'data:text/html,<b>x</b>',
        'vbscript:msgbox(1)',
      ]) {
        const response = await h.app.request(await linkFor(h, target))
        expect(response.status).toBe(403)
        expect(response.headers.get('Location')).toBeNull()
        expect(await response.text()).toContain('not_http')
      }
    })

    it('shows a userinfo trick for what it is', async () => {
      const h = await make()
      await addRule(h, { action: 'block', type: 'domain', value: 'evil.example' })

      const html = await (
        await h.app.request(await linkFor(h, 'https://bank.example@evil.example/'))
      ).text()

      expect(html).toContain('<del title="user name in the link">bank.example@</del>')
      expect(html).toContain('<mark>evil.example</mark>')
    })

    it('answers forged, unknown and expired links with one 404 page and logs why (case 12)', async () => {
      const h = await make(testConfig({ CLICKGATE_LINK_TTL_DAYS: '1' }))
      const good = await linkFor(h, 'https://good.example/')
      const unknown = `/r/${await signToken(h.deps.config.ring, { linkId: 999_999, issuedAt: 1 })}`
      const expiring = `/r/${await signToken(h.deps.config.ring, { linkId: 1, issuedAt: 1, expiresAt: 2 })}`
      // Change a character inside the MAC, never the last one, whose low bits are padding
      // and would make the token non-canonical (malformed) rather than wrongly signed.
      const at = good.length - 6
      const forged = good.slice(0, at) + (good[at] === 'A' ? 'B' : 'A') + good.slice(at + 1)

      const bodies = new Set<string>()
      for (const path of [forged, unknown, expiring, '/r/x', '/r/' + 'A'.repeat(300)]) {
        const response = await h.app.request(path)
        expect(response.status).toBe(404)
        bodies.add(await response.text())
      }

      expect(bodies.size).toBe(1)
      const reasons = h.logs.filter((l) => l.event === 'token.rejected').map((l) => l.fields.reason)
      expect(reasons).toEqual([
        'bad_signature',
        'unknown_link',
        'expired',
        'malformed',
        'malformed',
      ])
    })

    it('checks the signature before any storage work', async () => {
      const h = await make()
      const good = await linkFor(h, 'https://good.example/')
      let lookups = 0
      const original = h.deps.store.getLinkUrl.bind(h.deps.store)
      h.deps.store.getLinkUrl = async (id) => {
        lookups++
        return original(id)
      }

      await h.app.request(good.slice(0, -3) + 'zzz')
      await h.app.request('/r/not-a-token')
      expect(lookups).toBe(0)

      await h.app.request(good)
      expect(lookups).toBe(1)
    })

    it('records each click after answering, with hashed recipient and IP', async () => {
      const h = await make()
      const recipientRef = await h.deps.hasher.recipientRef('A.User@Contoso.example')
      const path = await linkFor(h, 'https://good.example/', { recipientRef })

      await h.app.request(path, { headers: { 'User-Agent': 'Mozilla/5.0 test' } })
      await h.settle()

      const clicks = await h.deps.store.listClicks({
        recipientRef: await h.deps.hasher.recipientRef('a.user@contoso.example'),
        limit: 10,
      })
      expect(clicks).toHaveLength(1)
      expect(clicks[0]).toMatchObject({
        verdict: 'allow',
        userAgent: 'Mozilla/5.0 test',
        keyId: 'k1',
      })
      expect(clicks[0]?.ipHash).toMatch(/^[0-9a-f]{16}$/)
      expect(h.logs.find((l) => l.event === 'click')?.fields).toMatchObject({ verdict: 'allow' })
    })

    it('answers anything else under /r/ with the same 404 page, uncached', async () => {
      const h = await make()
      const good = await linkFor(h, 'https://good.example/')

      for (const path of [good + '/', good + '/x', '/r/', '/r/a/b']) {
        const response = await h.app.request(path)
        expect(response.status, path).toBe(404)
        expect(response.headers.get('Content-Type')).toContain('text/html')
        expect(response.headers.get('Cache-Control')).toBe('no-store')
      }
    })

    it('warns on a target with backslashes and serialises it instead of passing them on', async () => {
      const h = await make()

      const response = await h.app.request(await linkFor(h, 'https://evil.example\\@good.example/'))
      const html = await response.text()

      // Browsers read the backslash as a slash: the heuristics call the spelling a disguise.
      expect(response.status).toBe(200)
      expect(html).toContain('url_obfuscated_encoding')
      expect(html).toContain('href="https://evil.example/@good.example/"')
    })

    it('serves the stylesheet its pages need from its own origin', async () => {
      const h = await make()

      const response = await h.app.request('/assets/clickgate.css')

      expect(response.status).toBe(200)
      expect(response.headers.get('Content-Type')).toContain('text/css')
    })
  })
}
