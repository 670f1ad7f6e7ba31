import { describe, expect, it } from 'vitest'

import { createTtlCache } from '../../src/core/verdict/cache.js'
import { type UrlVerdict, createVerdictEngine } from '../../src/core/verdict/engine.js'
import type { Finding, Signal } from '../../src/core/verdict/types.js'
import { signedLinks } from '../support/links.js'
import { ADMIN_TOKEN, type Harness, bearer, createHarness, testConfig } from '../support/harness.js'
import { humanClick, linkFor, pathOf } from '../support/clicks.js'

async function addRule(h: Harness, body: Record<string, unknown>) {
  const response = await h.app.request('/api/v1/rules', {
    method: 'POST',
    headers: { ...bearer(ADMIN_TOKEN), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  return (await response.json()) as { id: string }
}

function countingSignal(verdict: Finding['verdict'] = 'warn') {
  const calls: string[] = []
  const signal: Signal = {
    name: 'counting',
    scope: 'url',
    async evaluate(subject) {
      calls.push(subject.target)
      return [{ verdict, reason: 'counted', source: 'test', checkedAt: subject.now }]
    },
  }
  return { signal, calls }
}

describe('verdict engine', () => {
  it('caches URL findings for the time-to-live, then checks again', async () => {
    const clock = { now: 1_000_000 }
    const { signal, calls } = countingSignal()
    const engine = createVerdictEngine({
      signals: [signal],
      cache: createTtlCache<UrlVerdict>({ max: 10, ttlMs: 60_000, now: () => clock.now }),
      policy: { allowOverrides: true },
    })
    const subject = { target: 'https://a.example/', linkId: 1, messageRef: null, now: clock.now }

    expect((await engine.judge(subject)).cached).toBe(false)
    expect((await engine.judge(subject)).cached).toBe(true)
    clock.now += 61_000
    expect((await engine.judge(subject)).cached).toBe(false)
    expect(calls).toHaveLength(2)
  })

  it('never caches a pending answer, so the next click asks again', async () => {
    const { signal, calls } = countingSignal('pending')
    const engine = createVerdictEngine({
      signals: [signal],
      cache: createTtlCache<UrlVerdict>({ max: 10, ttlMs: 60_000 }),
      policy: { allowOverrides: true },
    })
    const subject = { target: 'https://a.example/', linkId: 1, messageRef: null, now: 0 }

    const first = await engine.judge(subject)
    await engine.judge(subject)

    expect(first.decision.verdict).toBe('warn')
    expect(calls).toHaveLength(2)
  })

  it('runs URL signals on every unwrapped layer and marks the layer', async () => {
    const { signal, calls } = countingSignal()
    const engine = createVerdictEngine({
      signals: [signal],
      cache: createTtlCache<UrlVerdict>({ max: 10, ttlMs: 60_000 }),
      policy: { allowOverrides: true },
    })
    const target = 'https://www.google.com/url?q=https://inner.example/x'

    const { decision, layers } = await engine.judge({ target, linkId: 1, messageRef: null, now: 0 })

    expect(layers.map((l) => l.url)).toEqual([target, 'https://inner.example/x'])
    expect(calls).toEqual([target, 'https://inner.example/x'])
    expect(decision.findings.map((f) => f.layer)).toEqual([undefined, 'https://inner.example/x'])
  })
})

describe('policy at click time', () => {
  it('lets an admin allow override a heuristic, and logs the override', async () => {
    const h = createHarness()
    const path = await linkFor(h, 'https://paypal-login.example/account')
    const rule = await addRule(h, {
      action: 'allow',
      type: 'domain',
      value: 'paypal-login.example',
    })

    const response = await humanClick(h, path)

    expect(response.status).toBe(302)
    const override = h.logs.find((l) => l.event === 'verdict.override')
    expect(override?.fields).toMatchObject({
      ruleId: rule.id,
      overridden: [
        { reason: 'brand_in_domain', source: 'heuristics', verdict: 'warn' },
        { reason: 'account_word_in_domain', source: 'heuristics', verdict: 'warn' },
      ],
    })
  })

  it('keeps the worst finding when allow rules are configured not to override', async () => {
    const h = createHarness(testConfig({ CLICKGATE_ALLOW_OVERRIDES: 'false' }))
    const path = await linkFor(h, 'https://paypal-login.example/account')
    await addRule(h, { action: 'allow', type: 'domain', value: 'paypal-login.example' })

    const response = await humanClick(h, path)

    expect(response.status).toBe(200)
    expect(await response.text()).toContain('brand_in_domain')
    expect(h.logs.some((l) => l.event === 'verdict.override')).toBe(false)
  })

  it('applies a rule change on the next click even while the verdict is cached', async () => {
    const h = createHarness()
    const path = await linkFor(h, 'https://203.0.113.9/report')

    expect((await humanClick(h, path)).status).toBe(200) // ip_host warning, now cached
    const block = await addRule(h, { action: 'block', type: 'host', value: '203.0.113.9' })
    expect((await humanClick(h, path)).status).toBe(403)

    await h.app.request(`/api/v1/rules/${block.id}`, {
      method: 'DELETE',
      headers: bearer(ADMIN_TOKEN),
    })
    await addRule(h, { action: 'allow', type: 'host', value: '203.0.113.9' })
    expect((await humanClick(h, path)).status).toBe(302)
  })

  it('drops cached rule matches when a rule changes outside the API, and when a rule expires', async () => {
    const h = createHarness()
    const path = await linkFor(h, 'https://news.example/a')
    expect((await humanClick(h, path)).status).toBe(302) // the empty match is now cached

    // Straight into the table, as the CLI or another node would: the trigger bumps the version.
    const expiresAt = h.clock.now + 120_000
    await h.deps.store.addRule(
      { id: 'r-cli', action: 'block', type: 'host', value: 'news.example', note: null, expiresAt },
      h.clock.now,
    )
    expect((await humanClick(h, path)).status).toBe(403) // cached again, with its expiry

    h.clock.now = expiresAt + 1
    expect((await humanClick(h, path)).status).toBe(302)
  })

  it('raises every link of a message with a data: or javascript: link to a warning', async () => {
    const h = createHarness()
    const html =
      '<a href="https://news.example/a">news</a> <a href="javascript:alert(1)">x</a> <a href="data:text/html,hi">y</a>'

    const { output, summary } = await h.deps.rewriter.rewriteHtml(html, { messageId: 'm-1@x' })
    const response = await humanClick(h, pathOf(signedLinks(output, h.deps)[0] ?? ''))
    const page = await response.text()

    expect(summary.findings[0]?.detail).toContain('data:, javascript:')
    expect(response.status).toBe(200)
    expect(page).toContain('script_link_in_message')
    expect(page).toContain('message:rewriter')
  })

  it('blocks link text that shows a brand over a link elsewhere, stored once per message', async () => {
    const h = createHarness()
    const html =
      '<p><a href="https://evil.example/x"><b>www.paypal.com</b></a> and <a href="https://news.example/">Read more</a></p>'

    const first = await h.deps.rewriter.rewriteHtml(html, {
      messageId: 'm-2@x',
      recipient: 'a@x.example',
    })
    await h.deps.rewriter.rewriteHtml(html, { messageId: 'm-2@x', recipient: 'b@x.example' })
    const [lure, plain] = signedLinks(first.output, h.deps).map(pathOf)
    const blocked = await humanClick(h, lure ?? '')

    expect((await h.deps.store.counts()).messages).toBe(1)
    expect(blocked.status).toBe(403)
    expect(await blocked.text()).toContain('link_text_brand_mismatch')
    expect((await humanClick(h, plain ?? '')).status).toBe(302)
  })

  it('keeps what link texts said apart per link of a message, click after click', async () => {
    const h = createHarness()
    const html =
      '<p><a href="https://evil.example/x">www.paypal.com</a> ' +
      '<a href="https://www.paypal.com/signin">www.paypal.com</a></p>'
    const { output } = await h.deps.rewriter.rewriteHtml(html, { messageId: 'm-3@x' })
    const [lure, genuine] = signedLinks(output, h.deps).map(pathOf)

    const answers = []
    for (const path of [lure, lure, genuine, lure, genuine]) {
      answers.push((await humanClick(h, path ?? '')).status)
    }

    expect(answers).toEqual([403, 403, 302, 403, 302])
  })

  it('judges every layer of a wrapped link and still redirects to the link as authored', async () => {
    const h = createHarness()
    const wrap = (url: string) =>
      `https://eur01.safelinks.protection.outlook.com/?url=${encodeURIComponent(url)}&data=x`

    const warned = await humanClick(h, await linkFor(h, wrap('http://203.0.113.9/x')))
    const html = await warned.text()
    const clean = await humanClick(h, await linkFor(h, wrap('https://news.example/a')))

    expect(warned.status).toBe(200)
    expect(html).toContain('ip_host')
    expect(html).toContain('Addresses inside this link')
    expect(clean.status).toBe(302)
    expect(clean.headers.get('Location')).toBe(wrap('https://news.example/a'))
  })

  it('redirects to the unwrapped destination when the policy says so', async () => {
    const h = createHarness(testConfig({ CLICKGATE_REDIRECT_UNWRAPPED: 'true' }))
    const target = 'https://www.google.com/url?q=https://news.example/a'

    const response = await humanClick(h, await linkFor(h, target))

    expect(response.headers.get('Location')).toBe('https://news.example/a')
  })

  it('warns on a redirect parameter that sends the visitor to another site', async () => {
    const h = createHarness()
    const away = 'https://www.kif.example/viewer.aspx?id=7&returnurl=https://e-multicom.example/d/'

    const html = await (await humanClick(h, await linkFor(h, away))).text()

    expect(html).toContain('open_redirect')
    expect(html).toContain('e-multicom.example')
  })

  it('leaves a redirect parameter within the same site alone (benign twin)', async () => {
    const h = createHarness()
    const home = 'https://shop.example/login?next=https://www.shop.example/account'

    expect((await humanClick(h, await linkFor(h, home))).status).toBe(302)
  })

  it('matches block rules on inner layers, and allow rules only on the destination', async () => {
    const h = createHarness()
    const wrapped = 'https://www.google.com/url?q=https://evil.example/x'
    await addRule(h, { action: 'allow', type: 'domain', value: 'google.com' })
    await addRule(h, { action: 'block', type: 'domain', value: 'evil.example' })

    expect((await humanClick(h, await linkFor(h, wrapped))).status).toBe(403)

    const bing = `https://www.bing.com/ck/a?u=a1${Buffer.from('https://203.0.113.9/').toString('base64url')}`
    await addRule(h, { action: 'allow', type: 'domain', value: 'bing.com' })
    expect((await humanClick(h, await linkFor(h, bing))).status).toBe(200)
  })
})

describe('warning and block pages', () => {
  it('explains every finding with its source and check time', async () => {
    const h = createHarness()
    const path = await linkFor(h, 'https://bank.example@203.0.113.9/')
    await addRule(h, { action: 'block', type: 'host', value: 'nothing.example' })

    const html = await (await humanClick(h, path)).text()

    expect(html).toContain('userinfo_disguise')
    expect(html).toContain('ip_host')
    expect(html.match(/heuristics · checked/g)).toHaveLength(2)
    expect(html).toContain(`<time datetime="${new Date(h.clock.now).toISOString()}"`)
  })

  it('shows the punycode form of a mixed-script host', async () => {
    const h = createHarness()
    const target = new URL('https://sһop.example/').href // Latin with Cyrillic һ

    const html = await (await humanClick(h, await linkFor(h, target))).text()

    expect(html).toContain('mixed_script_host')
    expect(html).toContain('Its real, punycode form is')
    expect(html).toContain(new URL(target).hostname)
  })

  it('never serves a block as a warning: own title, own status, no way through', async () => {
    const h = createHarness()
    const warnPath = await linkFor(h, 'https://203.0.113.9/x')
    const blockPath = await linkFor(h, 'https://0xcb007109/x')

    const warning = await humanClick(h, warnPath)
    const block = await humanClick(h, blockPath)
    const blockHtml = await block.text()

    expect(warning.status).toBe(200)
    expect(block.status).toBe(403)
    expect(await warning.text()).toContain('<title>Check this link before you go on')
    expect(blockHtml).toContain('<title>This link has been blocked')
    expect(blockHtml).not.toMatch(/class="continue"|<form/)
  })
})
