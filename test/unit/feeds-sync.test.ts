import { gzipSync } from 'node:zlib'

import { zipSync } from 'fflate'
import { afterEach, describe, expect, it } from 'vitest'

import { click } from '../support/clicks.js'
import {
  type FakeHandler,
  type FakeServer,
  phishtankCsv,
  phishtankJson,
  startFake,
  urlhausCsv,
  urlhausHostfile,
  urlhausJson,
} from '../support/fakes.js'
import { ADMIN_TOKEN, bearer, createHarness, testConfig } from '../support/harness.js'

let fakes: FakeServer[] = []
afterEach(async () => {
  await Promise.all(fakes.map((fake) => fake.close()))
  fakes = []
})

async function fake(handler: FakeHandler): Promise<FakeServer> {
  const server = await startFake(handler)
  fakes.push(server)
  return server
}

function harness(env: Record<string, string>) {
  return createHarness(testConfig({ CLICKGATE_PROVIDER_USE: 'noncommercial', ...env }))
}

interface HealthFeed {
  name: string
  entries: number
  syncedAt: string | null
  ageSeconds: number | null
  stale: boolean
  lastError: string | null
}

async function health(h: ReturnType<typeof harness>): Promise<HealthFeed[]> {
  const response = await h.app.request('/healthz', { headers: bearer(ADMIN_TOKEN) })
  const body = (await response.json()) as { feeds: HealthFeed[] }
  return body.feeds
}

describe('URLhaus', () => {
  async function urlhaus(csv: () => string, hosts: string[] = ['malware-host.example']) {
    const server = await fake((request) => {
      if (request.path === '/downloads/csv_recent/') return { body: csv() }
      if (request.path === '/downloads/hostfile/') return { body: urlhausHostfile(hosts) }
      return { status: 404 }
    })
    const h = harness({
      CLICKGATE_PROVIDERS: 'urlhaus',
      CLICKGATE_URLHAUS_URL: `${server.url}/downloads/csv_recent/`,
      CLICKGATE_URLHAUS_HOSTFILE_URL: `${server.url}/downloads/hostfile/`,
      CLICKGATE_URLHAUS_AUTH_KEY: 'abuse-key',
    })
    return { server, h }
  }

  it('imports the CSV dump and the hostfile, and blocks a listed URL however it is spelled', async () => {
    const { server, h } = await urlhaus(() =>
      urlhausCsv([
        { id: 1, url: 'http://198.51.100.9:8080/bins/mozi.m' },
        { id: 2, url: 'https://dl.evil.example/payload.exe?id=1', threat: 'malware_download' },
      ]),
    )

    const report = await h.deps.providers.sync('urlhaus')
    const listed = await click(h, 'HTTPS://DL.Evil.example:443/x/../payload.exe?id=1#top')
    const other = await click(h, 'https://dl.evil.example/other.exe')

    expect(report).toMatchObject({ name: 'urlhaus', entries: 3, added: 3, removed: 0 })
    expect(listed.status).toBe(403)
    expect(listed.text).toContain('URLhaus lists this address as a malware download (matched after')
    expect(listed.text).not.toContain('exact address')
    expect(listed.text).toContain('malware_download')
    expect(other.status).toBe(302)
    expect(server.requests.map((r) => r.headers['auth-key'])).toEqual(['abuse-key', 'abuse-key'])
  })

  it('warns on any page of a host the hostfile lists, and on its subdomains', async () => {
    const { h } = await urlhaus(() => urlhausCsv([{ id: 1, url: 'http://other.example/a' }]))
    await h.deps.providers.sync('urlhaus')

    const page = await click(h, 'https://cdn.malware-host.example/index.html')
    const twin = await click(h, 'https://malware-host.example.org/index.html')

    expect(page.status).toBe(200)
    expect(page.text).toContain('URLhaus lists this host as currently serving malware')
    expect(twin.status).toBe(302)
  })

  it('applies only the difference on the next sync', async () => {
    let rows = [
      { id: 1, url: 'http://a.example/1' },
      { id: 2, url: 'http://b.example/2' },
    ]
    const { h } = await urlhaus(() => urlhausCsv(rows), ['host.example'])
    await h.deps.providers.sync('urlhaus')
    rows = [
      { id: 2, url: 'http://b.example/2' },
      { id: 3, url: 'http://c.example/3' },
    ]

    const second = await h.deps.providers.sync('urlhaus')

    expect(second).toMatchObject({ entries: 3, added: 1, removed: 1 })
    expect((await click(h, 'http://a.example/1')).status).toBe(302)
    expect((await click(h, 'http://c.example/3')).status).toBe(403)
    expect((await h.deps.store.feeds.state('urlhaus'))?.version).toBe(2)
  })

  it('reads the zipped JSON dump', async () => {
    const zipped = zipSync({
      'urlhaus_full.json': new TextEncoder().encode(
        urlhausJson([{ id: 7, url: 'http://zip.example/loader.exe' }]),
      ),
    })
    const server = await fake(() => ({ body: zipped }))
    const h = harness({
      CLICKGATE_PROVIDERS: 'urlhaus',
      CLICKGATE_URLHAUS_URL: `${server.url}/downloads/json/`,
      CLICKGATE_URLHAUS_HOSTFILE_URL: 'none',
    })

    await h.deps.providers.sync('urlhaus')
    const listed = await click(h, 'http://zip.example/loader.exe')

    expect(listed.status).toBe(403)
    expect(listed.text).toContain('tags exe, Loader')
  })

  it('keeps the old data when the feed comes back empty, and reports why', async () => {
    let body = urlhausCsv([{ id: 1, url: 'http://kept.example/x' }])
    const { h } = await urlhaus(() => body, ['kept-host.example'])
    await h.deps.providers.sync('urlhaus')
    body = urlhausCsv([])

    await expect(h.deps.providers.sync('urlhaus')).rejects.toMatchObject({ reason: 'empty_feed' })

    expect((await click(h, 'http://kept.example/x')).status).toBe(403)
    expect((await health(h))[0]).toMatchObject({ entries: 2, lastError: 'empty_feed' })
  })

  it('records an HTTP failure with a code and no URL', async () => {
    const server = await fake(() => ({ status: 503, body: 'down' }))
    const h = harness({
      CLICKGATE_PROVIDERS: 'urlhaus',
      CLICKGATE_URLHAUS_URL: `${server.url}/downloads/csv_recent/`,
    })

    await expect(h.deps.providers.sync('urlhaus')).rejects.toMatchObject({ reason: 'http_503' })

    expect((await health(h))[0]).toMatchObject({
      entries: 0,
      syncedAt: null,
      lastError: 'http_503',
    })
  })

  it('does not say "not downloaded yet" when every download so far has failed', async () => {
    const server = await fake(() => ({ status: 503, body: 'down' }))
    const h = harness({
      CLICKGATE_PROVIDERS: 'urlhaus',
      CLICKGATE_URLHAUS_URL: `${server.url}/downloads/csv_recent/`,
    })
    await expect(h.deps.providers.sync('urlhaus')).rejects.toMatchObject({ reason: 'http_503' })

    const result = await click(h, 'https://shop.example/')

    expect(result.text).toContain(
      'no usable copy of URLhaus (abuse.ch) is loaded (1 download failed)',
    )
    expect(result.text).not.toContain('not been downloaded yet')
  })
})

