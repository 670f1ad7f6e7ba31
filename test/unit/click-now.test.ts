/**
 * A repeated click answered from memory alone (engine `judgeNow`, the rules
 * signal's and message signal's `evaluateNow`, `SqlStore.rulesVersionNow`)
 * must say exactly what the full judgement says, and must give way to it
 * whenever something would have to be read: a rule change is never missed.
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, describe, expect, it } from 'vitest'

import { SqlStore } from '../../src/core/sql-store.js'
import { createTtlCache } from '../../src/core/verdict/cache.js'
import { type UrlVerdict, createVerdictEngine } from '../../src/core/verdict/engine.js'
import { heuristicsSignal, messageSignal, rulesSignal } from '../../src/core/verdict/signals.js'
import type { Rule } from '../../src/core/store.js'
import type { Signal } from '../../src/core/verdict/types.js'
import { migrationsDir } from '../../src/node/paths.js'
import { migrate, openSqlite } from '../../src/node/sqlite.js'
import { BROWSER, humanClick, linkFor } from '../support/clicks.js'
import { createHarness, harnessOver } from '../support/harness.js'
import { addRule } from '../shared/http/helpers.js'

const T = 1_800_000_000_000
const nextTurn = () => new Promise((done) => setTimeout(done, 0))

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** Two connections to one database file: this process, and another (the CLI, say). */
function twoConnections() {
  const dir = mkdtempSync(join(tmpdir(), 'clickgate-now-'))
  dirs.push(dir)
  const ours = openSqlite(join(dir, 'db.sqlite'))
  migrate(ours, migrationsDir())
  const other = new SqlStore(openSqlite(join(dir, 'db.sqlite')))
  return { ours, other }
}

function engineOver(store: SqlStore, extra: Signal[] = []) {
  const ruleCache = createTtlCache<{ version: number; rules: Rule[] }>({ max: 10, ttlMs: 60_000 })
  return createVerdictEngine({
    signals: [
      rulesSignal(store, { cache: ruleCache }),
      messageSignal(store, { brands: [], cache: createTtlCache({ max: 10, ttlMs: 60_000 }) }),
      heuristicsSignal([]),
      ...extra,
    ],
    cache: createTtlCache<UrlVerdict>({ max: 10, ttlMs: 60_000 }),
    policy: { allowOverrides: true },
  })
}

const rule = (id: string, action: 'allow' | 'block', value: string) => ({
  id,
  action,
  type: 'domain' as const,
  value,
  note: null,
  expiresAt: null,
})

