/**
 * Links that look one-time are never fetched by the sandbox: not when they
 * are rewritten, not when they are clicked, and not when a scanned page
 * redirects to one. A hit-counting server proves it.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { SITE_ADDRESS, type SiteServer, startSite, tableResolver } from '../support/loopback.js'
import { LANDING, html, redirect, router } from '../support/pages.js'
import { type SandboxHarness, createSandboxHarness, pathOf } from '../support/sandbox-harness.js'

const ONE_TIME_PATHS = [
  '/auth/verify',
  '/reset-password',
  '/account/unsubscribe',
  '/login/magic-link',
  '/email/confirm',
  '/api/login-token/abc',
]

let site: SiteServer
let h: SandboxHarness

beforeAll(async () => {
  const spent = html('<title>Done</title><p>This link has now been used.</p>')
  site = await startSite(
    router({
      ...Object.fromEntries(ONE_TIME_PATHS.map((path) => [path, spent])),
      '/welcome': redirect('/email/confirm?token=8f2c'),
      '/newsletter': html(LANDING),
    }),
  )
  h = await createSandboxHarness({
    env: { CLICKGATE_SANDBOX_CLICK_WAIT_MS: '5000' },
    resolve: tableResolver({ 'shop.example': [SITE_ADDRESS] }),
    allow: [`${SITE_ADDRESS}:${site.port}`],
  })
})

afterAll(async () => {
  await h?.close()
  await site?.close()
})

describe('one-time links', () => {
  it('are never fetched, at rewrite, at click, or as a redirect target', async () => {
    const origin = `http://shop.example:${site.port}`
    const oneTime = ONE_TIME_PATHS.map((path) => `${origin}${path}?token=once-${path.length}`)
    const ordinary = [`${origin}/welcome`, `${origin}/newsletter`]
    const links = await h.linksFor([...oneTime, ...ordinary])
    await h.drain()

    // A bare request is a program's: one-time targets get the harmless page, the rest redirect.
    for (const [index, link] of links.entries()) {
      const response = await h.app.request(pathOf(link))
      expect(response.status, link).toBe(index < oneTime.length ? 200 : 302)
      if (index < oneTime.length) expect(response.headers.get('Location'), link).toBeNull()
    }

    for (const path of ONE_TIME_PATHS) expect(site.hits.get(path) ?? 0, path).toBe(0)
    expect(site.hits.get('/welcome')).toBe(1)
    expect(site.hits.get('/newsletter')).toBe(1)
    for (const url of oneTime) expect(await h.store.scans.get(url), url).toBeNull()
  })

  it('stop the chain in front of them, and the report says where', async () => {
    const record = await h.store.scans.get(`http://shop.example:${site.port}/welcome`)

    expect(record?.state).toBe('done')
    expect(record?.reports[0]?.stoppedAtOneTime).toBe(
      `http://shop.example:${site.port}/email/confirm?token=8f2c`,
    )
  })
})