describe('freshness', () => {
  async function synced(env: Record<string, string> = {}) {
    const server = await fake(() => ({
      body: urlhausCsv([{ id: 1, url: 'http://listed.example/' }]),
    }))
    const h = harness({
      CLICKGATE_PROVIDERS: 'urlhaus',
      CLICKGATE_URLHAUS_URL: server.url + '/csv',
      CLICKGATE_URLHAUS_HOSTFILE_URL: 'none',
      ...env,
    })
    return h
  }

  it('warns on every link while an enabled feed has never been downloaded', async () => {
    const h = await synced()

    const result = await click(h, 'https://shop.example/')

    expect(result.status).toBe(200)
    expect(result.text).toContain('has not been downloaded yet')
  })

  it('gives stale data no allow comfort: a miss warns, and /healthz says stale', async () => {
    const h = await synced()
    await h.deps.providers.sync('urlhaus')
    const fresh = await click(h, 'https://shop.example/')

    h.clock.now += 3 * 60 * 60_000
    const stale = await click(h, 'https://shop.example/')
    const listed = await click(h, 'http://listed.example/')

    expect(fresh.status).toBe(302)
    expect(stale.status).toBe(200)
    expect(stale.text).toContain('data is 180 minutes old')
    expect(listed.status).toBe(403)
    expect((await health(h))[0]).toMatchObject({ stale: true, ageSeconds: 10_800 })
  })

  it('blocks on stale data when fail-closed', async () => {
    const h = await synced({ CLICKGATE_PROVIDER_FAILURE: 'block' })
    await h.deps.providers.sync('urlhaus')

    h.clock.now += 3 * 60 * 60_000

    expect((await click(h, 'https://shop.example/')).status).toBe(403)
  })
})

