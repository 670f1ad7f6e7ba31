/**
 * Scanner-safe one-time links against the real server process, a
 * hit-counting destination on loopback, and a real Chromium for the person.
 */

import { existsSync } from 'node:fs'

import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { type RunningServer, startServer } from '../support/server.js'
import { type HitCounter, startHitCounter } from '../support/target.js'

const REWRITE_TOKEN = 'e2e-rewrite-token-0123456789abcdef'
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Headless Chromium says "HeadlessChrome", which our list rightly calls a scanner; a person's does not. */
const DESKTOP_CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

let server: RunningServer
let target: HitCounter

beforeAll(async () => {
  target = await startHitCounter()
  server = await startServer({
    CLICKGATE_REWRITE_TOKEN: REWRITE_TOKEN,
    CLICKGATE_ADMIN_TOKEN: 'e2e-admin-token-0123456789abcdef',
    // Timing evidence off, so the person below sees the confirmation page rather than the
    // scanner page (whose button would also get them through).
    CLICKGATE_FAST_CLICK_SECONDS: '0',
  })
})

afterAll(async () => {
  await server?.stop()
  await target?.close()
})

async function oneTimeLink(path: string): Promise<string> {
  const response = await fetch(`${server.baseUrl}/api/v1/rewrite`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${REWRITE_TOKEN}`, 'Content-Type': 'text/plain' },
    body: `Reset your password: ${target.origin}${path}\n`,
  })
  const text = await response.text()
  const link = /https?:\/\/\S+\/r\/[A-Za-z0-9_-]+/.exec(text)?.[0]
  if (!link) throw new Error(`no link in ${text}`)
  return link.replace('localhost', '127.0.0.1')
}

describe('one-time links and scanners', () => {
  it('spends nothing on a scanner-style GET and HEAD: the target sees 0 hits', async () => {
    const link = await oneTimeLink('/account/reset?token=scanner-1')

    const get = await fetch(link, { redirect: 'follow', headers: { 'User-Agent': 'Mimecast' } })
    const head = await fetch(link, { method: 'HEAD', redirect: 'follow' })
    const browserLike = await fetch(link, {
      redirect: 'follow',
      headers: { 'User-Agent': DESKTOP_CHROME, Accept: 'text/html', 'Accept-Language': 'en' },
    })

    expect([get.status, head.status, browserLike.status]).toEqual([200, 200, 200])
    expect(target.hits).toEqual([])
  })

  // CI installs Debian's Chromium (.ci/run) and must run this; a developer machine without
  // it skips the browser check visibly rather than failing the whole suite.
  it.skipIf(!existsSync(CHROMIUM) && process.env.CI !== 'true')(
    'lets a person through in a real Chromium: confirmation form, POST, 303, target',
    async () => {
      const link = await oneTimeLink('/account/reset?token=person-1')
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      })
      try {
        const page = await (await browser.newContext({ userAgent: DESKTOP_CHROME })).newPage()
        const violations: string[] = []
        page.on('console', (message) => violations.push(message.text()))

        await page.goto(link)
        expect(await page.textContent('h1')).toBe('Open this link?')
        expect(target.hits).toEqual([]) // the GET itself spends nothing
        await Promise.all([page.waitForURL(`${target.origin}/**`), page.click('form button')])

        expect(await page.textContent('h1')).toBe('Password reset done')
        // The browser also asks the target for /favicon.ico; only the link itself counts.
        const spent = target.hits.filter((hit) => hit.url.startsWith('/account/'))
        expect(spent).toEqual([{ method: 'GET', url: '/account/reset?token=person-1' }])
        expect(violations.filter((v) => v.includes('Content Security Policy'))).toEqual([])
      } finally {
        await browser.close()
      }
    },
  )
})
