import { describe, expect, it } from 'vitest'

import { createAutomationDetector } from '../../src/core/clicks/automation.js'
import { createClickLimiter } from '../../src/core/clicks/rate-limit.js'
import { createClickRecorder } from '../../src/core/clicks/recorder.js'
import { createHasher } from '../../src/core/hashing.js'
import type { ClickRecord, Store } from '../../src/core/store.js'
import { BROWSER, humanClick, linkFor } from '../support/clicks.js'
import { createHarness, testConfig } from '../support/harness.js'

const detector = createAutomationDetector({ fastClickSeconds: 10, extraRanges: ['192.0.2.0/24'] })
const browserFacts = {
  method: 'GET',
  userAgent: BROWSER['User-Agent'],
  accept: BROWSER.Accept,
  acceptLanguage: BROWSER['Accept-Language'],
  ip: '198.51.100.7',
  ageSeconds: 3600,
}

describe('human or automated', () => {
  it('finds no evidence in a browser navigation a while after delivery (benign twin)', () => {
    expect(detector.classify(browserFacts)).toEqual({ automated: false, evidence: [] })
  })

  it('labels each kind of evidence', () => {
    const cases: [Partial<typeof browserFacts>, string][] = [
      [{ method: 'HEAD' }, 'head'],
      [{ userAgent: 'Mozilla/5.0 (compatible; Barracuda Sentinel)' }, 'scanner_ua'],
      [{ userAgent: 'curl/8.5.0' }, 'bot_ua'],
      [{ userAgent: 'python-requests/2.31' }, 'bot_ua'],
      [{ userAgent: null }, 'no_user_agent'],
      [{ ip: '40.107.22.5' }, 'scanner_address'],
      [{ ip: '::ffff:192.0.2.44' }, 'scanner_address'],
      [{ acceptLanguage: null }, 'no_browser_headers'],
      [{ accept: '*/*' }, 'no_browser_headers'],
      [{ ageSeconds: 2 }, 'fast_click'],
    ]
    for (const [change, evidence] of cases) {
      const result = detector.classify({ ...browserFacts, ...change })
      expect(result, evidence).toEqual({ automated: true, evidence: [evidence] })
    }
  })

  it('does not hold timing against a deliberate form submission', () => {
    const result = detector.classify(
      { ...browserFacts, method: 'POST', ageSeconds: 1 },
      { deliberate: true },
    )
    expect(result.automated).toBe(false)
  })

  it('rejects a malformed scanner range at start-up, naming the variable', () => {
    expect(() => testConfig({ CLICKGATE_SCANNER_RANGES: '10.0.0.0/99' })).toThrow(
      /CLICKGATE_SCANNER_RANGES entry "10.0.0.0\/99"/,
    )
  })
})

describe('click log labels', () => {
  it('stores the label and its evidence with every click', async () => {
    const h = createHarness()
    const path = await linkFor(h, 'https://news.example/a')

    await h.app.request(path, { method: 'HEAD', headers: { 'User-Agent': 'curl/8.5.0' } })
    await humanClick(h, path)
    await h.settle()

    const clicks = await h.deps.store.listClicks({ limit: 10 })
    expect(clicks.map((c) => [c.automated, c.evidence])).toEqual([
      [false, null],
      [true, 'head,bot_ua,no_browser_headers,fast_click'],
    ])
  })
})

/** Where the browser posts the page's form: its action resolved against the page's path. */
function pressTarget(path: string, html: string): string {
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? ''
  const url = new URL(action.replaceAll('&amp;', '&'), `http://clickgate.test${path}`)
  return url.pathname + url.search
}

