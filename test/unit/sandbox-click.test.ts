/**
 * The sandbox at click time, through the real app: the "checking" page, the
 * wait budget, stale results, redirect hops judged by the other signals,
 * and the sandbox switched off.
 */

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { ADMIN_TOKEN, REWRITE_TOKEN, bearer } from '../support/harness.js'
import { SITE_ADDRESS, type SiteServer, startSite, tableResolver } from '../support/loopback.js'
import { LANDING, html, microsoftSignIn, redirect, router } from '../support/pages.js'
import { type SandboxHarness, createSandboxHarness, pathOf } from '../support/sandbox-harness.js'

let site: SiteServer
let release: () => void = () => {}
let held: Promise<void> = Promise.resolve()
let h: SandboxHarness | null = null

const resolve = tableResolver({
  'fixtures.example': [SITE_ADDRESS],
  'msft-account-check.example': [SITE_ADDRESS],
  'tracker-bad.example': [SITE_ADDRESS],
})

function hold(): void {
  held = new Promise((done) => (release = done))
}

beforeAll(async () => {
  site = await startSite(
    router({
      '/signin': html(microsoftSignIn('https://collect.msft-account-check.example/post.php')),
      '/held-signin': (req, res) => {
        void held.then(() => html(microsoftSignIn('/post'))(req, res))
      },
      '/landing': html(LANDING),
      '/bounce': (req, res) =>
        redirect(`http://tracker-bad.example:${site.port}/landing`)(req, res),
    }),
  )
})

afterEach(async () => {
  release()
  await h?.close()
  h = null
})

afterAll(async () => {
  await site?.close()
})

async function harness(env: Record<string, string> = {}) {
  h = await createSandboxHarness({ env, resolve, allow: [`${SITE_ADDRESS}:${site.port}`] })
  return h
}

function target(host: string, path: string): string {
  return `http://${host}:${site.port}${path}`
}

describe('sandbox at click time', () => {
  it('shows a self-refreshing "checking" page, then the block page with the evidence', async () => {
    const t = await harness({ CLICKGATE_SANDBOX_CLICK_WAIT_MS: '0' })
    hold()
    const url = target('msft-account-check.example', '/held-signin')
    const [link] = await t.linksFor([url])

    const first = await t.app.request(pathOf(link ?? ''))
    const page = await first.text()
    expect(first.status).toBe(200)
    expect(first.headers.get('Cache-Control')).toBe('no-store')
    expect(page).toContain('Checking this link')
    const refresh = /<meta http-equiv="refresh" content="3; url=([^"]+)"/.exec(page)?.[1]
    expect(refresh).toBe(`${new URL(link ?? '').pathname}?checking=1`)

    release()
    await t.sandbox?.worker.settled(url, 10_000)
    const second = await t.app.request(refresh ?? '')
    const blocked = await second.text()

    expect(second.status).toBe(403)
    expect(blocked).toContain('brand_impersonation')
    expect(blocked).toContain('does not belong to Microsoft')
    expect(blocked).toContain('it shows an image named “microsoft_logo.svg”')
    await t.settle()
    const clicks = await t.store.listClicks({ limit: 10 })
    expect(clicks.map((c) => c.verdict).sort()).toEqual(['block', 'pending'])
  })

  it('keeps the "checking" page over a warning from another signal, so a block can still come', async () => {
    const t = await harness({ CLICKGATE_SANDBOX_CLICK_WAIT_MS: '0' })
    hold()
    const url = target('msft-account-check.example', '/held-signin')
    const response = await t.app.request('/api/v1/rewrite', {
      method: 'POST',
      headers: { ...bearer(REWRITE_TOKEN), 'Content-Type': 'text/html' },
      body: `<a href="${url}">Open</a> <a href="javascript:alert(1)">x</a>`,
    })
    const link = /href="(https:[^"]+)"/.exec(await response.text())?.[1] ?? ''

    const first = await t.app.request(pathOf(link))
    expect(await first.text()).toContain('Checking this link')

    release()
    await t.sandbox?.worker.settled(url, 10_000)
    const settled = await t.app.request(`${pathOf(link)}?checking=1`)
    const page = await settled.text()
    expect(settled.status).toBe(403)
    expect(page).toContain('brand_impersonation')
    expect(page).toContain('script_link_in_message')
  })

  it('waits up to the click budget and answers with the verdict at once', async () => {
    const t = await harness({ CLICKGATE_SANDBOX_CLICK_WAIT_MS: '10000' })
    const [link] = await t.linksFor([target('msft-account-check.example', '/signin')])

    const response = await t.app.request(pathOf(link ?? ''))

    expect(response.status).toBe(403)
    expect(await response.text()).toContain('brand_impersonation')
  })

  it('redirects once a benign page is scanned, and re-scans at the click when the result is stale', async () => {
    const t = await harness({ CLICKGATE_SANDBOX_TTL_HOURS: '1' })
    const url = target('fixtures.example', '/landing')
    const [link] = await t.linksFor([url])
    await t.drain()
    const before = site.hits.get('/landing') ?? 0

    const fresh = await t.app.request(pathOf(link ?? ''))
    expect(fresh.status).toBe(302)
    expect(fresh.headers.get('Location')).toBe(url)
    expect(site.hits.get('/landing') ?? 0).toBe(before)

    t.clock.now += 2 * 3_600_000
    const stale = await t.app.request(pathOf(link ?? ''))
    expect(stale.status).toBe(302)
    expect(site.hits.get('/landing')).toBe(before + 1)
  })

  it('judges every redirect hop with the other signals: a blocked hop blocks the link', async () => {
    const t = await harness()
    const rule = await t.app.request('/api/v1/rules', {
      method: 'POST',
      headers: { ...bearer(ADMIN_TOKEN), 'Content-Type': 'application/json' },
      body: JSON.stringify({ action: 'block', type: 'domain', value: 'tracker-bad.example' }),
    })
    expect(rule.status).toBe(201)
    const [link] = await t.linksFor([target('fixtures.example', '/bounce')])
    await t.drain()

    const response = await t.app.request(pathOf(link ?? ''))
    const page = await response.text()

    expect(response.status).toBe(403)
    expect(page).toContain('redirect_admin_block')
    expect(page).toContain(
      `The link redirects through http://tracker-bad.example:${site.port}/landing`,
    )
  })

  it('warns when the scan has not finished within the check limit', async () => {
    const t = await harness({
      CLICKGATE_SANDBOX_CLICK_WAIT_MS: '0',
      CLICKGATE_SANDBOX_CHECK_LIMIT_SECONDS: '1',
    })
    hold()
    const [link] = await t.linksFor([target('fixtures.example', '/held-signin')])
    const first = await t.app.request(pathOf(link ?? ''))
    expect(await first.text()).toContain('Checking this link')

    t.clock.now += 1_000
    const later = await t.app.request(`${pathOf(link ?? '')}?checking=1`)
    const page = await later.text()

    expect(later.status).toBe(200)
    expect(page).toContain('scan_unfinished')
    expect(page).toContain('Check this link before you go on')
  })

  it('with the sandbox off, queues nothing, fetches nothing, and redirects', async () => {
    const t = await harness({ CLICKGATE_SANDBOX: 'off' })
    const before = site.hits.get('/landing') ?? 0
    const [link] = await t.linksFor([target('fixtures.example', '/landing')])

    const response = await t.app.request(pathOf(link ?? ''))

    expect(response.status).toBe(302)
    expect(await t.store.scans.counts()).toEqual({ queued: 0, running: 0, done: 0, skipped: 0 })
    expect(site.hits.get('/landing') ?? 0).toBe(before)
  })
})
