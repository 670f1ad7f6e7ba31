import { afterEach, describe, expect, it } from 'vitest'

import { createServices } from '../../src/core/services.js'
import { SqlStore } from '../../src/core/sql-store.js'
import { providersFromEnv } from '../../src/core/providers/config.js'
import { fetchEndpoint } from '../../src/core/feeds/fetch.js'
import { migrationsDir } from '../../src/node/paths.js'
import { migrate, openSqlite } from '../../src/node/sqlite.js'
import { startFeedScheduler } from '../../src/node/feed-scheduler.js'
import { type FakeServer, startFake } from '../support/fakes.js'
import { testConfig } from '../support/harness.js'

describe('provider configuration', () => {
  it('enables nothing by default', () => {
    expect(providersFromEnv({}).enabled).toEqual([])
  })

  it('keeps providers whose terms restrict commercial use off until the operator says so', () => {
    expect(() => providersFromEnv({ CLICKGATE_PROVIDERS: 'openphish' })).toThrow(
      /CLICKGATE_PROVIDERS enables openphish, whose terms restrict commercial use/,
    )
    expect(
      providersFromEnv({
        CLICKGATE_PROVIDERS: 'openphish',
        CLICKGATE_PROVIDER_USE: 'noncommercial',
      }).enabled,
    ).toEqual(['openphish'])
    expect(
      providersFromEnv({
        CLICKGATE_PROVIDERS: 'openphish',
        CLICKGATE_PROVIDER_LICENSED: 'openphish',
      }).enabled,
    ).toEqual(['openphish'])
  })

  it('allows Web Risk, which is licensed for commercial use, with its key', () => {
    expect(
      providersFromEnv({ CLICKGATE_PROVIDERS: 'webrisk', CLICKGATE_WEB_RISK_KEY: 'k' }).enabled,
    ).toEqual(['webrisk'])
    expect(() => providersFromEnv({ CLICKGATE_PROVIDERS: 'webrisk' })).toThrow(
      'CLICKGATE_WEB_RISK_KEY is required when webrisk is enabled',
    )
  })

  it('needs a key for either Safe Browsing API', () => {
    for (const name of ['safebrowsing', 'safebrowsing-update']) {
      expect(() =>
        providersFromEnv({ CLICKGATE_PROVIDERS: name, CLICKGATE_PROVIDER_USE: 'noncommercial' }),
      ).toThrow('CLICKGATE_SAFE_BROWSING_KEY is required')
    }
  })

  it('names an unknown provider and lists the known ones', () => {
    expect(() => providersFromEnv({ CLICKGATE_PROVIDERS: 'virustotal' })).toThrow(
      'unknown provider "virustotal" (known: urlhaus, phishtank, openphish, safebrowsing-update, safebrowsing, webrisk)',
    )
  })

  it('orders signals as the catalogue does, whatever order the operator wrote', () => {
    const config = providersFromEnv({
      CLICKGATE_PROVIDERS: 'webrisk, OpenPhish ,urlhaus',
      CLICKGATE_PROVIDER_USE: 'noncommercial',
      CLICKGATE_WEB_RISK_KEY: 'k',
    })

    expect(config.enabled).toEqual(['urlhaus', 'openphish', 'webrisk'])
  })

  it('accepts plain http only for a loopback endpoint outside production', () => {
    const loopback = { CLICKGATE_OPENPHISH_URL: 'http://127.0.0.1:9/feed.txt' }

    expect(providersFromEnv(loopback).openphish.url).toBe('http://127.0.0.1:9/feed.txt')
    expect(() => providersFromEnv({ ...loopback, NODE_ENV: 'production' })).toThrow(
      'CLICKGATE_OPENPHISH_URL must be an https URL',
    )
    expect(() => providersFromEnv({ CLICKGATE_OPENPHISH_URL: 'http://feeds.example/x' })).toThrow(
      'CLICKGATE_OPENPHISH_URL must be an https URL',
    )
  })

  it('puts a PhishTank application key in the documented download path', () => {
    const config = providersFromEnv({ CLICKGATE_PHISHTANK_APP_KEY: 'abc123' })

    expect(config.phishtank).toEqual({
      url: 'https://data.phishtank.com/data/abc123/online-valid.json',
      keyed: true,
    })
  })

  it('validates the budget and the failure verdict', () => {
    expect(providersFromEnv({}).budgetMs).toBe(1500)
    expect(() => providersFromEnv({ CLICKGATE_PROVIDER_TIMEOUT_MS: '60000' })).toThrow(
      'CLICKGATE_PROVIDER_TIMEOUT_MS must be at most 30000',
    )
    expect(() => providersFromEnv({ CLICKGATE_PROVIDER_FAILURE: 'allow' })).toThrow(
      'CLICKGATE_PROVIDER_FAILURE must be warn or block, got "allow"',
    )
  })
})