describe('one-time targets', () => {
  const reset = 'https://id.example/password/reset?token=once-123'

  it('gives a scanner a harmless page, never the redirect, for GET and HEAD', async () => {
    const h = createHarness()
    const path = await linkFor(h, reset)

    for (const method of ['GET', 'HEAD']) {
      const response = await h.app.request(path, { method, headers: { 'User-Agent': 'Mimecast' } })
      expect(response.status, method).toBe(200)
      expect(response.headers.get('Location')).toBeNull()
      if (method === 'GET') expect(await response.text()).not.toContain('id.example')
    }
  })

  it('gives a person a one-click confirmation: a form POST, then a 303 to the target', async () => {
    const h = createHarness()
    const path = await linkFor(h, reset)

    const page = await humanClick(h, path)
    const html = await page.text()
    const confirmed = await humanClick(h, `${path}/go`, { method: 'POST' })

    expect(page.status).toBe(200)
    expect(html).toMatch(/<form method="post" action="[A-Za-z0-9_-]+\/go"/)
    expect(html).not.toContain(`href="${reset}"`)
    expect(page.headers.get('Content-Security-Policy')).toContain(
      "form-action 'self' https://id.example",
    )
    expect(confirmed.status).toBe(303)
    expect(confirmed.headers.get('Location')).toBe(reset)
    expect(confirmed.headers.get('Referrer-Policy')).toBe('no-referrer')
    expect(confirmed.headers.get('Cache-Control')).toBe('no-store')
  })

  it('keeps a scanner that submits the form away from the target too', async () => {
    const h = createHarness()
    const path = await linkFor(h, reset)

    h.clock.now += 60_000
    const response = await h.app.request(`${path}/go`, {
      method: 'POST',
      headers: { 'User-Agent': 'python-requests/2.31' },
    })

    expect(response.status).toBe(200)
    expect(response.headers.get('Location')).toBeNull()
  })

  it('lets a person taken for a scanner (a fast click) through the scanner page', async () => {
    const h = createHarness()
    const path = await linkFor(h, reset)

    // Clicked seconds after delivery, as right after asking for a reset: fast_click.
    const page = await h.app.request(path, { headers: BROWSER })
    const html = await page.text()
    const pressed = await h.app.request(pressTarget(path, html), {
      method: 'POST',
      headers: BROWSER,
    })
    const pressedHtml = await pressed.text()

    expect(html).toContain('opens on request')
    // CSP form-action 'none' would make the browser refuse to submit the button's form.
    expect(page.headers.get('Content-Security-Policy')).toContain("form-action 'self'")
    expect(page.headers.get('Content-Security-Policy')).not.toContain('id.example')
    expect(pressed.status).toBe(200)
    expect(pressedHtml).toMatch(/<form method="post" action="[A-Za-z0-9_-]+\/go"/)
    expect(pressed.headers.get('Content-Security-Policy')).toContain(
      "form-action 'self' https://id.example",
    )
  })

  it('shows the warning to a person who comes through the scanner page of a warned target', async () => {
    const h = createHarness()
    const path = await linkFor(h, 'https://203.0.113.9/verify?code=1')

    const html = await (await h.app.request(path, { headers: BROWSER })).text()
    const pressed = await h.app.request(pressTarget(path, html), {
      method: 'POST',
      headers: BROWSER,
    })

    expect(html).not.toContain('ip_host')
    expect(pressed.status).toBe(200)
    expect(pressed.headers.get('Location')).toBeNull()
    expect(await pressed.text()).toContain('ip_host')
  })

  it('continues a warned one-time target through the form, not a link', async () => {
    const h = createHarness()
    const path = await linkFor(h, 'https://203.0.113.9/verify?code=1')

    const html = await (await humanClick(h, path)).text()

    expect(html).toContain('ip_host')
    expect(html).toMatch(/<form method="post" action="[A-Za-z0-9_-]+\/go" class="continue">/)
    expect(html).not.toContain('href="https://203.0.113.9')
  })

  it('still blocks a blocked one-time target after a POST', async () => {
    const h = createHarness()
    const path = await linkFor(h, 'https://0x7f.1/reset?x=1')

    expect((await humanClick(h, `${path}/go`, { method: 'POST' })).status).toBe(403)
  })

  it('treats targets with configured words as one-time', async () => {
    const h = createHarness(testConfig({ CLICKGATE_ONE_TIME_WORDS: 'claim' }))

    const claim = await humanClick(h, await linkFor(h, 'https://shop.example/claim/123'))
    const reset2 = await humanClick(h, await linkFor(h, reset))

    expect(claim.status).toBe(200)
    expect(reset2.status).toBe(302)
  })
})

describe('per-link click rate limit', () => {
  it('answers 429 with a page that says when to retry, for that link only', async () => {
    const h = createHarness(testConfig({ CLICKGATE_CLICK_RATE_LIMIT: '3/60' }))
    const busy = await linkFor(h, 'https://news.example/a')
    const other = await linkFor(h, 'https://news.example/b')

    const statuses = []
    for (let i = 0; i < 4; i++)
      statuses.push((await h.app.request(busy, { headers: BROWSER })).status)
    const limited = await h.app.request(busy, { headers: BROWSER })

    expect(statuses).toEqual([302, 302, 302, 429])
    expect(limited.headers.get('Retry-After')).toBe('60')
    expect(await limited.text()).toContain('opened too many times')
    expect((await h.app.request(other, { headers: BROWSER })).status).toBe(302)
  })
})

describe('click limiter', () => {
  it('counts per token and starts over when the window ends', () => {
    const limiter = createClickLimiter(2, 5_000)

    const first = [limiter.allow('a', 0), limiter.allow('a', 1), limiter.allow('a', 2)]
    const other = limiter.allow('b', 3)
    const retry = limiter.retryAfter(2_500)
    const later = limiter.allow('a', 5_000)

    expect(first).toEqual([true, true, false])
    expect(other).toBe(true)
    expect(retry).toBe(3)
    expect(later).toBe(true)
  })
})

describe('click recorder', () => {
  function click(linkId: number) {
    return {
      at: linkId,
      linkId,
      messageRef: null,
      recipientRef: null,
      keyId: 'k1',
      verdict: 'allow',
      reason: null,
      userAgent: null,
      ip: '198.51.100.7',
      automated: false,
      evidence: null,
      method: 'GET',
    }
  }

  it('writes queued clicks in batches and keeps them when a write fails', async () => {
    const written: ClickRecord[][] = []
    let fail = true
    const store = {
      async recordClicks(clicks: readonly ClickRecord[]) {
        if (fail) throw new Error('database is locked')
        written.push([...clicks])
      },
    } as unknown as Store // only recordClicks is used by the recorder
    const recorder = createClickRecorder({ store, hasher: createHasher(new Uint8Array(32)) })

    for (let i = 1; i <= 600; i++) recorder.enqueue(click(i))
    await expect(recorder.flush()).rejects.toThrow('database is locked')
    expect(recorder.pending).toBe(600)

    fail = false
    await recorder.flush()

    expect(written.map((batch) => batch.length)).toEqual([512, 88])
    expect(written.flat().map((c) => c.linkId)).toEqual([...Array(600).keys()].map((i) => i + 1))
    expect(written[0]?.[0]?.ipHash).toMatch(/^[0-9a-f]{16}$/)
  })
})
