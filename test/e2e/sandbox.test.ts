/**
 * The sandbox end to end, against the real `clickgate serve` process: a
 * never-seen phishing-like page on loopback is rewritten, clicked, shown as
 * "checking" while the sandbox looks at it, and ends on the warning page
 * with the evidence; a fake Microsoft sign-in ends on the block page.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { type SiteServer, startSite } from '../support/loopback.js'
import { html, microsoftSignIn, offsiteLogin, router } from '../support/pages.js'
import { type RunningServer, startServer } from '../support/server.js'

const REWRITE_TOKEN = 'e2e-rewrite-token-0123456789abcdef'
const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef'
const HASH_SECRET = 'ZTJlLWhhc2gtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWYwMTIz'
const KEYS = 'e2e:' + Buffer.alloc(32, 9).toString('base64url')

let site: SiteServer
let server: RunningServer
let release: () => void = () => {}
const held = new Promise<void>((done) => (release = done))

beforeAll(async () => {
  site = await startSite(
    router({
      '/members': (req, res) => {
        void held.then(() => html(offsiteLogin('https://collector.example/gate.php'))(req, res))
      },
      '/owa/signin': html(microsoftSignIn('https://collector.example/owa.php')),
    }),
    '127.0.0.1',
  )
  server = await startServer({
    CLICKGATE_KEYS: KEYS,
    CLICKGATE_HASH_SECRET: HASH_SECRET,
    CLICKGATE_ADMIN_TOKEN: ADMIN_TOKEN,
    CLICKGATE_REWRITE_TOKEN: REWRITE_TOKEN,
    CLICKGATE_SANDBOX: 'on',
    CLICKGATE_SANDBOX_CLICK_WAIT_MS: '0',
    CLICKGATE_SANDBOX_TEST_ALLOW: `127.0.0.1:${site.port}`,
  })
})

afterAll(async () => {
  release()
  await server?.stop()
  await site?.close()
})

async function rewrite(targets: string[]): Promise<string[]> {
  const response = await fetch(`${server.baseUrl}/api/v1/rewrite`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${REWRITE_TOKEN}`, 'Content-Type': 'text/html' },
    body: targets.map((t) => `<p><a href="${t}">Open</a></p>`).join('\n'),
  })
  expect(response.status).toBe(200)
  const body = await response.text()
  return [...body.matchAll(/href="([^"]+)"/g)].map((m) =>
    (m[1] ?? '').replace('localhost', '127.0.0.1'),
  )
}

/** Follows the "checking" page's own refresh until it turns into an answer (at most 40 reloads). */
async function clickUntilSettled(link: string) {
  let url = link
  for (let reloads = 0; reloads < 40; reloads++) {
    const response = await fetch(url, { redirect: 'manual' })
    const page = await response.text()
    const refresh = /<meta http-equiv="refresh" content="\d+; url=([^"]+)"/.exec(page)?.[1]
    if (!refresh) return { response, page, reloads }
    await new Promise((resolve) => setTimeout(resolve, 250))
    url = new URL(refresh.replaceAll('&amp;', '&'), url).href
  }
  throw new Error('the checking page never settled')
}

describe('sandbox end to end', () => {
  it('ends a click on a never-seen phishing-like page on the warning page, with the evidence', async () => {
    const target = `http://127.0.0.1:${site.port}/members`
    const [link] = await rewrite([target])

    const first = await fetch(link ?? '', { redirect: 'manual' })
    const checking = await first.text()
    expect(first.status).toBe(200)
    expect(checking).toContain('Checking this link')
    release()

    const { response, page } = await clickUntilSettled(link ?? '')
    expect(response.status).toBe(200)
    expect(page).toContain('Check this link before you go on')
    expect(page).toContain('credential_form_offsite')
    expect(page).toContain(
      'The page asks for a password and sends it to another site, collector.example.',
    )
    expect(page).toContain(
      'a form asks for a password and posts to https://collector.example/gate.php',
    )
    expect(page).toContain(`href="${target}"`)
    expect(site.hits.get('/members')).toBe(1)
  })

  it('ends a click on a fake Microsoft sign-in page on the block page, with the evidence', async () => {
    const [link] = await rewrite([`http://127.0.0.1:${site.port}/owa/signin`])

    const { response, page } = await clickUntilSettled(link ?? '')

    expect(response.status).toBe(403)
    expect(page).toContain('brand_impersonation')
    expect(page).toContain('The page looks like a Microsoft sign-in page and asks for credentials')
    expect(page).toContain('it shows an image named “microsoft_logo.svg”')
  })

  it('logs each scan by host only, and the sandbox start with its scanners', () => {
    const started = server.logs.find((entry) => entry.event === 'sandbox.started')
    const finished = server.logs.filter((entry) => entry.event === 'scan.finished')

    expect(started).toMatchObject({ scanners: ['sandbox'], testAllowance: true })
    expect(finished.map((entry) => entry.host)).toContain('127.0.0.1')
    expect(JSON.stringify(finished)).not.toContain('/members')
  })
})