describe('judging a repeated click from memory', () => {
  it('gives way to the full judgement until the URL, rules and message are in memory', async () => {
    const { ours } = twoConnections()
    const store = new SqlStore(ours, { shareRulesVersionReads: true })
    const engine = engineOver(store)
    const messageRef = await store.registerMessage('m1', T, [
      { verdict: 'warn', reason: 'dmarc_fail', source: 'auth', checkedAt: T },
    ])
    const subject = { target: 'http://192.0.2.7/login', linkId: 1, messageRef, now: T }

    expect(engine.judgeNow(subject)).toBeUndefined()
    const full = await engine.judge(subject)
    const now = engine.judgeNow(subject)

    expect(now).toEqual({ ...full, cached: true })
    expect(now?.decision.findings.map((f) => f.reason).sort()).toEqual(['dmarc_fail', 'ip_host'])
  })

  it('applies a rule this process adds on the very next click', async () => {
    const { ours } = twoConnections()
    const store = new SqlStore(ours, { shareRulesVersionReads: true })
    const engine = engineOver(store)
    const subject = { target: 'https://news.example/a', linkId: 1, messageRef: null, now: T }
    await engine.judge(subject)
    expect(engine.judgeNow(subject)?.decision.verdict).toBe('allow')

    await store.addRule(rule('r1', 'block', 'news.example'), T)

    // The change voids this turn's version: the rule must be read before anything is answered.
    expect(engine.judgeNow(subject)).toBeUndefined()
    expect((await engine.judge(subject)).decision.verdict).toBe('block')
    expect(engine.judgeNow(subject)?.decision.verdict).toBe('block')
  })

  it("applies another process's rule from the next turn of the event loop", async () => {
    const { ours, other } = twoConnections()
    const store = new SqlStore(ours, { shareRulesVersionReads: true })
    const engine = engineOver(store)
    const subject = { target: 'https://news.example/a', linkId: 1, messageRef: null, now: T }
    await engine.judge(subject)
    expect(engine.judgeNow(subject)?.decision.verdict).toBe('allow')

    await other.addRule(rule('r2', 'block', 'news.example'), T)
    await nextTurn()

    expect(engine.judgeNow(subject)).toBeUndefined()
    expect((await engine.judge(subject)).decision).toMatchObject({
      verdict: 'block',
      decisive: { reason: 'admin_block' },
    })
  })

  it("applies another process's rule in the very next turn, even less than a millisecond later", async () => {
    const { ours, other } = twoConnections()
    const store = new SqlStore(ours, { shareRulesVersionReads: true })
    const engine = engineOver(store)
    const subject = { target: 'https://news.example/a', linkId: 1, messageRef: null, now: T }
    await engine.judge(subject)

    // A click in the timers phase reads the version; a click in a later phase or loop
    // iteration, however soon, starts after the other process's change and must see it.
    await nextTurn()
    expect(engine.judgeNow(subject)?.decision.verdict).toBe('allow')
    await other.addRule(rule('r3', 'block', 'news.example'), T)
    await new Promise((done) => setImmediate(done))

    expect(engine.judgeNow(subject)).toBeUndefined()
    expect((await engine.judge(subject)).decision.verdict).toBe('block')
  })

  it('never answers from memory where the rules version cannot be read at once', async () => {
    const { ours } = twoConnections()
    // Workers (D1) share no reads across requests and have no synchronous ones.
    const store = new SqlStore(ours)
    const engine = engineOver(store)
    const subject = { target: 'https://news.example/a', linkId: 1, messageRef: null, now: T }
    await engine.judge(subject)

    expect(store.rulesVersionNow()).toBeUndefined()
    expect(engine.judgeNow(subject)).toBeUndefined()
  })

  it('never answers from memory for a click signal that has to look (the sandbox)', async () => {
    const { ours } = twoConnections()
    const store = new SqlStore(ours, { shareRulesVersionReads: true })
    const looking: Signal = { name: 'sandbox', scope: 'click', evaluate: async () => [] }
    const engine = engineOver(store, [looking])
    const subject = { target: 'https://news.example/a', linkId: 1, messageRef: null, now: T }
    await engine.judge(subject)

    expect(engine.judgeNow(subject)).toBeUndefined()
  })

  it('does not leave a failed version read unhandled', async () => {
    const { ours } = twoConnections()
    const store = new SqlStore(ours, { shareRulesVersionReads: true })
    ours.native.exec('DROP TABLE rules_version')

    expect(() => store.rulesVersionNow()).not.toThrow()
    expect(store.rulesVersionNow()).toBeUndefined()
    await expect(store.rulesVersion()).rejects.toThrow(/rules_version/)
  })
})