describe('PhishTank', () => {
  it('imports the gzipped online-valid JSON dump and names the target', async () => {
    const body = gzipSync(
      phishtankJson([
        { id: 9001, url: 'https://login.phish.example/microsoft/', target: 'Microsoft' },
      ]),
    )
    const server = await fake(() => ({ body: new Uint8Array(body) }))
    const h = harness({
      CLICKGATE_PROVIDERS: 'phishtank',
      CLICKGATE_PHISHTANK_URL: `${server.url}/data/online-valid.json.gz`,
    })

    const report = await h.deps.providers.sync('phishtank')
    const listed = await click(h, 'https://login.phish.example/microsoft/')

    expect(report).toMatchObject({ entries: 1 })
    expect(listed.status).toBe(403)
    expect(listed.text).toContain('phish 9001; targets Microsoft')
    expect(server.requests[0]?.headers['user-agent']).toMatch(/^clickgate\//)
  })

  it('imports the CSV dump, quoted URLs included', async () => {
    const server = await fake(() => ({
      body: phishtankCsv([
        { id: 1, url: 'http://a.phish.example/x' },
        { id: 2, url: 'http://b.phish.example/login?a=1,b=2' },
      ]),
    }))
    const h = harness({
      CLICKGATE_PROVIDERS: 'phishtank',
      CLICKGATE_PHISHTANK_URL: `${server.url}/data/online-valid.csv`,
    })

    await h.deps.providers.sync('phishtank')

    expect((await click(h, 'http://b.phish.example/login?a=1,b=2')).status).toBe(403)
  })
})

describe('OpenPhish', () => {
  it('matches exact URLs only, never the whole domain', async () => {
    const server = await fake(() => ({
      body: 'https://phish.example/office365/login.php\nhttp://other.example/x\n',
    }))
    const h = harness({
      CLICKGATE_PROVIDERS: 'openphish',
      CLICKGATE_OPENPHISH_URL: `${server.url}/feed.txt`,
    })

    await h.deps.providers.sync('openphish')

    expect((await click(h, 'https://phish.example/office365/login.php')).status).toBe(403)
    expect((await click(h, 'https://phish.example/')).status).toBe(302)
    expect((await click(h, 'https://phish.example/office365/')).status).toBe(302)
  })
})

describe('staging', () => {
  it('discards entries a crashed sync left staged, instead of publishing them', async () => {
    const server = await fake(() => ({ body: 'https://phish.example/a\n' }))
    const h = harness({ CLICKGATE_PROVIDERS: 'openphish', CLICKGATE_OPENPHISH_URL: server.url })
    await h.deps.store.feeds.stageEntries('openphish', [
      { hash: 42, kind: 'url', value: 'innocent.example/', info: null },
    ])

    const report = await h.deps.providers.sync('openphish')

    expect(report).toMatchObject({ entries: 1, added: 1 })
    expect(await h.deps.store.feeds.findEntries('openphish', [42])).toEqual([])
  })
})

describe('/healthz', () => {
  it('shows each feed with its count and age', async () => {
    const server = await fake(() => ({ body: 'https://p.example/1\nhttps://p.example/2\n' }))
    const h = harness({
      CLICKGATE_PROVIDERS: 'openphish,webrisk',
      CLICKGATE_OPENPHISH_URL: server.url,
      CLICKGATE_WEB_RISK_KEY: 'k',
    })
    await h.deps.providers.sync('openphish')
    h.clock.now += 90_000

    const feeds = await health(h)

    expect(feeds).toEqual([
      expect.objectContaining({ name: 'openphish', entries: 2, ageSeconds: 90, stale: false }),
      { name: 'webrisk', label: 'Google Web Risk', kind: 'lookup' },
    ])
  })
})

describe('without an in-memory index', () => {
  it('answers the same through SQL alone (the Workers path)', async () => {
    const server = await fake(() => ({ body: 'https://phish.example/a\n' }))
    const h = harness({ CLICKGATE_PROVIDERS: 'openphish', CLICKGATE_OPENPHISH_URL: server.url })
    await h.deps.providers.sync('openphish')
    const { LocalFeeds } = await import('../../src/core/feeds/local-feeds.js')
    const sqlOnly = new LocalFeeds(h.deps.providers.feeds.definitions, h.deps.store.feeds, {
      onFailure: 'warn',
      memoryIndex: false,
      policyFor: () => ({ allowInsecure: true, userAgent: 'test' }),
      now: () => h.clock.now,
    })
    const [signal] = sqlOnly.signals()
    const at = { linkId: 1, messageRef: null, now: h.clock.now }

    const hit = await signal?.evaluate({ ...at, target: 'https://phish.example/a' })
    const miss = await signal?.evaluate({ ...at, target: 'https://phish.example/b' })

    expect(hit).toEqual([expect.objectContaining({ verdict: 'block', reason: 'openphish_phish' })])
    expect(miss).toEqual([])
  })
})
