/**
 * Every page a click can end on, checked for what a reader and a hostile
 * tester look at: status, headers, the destination shown, the reasons, and
 * whether there is a way through.
 */

import { describe, expect, it } from 'vitest'

import { type Harness, type HarnessFactory, testConfig } from '../../support/harness-core.js'
import { signedLinks } from '../../support/links.js'
import { addRule, linkFor } from './helpers.js'

async function page(h: Harness, path: string) {
  const response = await h.app.request(path)
  return { response, html: await response.text() }
}

function expectPageHeaders(response: Response) {
  expect(response.headers.get('Content-Type')).toBe('text/html; charset=UTF-8')
  expect(response.headers.get('Content-Security-Policy')).toContain("default-src 'none'")
  expect(response.headers.get('Referrer-Policy')).toBe('no-referrer')
  expect(response.headers.get('X-Frame-Options')).toBe('DENY')
}

export function pageTests(make: HarnessFactory): void {
  describe('verdict pages', () => {
    it('allow: a bare 302 with no page and no caching', async () => {
      const h = await make()

      const { response, html } = await page(h, await linkFor(h, 'https://fine.example/a?b=1'))

      expect(response.status).toBe(302)
      expect(response.headers.get('Location')).toBe('https://fine.example/a?b=1')
      expect(response.headers.get('Cache-Control')).toBe('no-store')
      expect(html).toBe('')
    })

    it('block (admin rule): 403, the registered domain marked, the rule note, and no link onward', async () => {
      const h = await make()
      const path = await linkFor(h, 'https://login.evil.example/reset?u=1')
      await addRule(h, { action: 'block', type: 'domain', value: 'evil.example', note: 'wave 7' })

      const { response, html } = await page(h, path)

      expect(response.status).toBe(403)
      expectPageHeaders(response)
      expect(html).toContain('<title>This link has been blocked · clickgate</title>')
      expect(html).toContain('<span>login.</span><mark>evil.example</mark>')
      expect(html).toContain('Registered domain: <strong>evil.example</strong>')
      expect(html).toContain(
        'Your organisation has a rule that blocks this address. <small>(admin_block)</small>',
      )
      expect(html).not.toContain('class="continue"')
      expect(html).not.toMatch(/href="https?:\/\/login\.evil/)
    })

    it('warn (message finding): 200, the reason, and a continue link to the exact target', async () => {
      const h = await make()
      const { output } = await h.deps.rewriter.rewriteHtml(
        '<a href="javascript:steal()">x</a><a href="https://fine.example/p?q=1&amp;r=2">y</a>',
      )
      const [link] = signedLinks(output, h.deps)

      const { response, html } = await page(h, new URL(link ?? '').pathname)

      expect(response.status).toBe(200)
      expectPageHeaders(response)
      expect(html).toContain('<title>Check this link before you go on · clickgate</title>')
      expect(html).toContain('(script_link_in_message)')
      expect(html).toContain(
        '<a class="continue" href="https://fine.example/p?q=1&amp;r=2" rel="noopener noreferrer nofollow">',
      )
    })

    it('not http: 403, the scheme named, and a page that says it cannot be opened', async () => {
      const h = await make()

      const { response, html } = await page(
        h,
        await linkFor(h, 'javascript:alert(document.domain)'),
      )

      expect(response.status).toBe(403)
      expect(html).toContain('(not_http)')
      expect(html).toContain('<title>This link cannot be opened · clickgate</title>')
      expect(html).not.toContain('class="continue"')
      expect(html).not.toContain('<script')
    })

    it('unparseable: 403, the raw target escaped, and no way to open it', async () => {
      const h = await make()

      const { response, html } = await page(h, await linkFor(h, 'https://a b.example/<img src=x>'))

      expect(response.status).toBe(403)
      expect(html).toContain('(unparseable_url)')
      expect(html).toContain('&lt;img src=x&gt;')
      expect(html).not.toContain('<img src=x>')
      expect(html).not.toContain('class="continue"')
    })

    it('not found: one 404 page for every link we will not follow', async () => {
      const h = await make()

      const { response, html } = await page(h, '/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')

      expect(response.status).toBe(404)
      expectPageHeaders(response)
      expect(html).toContain('<h1>This link is not valid</h1>')
    })
  })

  describe('page headers', () => {
    it('sends a doctype, and HSTS only for an https base URL', async () => {
      const https = await make()
      const page = await https.app.request('/r/x')
      const pageText = await page.text()
      const http = await make(testConfig({ CLICKGATE_BASE_URL: 'http://localhost:8787' }))

      expect(pageText).toMatch(/^<!DOCTYPE html><html lang="en">/)
      expect(page.headers.get('Strict-Transport-Security')).toContain('max-age=')
      expect((await http.app.request('/r/x')).headers.get('Strict-Transport-Security')).toBeNull()
    })

    it('gives a damaged link, a wrong method and an unknown route the headers of every page', async () => {
      const h = await make()

      for (const [method, path] of [
        ['GET', '/r/a/b'],
        ['GET', '/r/TOKEN/'],
        ['PUT', '/r/TOKEN'],
        ['GET', '/r/TOKEN/go'],
      ] as const) {
        const response = await h.app.request(path, { method })
        expect([method, path, response.status]).toEqual([method, path, 404])
        expectPageHeaders(response)
        expect(await response.text()).toContain('<!DOCTYPE html>')
      }
      const unknown = await h.app.request('/no/such/route')
      expect(unknown.status).toBe(404)
      expect(unknown.headers.get('Content-Type')).toContain('application/json')
      expect(unknown.headers.get('X-Content-Type-Options')).toBe('nosniff')
      expect(unknown.headers.get('Referrer-Policy')).toBe('no-referrer')
    })
  })
}