describe('the click path with everything in memory', () => {
  it('answers, records and warns a repeated click exactly as it did the first', async () => {
    const h = createHarness()
    const path = await linkFor(h, 'http://192.0.2.7/login')

    const first = await humanClick(h, path)
    const again = await humanClick(h, path)
    await h.settle()

    expect([first.status, again.status]).toEqual([200, 200])
    expect(await again.text()).toContain('192.0.2.7')
    const rows = await h.deps.store.listClicks({ limit: 10 })
    expect(rows.map((r) => [r.verdict, r.reason, r.automated])).toEqual([
      ['warn', 'ip_host', false],
      ['warn', 'ip_host', false],
    ])
  })

  it('answers every kind of click from memory exactly as the first time: status, headers, page', async () => {
    const h = createHarness()
    await addRule(h, { action: 'block', type: 'domain', value: 'evil.example' })
    const targets = [
      'https://shop.example/catalogue?key=K1&id=7#Top', // allowed (cases 4 and 9)
      'https://bücher.example/straße?q=ü', // serialised as a browser requests it
      'http://192.0.2.7/login', // warned
      'https://login.evil.example/phish', // blocked by a rule
      'https://login.microsoftonline.example:99999/x', // cannot be opened
      'https://app.example/auth/verify?token=once-8f2c', // one-time (case 14)
    ]
    const requests: [string, RequestInit][] = [
      ['', { headers: BROWSER }],
      ['', { method: 'HEAD', headers: BROWSER }],
      ['', { headers: { 'User-Agent': 'curl/8.5.0' } }],
      ['/go', { method: 'POST', headers: BROWSER }],
    ]
    // Every repeated click must really be answered from memory, or this compares nothing.
    const judgeNow = h.deps.verdicts.judgeNow
    let fromMemory = 0
    h.deps.verdicts.judgeNow = (subject) => {
      const judgement = judgeNow(subject)
      if (judgement) fromMemory++
      return judgement
    }
    const answer = async (path: string, init: RequestInit) => {
      const response = await h.app.request(path, init)
      const headers = [...response.headers].filter(([name]) => name !== 'date')
      return { status: response.status, headers, body: await response.text() }
    }

    for (const target of targets) {
      const path = await linkFor(h, target)
      h.clock.now += 60_000
      for (const [suffix, init] of requests) {
        const first = await answer(path + suffix, init)
        const again = await answer(path + suffix, init)
        expect({ target, suffix, ...again }).toEqual({ target, suffix, ...first })
        if (first.status >= 300 && first.status < 400) {
          expect(first.headers).toContainEqual(['referrer-policy', 'no-referrer'])
        } else {
          expect(first.headers).toContainEqual(['x-frame-options', 'DENY'])
          expect(first.headers).toContainEqual(['x-content-type-options', 'nosniff'])
          expect(first.headers).toContainEqual(['referrer-policy', 'no-referrer'])
          expect(first.headers).toContainEqual(['cache-control', 'no-store'])
          expect(first.headers.some(([name]) => name === 'content-security-policy')).toBe(true)
        }
      }
    }
    expect(fromMemory).toBeGreaterThanOrEqual(targets.length * requests.length)
  })

  it('counts a repeated click against the per-link limit once', async () => {
    const h = createHarness()
    const path = await linkFor(h, 'https://news.example/a')
    const { limit } = h.deps.config.clickRateLimit

    const statuses: number[] = []
    for (let i = 0; i <= limit; i++) {
      statuses.push((await h.app.request(path, { headers: BROWSER })).status)
    }

    expect(statuses.slice(0, limit).every((s) => s === 302)).toBe(true)
    expect(statuses[limit]).toBe(429)
  })
})

describe('a click that fails', () => {
  it('answers 500 with the headers of every page and says nothing of why', async () => {
    const db = openSqlite(':memory:')
    migrate(db, migrationsDir())
    const h = harnessOver(db)
    const path = await linkFor(h, 'https://news.example/a')
    db.native.exec('DROP TABLE links')

    const response = await h.app.request(path, { headers: BROWSER })

    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({
      error: { code: 'internal', message: 'internal error' },
    })
    expect(response.headers.get('Referrer-Policy')).toBe('no-referrer')
    expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff')
    expect(h.logs.find((l) => l.event === 'request.failed')?.fields).toMatchObject({
      path: expect.stringMatching(/^\/r\//),
    })
  })
})

describe('the record of a click on a link that cannot be opened', () => {
  it('says blocked, for the reason it cannot be opened, as the reader got a dead end', async () => {
    const h = createHarness()
    const message = await h.deps.store.registerMessage('m2', T, [
      { verdict: 'warn', reason: 'dmarc_fail', source: 'auth', checkedAt: T },
    ])
    const dead = await linkFor(h, 'https://portal.example:99999/x', { messageRef: message })
    const fine = await linkFor(h, 'https://portal.example/x', { messageRef: message })

    const responses = [await humanClick(h, dead), await humanClick(h, fine)]
    await h.settle()

    expect(responses.map((r) => r.status)).toEqual([403, 200])
    const rows = await h.deps.store.listClicks({ limit: 10 })
    expect(rows.map((r) => [r.url, r.verdict, r.reason]).sort()).toEqual([
      ['https://portal.example/x', 'warn', 'dmarc_fail'],
      ['https://portal.example:99999/x', 'block', 'unparseable_url'],
    ])
  })
})