describe('provider requests', () => {
  let fakes: FakeServer[] = []
  afterEach(async () => {
    await Promise.all(fakes.map((f) => f.close()))
    fakes = []
  })

  it('never forwards a credential header to the host a redirect points at', async () => {
    const target = await startFake(() => ({ body: 'ok' }))
    const origin = await startFake(() => ({
      status: 302,
      headers: { Location: `${target.url}/moved` },
    }))
    fakes.push(target, origin)

    const response = await fetchEndpoint(
      `${origin.url}/feed`,
      { secretHeaders: { 'Auth-Key': 'secret' } },
      { allowInsecure: true, userAgent: 'test' },
    )

    expect(await response.text()).toBe('ok')
    expect(origin.requests[0]?.headers['auth-key']).toBe('secret')
    expect(target.requests[0]?.headers['auth-key']).toBeUndefined()
  })

  it('refuses plain http, first hop or redirect, unless the policy allows it', async () => {
    const server = await startFake(() => ({ body: 'ok' }))
    fakes.push(server)

    await expect(
      fetchEndpoint(server.url, {}, { allowInsecure: false, userAgent: 'test' }),
    ).rejects.toMatchObject({ reason: 'insecure_url' })
    expect(server.requests).toHaveLength(0)
  })

  it('gives up on a redirect loop', async () => {
    const loop: FakeServer = await startFake(() => ({
      status: 301,
      headers: { Location: '/again' },
    }))
    fakes.push(loop)

    await expect(
      fetchEndpoint(loop.url, {}, { allowInsecure: true, userAgent: 'test' }),
    ).rejects.toMatchObject({ reason: 'too_many_redirects' })
  })
})

describe('the feed scheduler', () => {
  let fake: FakeServer | null = null
  afterEach(async () => {
    await fake?.close()
    fake = null
  })

  it('syncs due feeds, and picks up data another process synced into the same database', async () => {
    let feed = 'https://one.example/x\n'
    fake = await startFake(() => ({ body: feed }))
    const db = openSqlite(':memory:')
    migrate(db, migrationsDir())
    const config = testConfig({
      CLICKGATE_PROVIDERS: 'openphish',
      CLICKGATE_PROVIDER_USE: 'noncommercial',
      CLICKGATE_OPENPHISH_URL: fake.url,
    })
    const clock = { now: Date.parse('2026-12-03T12:00:00Z') }
    const server = createServices(config, new SqlStore(db), { now: () => clock.now })
    const cron = createServices(config, new SqlStore(db), { now: () => clock.now })
    const events: string[] = []
    const scheduler = startFeedScheduler(server.providers, {
      logger: (_level, event) => events.push(event),
      now: () => clock.now,
      sync: true,
      tickMs: 3_600_000,
    })
    const evaluate = (target: string) =>
      server.signals
        .find((s) => s.name === 'openphish')
        ?.evaluate({ target, linkId: 1, messageRef: null, now: clock.now })

    await scheduler.tick()
    const first = await evaluate('https://one.example/x')
    feed = 'https://two.example/y\n'
    await cron.providers.sync('openphish')
    clock.now += 20_000
    await scheduler.tick()
    const second = await evaluate('https://two.example/y')
    scheduler.stop()

    expect(events).toContain('feed.synced')
    expect(first?.[0]?.reason).toBe('openphish_phish')
    expect(second?.[0]?.reason).toBe('openphish_phish')
    expect(
      server.providers.feeds.candidates(
        'openphish',
        { url: '', urlHash: 1, hosts: [], hostHashes: [] },
        2,
      ),
    ).toEqual([])
    db.close()
  })
})
