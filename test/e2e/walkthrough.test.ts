/**
 * The README walkthrough, end to end against the real server process:
 * rewrite the sample alert over HTTP, block one domain, click every link.
 */

import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import PostalMime from 'postal-mime'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { type RunningServer, ROOT, startServer } from '../support/server.js'

const ALERT = readFileSync(join(ROOT, 'test/fixtures/sample-alert.eml'))
const REWRITE_TOKEN = 'e2e-rewrite-token-0123456789abcdef'
const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef'
const HASH_SECRET = 'ZTJlLWhhc2gtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWYwMTIz'
const KEYS = 'e2e:' + Buffer.alloc(32, 7).toString('base64url')

let server: RunningServer
let rewritten: string
let links: { html: string[]; text: string[] }

function linksIn(body: string, base: string): string[] {
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return [...body.matchAll(new RegExp(`${escaped}/r/[A-Za-z0-9_-]+`, 'g'))].map((m) => m[0])
}

async function click(link: string) {
  return fetch(link, { redirect: 'manual', headers: { 'User-Agent': 'e2e-test' } })
}

beforeAll(async () => {
  server = await startServer({
    CLICKGATE_KEYS: KEYS,
    CLICKGATE_HASH_SECRET: HASH_SECRET,
    CLICKGATE_ADMIN_TOKEN: ADMIN_TOKEN,
    CLICKGATE_REWRITE_TOKEN: REWRITE_TOKEN,
  })

  const response = await fetch(`${server.baseUrl}/api/v1/rewrite`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${REWRITE_TOKEN}`,
      'Content-Type': 'message/rfc822',
      'Clickgate-Recipient': 'a.user@contoso.example',
    },
    body: ALERT,
  })
  expect(response.status).toBe(200)
  rewritten = await response.text()

  const parsed = await PostalMime.parse(rewritten)
  links = {
    html: linksIn(parsed.html ?? '', server.baseUrl.replace('127.0.0.1', 'localhost')),
    text: [],
  }
  links.text = linksIn(parsed.text ?? '', server.baseUrl.replace('127.0.0.1', 'localhost'))
})

afterAll(async () => {
  await server?.stop()
})

describe('README walkthrough against the real server', () => {
  it('rewrites every web link of the sample alert and keeps the headers', async () => {
    expect(links.html).toHaveLength(7)
    expect(links.text).toHaveLength(4)
    expect(rewritten.startsWith(ALERT.toString('latin1').split('\r\n\r\n')[0] ?? '!')).toBe(true)
    const parsed = await PostalMime.parse(rewritten)
    expect(parsed.html).toContain(
      'href="mailto:account-security-noreply@accountprotection.microsoft.example"',
    )
    expect(parsed.html).toContain('href="#top"')
    expect(parsed.html).toContain('<!--[if mso]>')
  })

  it('warns on the look-alike Microsoft domains, blocks the blocked one, redirects the rest', async () => {
    const rule = await fetch(`${server.baseUrl}/api/v1/rules`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ action: 'block', type: 'domain', value: 'contoso-security.example' }),
    })
    expect(rule.status).toBe(201)

    const [vml, button, reset, portal, books, support, privacy] = links.html.map((l) =>
      l.replace('localhost', '127.0.0.1'),
    )
    const activity = 'https://account.microsoft-alerts.example/activity?uid=5521&src=mail'

    // The alert's "Microsoft" domains are not Microsoft's: the brand heuristic warns,
    // and the warning's way through is the target exactly as authored.
    for (const link of [vml, button]) {
      const response = await click(link ?? '')
      const html = await response.text()
      expect(response.status).toBe(200)
      expect(html).toContain('brand_in_domain')
      expect(html).toContain(`href="${activity.replace(/&/g, '&amp;')}"`)
    }

    const blocked = await click(reset ?? '')
    expect(blocked.status).toBe(403)
    expect(await blocked.text()).toContain('contoso-security.example')

    const unopenable = await click(portal ?? '')
    expect(unopenable.status).toBe(403)
    const unopenablePage = await unopenable.text()
    expect(unopenablePage).toContain('unparseable_url')
    expect(unopenablePage).toContain('<title>This link cannot be opened · clickgate</title>')

    // The sender's name claims Microsoft from a domain that is not Microsoft's: a
    // link that is otherwise fine is warned, and its way through is the host a
    // browser would request.
    const booksAnswer = await click(books ?? '')
    const booksPage = await booksAnswer.text()
    expect(booksAnswer.status).toBe(200)
    expect(booksPage).toContain('sender_name_brand_mismatch')
    expect(booksPage).toContain('href="https://xn--bcher-kva.example/angebot?id=7"')
    for (const link of [support, privacy]) {
      const response = await click(link ?? '')
      expect(response.status).toBe(200)
      expect(await response.text()).toContain('microsoft.example uses Microsoft')
    }
  })

  it('answers a tampered link with the same 404 page', async () => {
    const link = (links.html[0] ?? '').replace('localhost', '127.0.0.1')
    const last = link.at(-1) === 'A' ? 'B' : 'A'

    const response = await click(link.slice(0, -1) + last)

    expect(response.status).toBe(404)
    expect(await response.text()).toContain('This link is not valid')
  })

  it('logs clicks and rejections without tokens, secrets or addresses', async () => {
    // Clicks are written, and logged, in batches a fraction of a second later.
    const expected = ['click', 'token.rejected', 'rewrite', 'rule.added']
    const seen = () => expected.every((event) => server.logs.some((l) => l.event === event))
    for (let i = 0; i < 60 && !seen(); i++) await new Promise((done) => setTimeout(done, 50))
    const text = JSON.stringify(server.logs)

    expect(server.logs.some((l) => l.event === 'click')).toBe(true)
    expect(server.logs.some((l) => l.event === 'token.rejected')).toBe(true)
    expect(server.logs.some((l) => l.event === 'rewrite')).toBe(true)
    expect(server.logs.some((l) => l.event === 'rule.added')).toBe(true)
    for (const secret of [REWRITE_TOKEN, ADMIN_TOKEN, HASH_SECRET, KEYS.split(':')[1], 'a.user@']) {
      expect(text).not.toContain(secret)
    }
    for (const link of links.html) {
      expect(text).not.toContain(link.split('/r/')[1])
    }
  })
})
