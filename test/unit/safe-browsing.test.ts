import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { PrefixSet } from '../../src/core/providers/prefix-set.js'
import { click } from '../support/clicks.js'
import { sha256 } from '../support/fakes.js'
import { ADMIN_TOKEN, bearer, createHarness, testConfig } from '../support/harness.js'
import {
  SAFE_BROWSING_TEST_KEY,
  type SafeBrowsingFake,
  startSafeBrowsingFake,
} from '../support/safe-browsing-fake.js'

let fake: SafeBrowsingFake
beforeEach(async () => {
  fake = await startSafeBrowsingFake()
})
afterEach(async () => {
  await fake.server.close()
})

function harness(providers: string, env: Record<string, string> = {}) {
  return createHarness(
    testConfig({
      CLICKGATE_PROVIDERS: providers,
      CLICKGATE_PROVIDER_USE: 'noncommercial',
      CLICKGATE_SAFE_BROWSING_KEY: SAFE_BROWSING_TEST_KEY,
      CLICKGATE_SAFE_BROWSING_URL: fake.server.url,
      CLICKGATE_WEB_RISK_KEY: SAFE_BROWSING_TEST_KEY,
      CLICKGATE_WEB_RISK_URL: fake.server.url,
      ...env,
    }),
  )
}

describe('Safe Browsing Lookup API (threatMatches:find)', () => {
  it('sends the documented request with the key in a header, and blocks malware', async () => {
    fake.lookups.set('https://malware.example/dropper.exe', 'MALWARE')
    const h = harness('safebrowsing')

    const listed = await click(h, 'https://malware.example/dropper.exe')
    const [request] = fake.requests('/v4/threatMatches:find')

    expect(listed.status).toBe(403)
    expect(listed.text).toContain(
      'Google Safe Browsing (Lookup API) lists this address for malware',
    )
    expect(request?.method).toBe('POST')
    expect(request?.headers['x-goog-api-key']).toBe(SAFE_BROWSING_TEST_KEY)
    expect(request?.query.has('key')).toBe(false)
    expect(JSON.parse(request?.body ?? '{}')).toEqual({
      client: { clientId: 'clickgate', clientVersion: '0.1.0' },
      threatInfo: {
        threatTypes: ['MALWARE', 'SOCIAL_ENGINEERING', 'UNWANTED_SOFTWARE'],
        platformTypes: ['ANY_PLATFORM'],
        threatEntryTypes: ['URL'],
        threatEntries: [{ url: 'https://malware.example/dropper.exe' }],
      },
    })
  })

  it('warns on unwanted software and lets a clean answer through', async () => {
    fake.lookups.set('https://pup.example/setup', 'UNWANTED_SOFTWARE')
    const h = harness('safebrowsing')

    expect((await click(h, 'https://pup.example/setup')).status).toBe(200)
    expect((await click(h, 'https://clean.example/')).status).toBe(302)
  })

  it('warns when the API refuses the key, never allows', async () => {
    const h = harness('safebrowsing', { CLICKGATE_SAFE_BROWSING_KEY: 'wrong-key' })

    const result = await click(h, 'https://clean.example/')

    expect(result.status).toBe(200)
    expect(result.text).toContain('could not be asked')
  })
})

describe('Web Risk (uris.search)', () => {
  it('asks with GET, the uri and each threat type, and blocks social engineering', async () => {
    fake.lookups.set('https://login.phish.example/', 'SOCIAL_ENGINEERING')
    const h = harness('webrisk', { CLICKGATE_PROVIDER_USE: 'commercial' })

    const listed = await click(h, 'https://login.phish.example/')
    const clean = await click(h, 'https://clean.example/')
    const [request] = fake.requests('/v1/uris:search')

    expect(listed.status).toBe(403)
    expect(listed.text).toContain('Google Web Risk lists this address for phishing')
    expect(clean.status).toBe(302)
    expect(request?.method).toBe('GET')
    expect(request?.query.get('uri')).toBe('https://login.phish.example/')
    expect(request?.query.getAll('threatTypes')).toEqual([
      'MALWARE',
      'SOCIAL_ENGINEERING',
      'UNWANTED_SOFTWARE',
    ])
    expect(request?.headers['x-goog-api-key']).toBe(SAFE_BROWSING_TEST_KEY)
  })
})

describe('Safe Browsing Update API', () => {
  beforeEach(() => {
    fake.listed.set('MALWARE', ['evil.example/'])
    fake.listed.set('SOCIAL_ENGINEERING', ['phish.example/login/'])
    fake.prefixOnly.set('MALWARE', ['collide.example/'])
  })

  it('keeps prefixes locally and fetches full hashes only when a prefix matches', async () => {
    const h = harness('safebrowsing-update')
    const report = await h.deps.providers.sync('safebrowsing-update')

    const clean = await click(h, 'https://clean.example/page')
    const afterClean = fake.requests('/v4/fullHashes:find').length
    const listed = await click(h, 'HTTP://www.EVIL.example:80/a/b/c.html?x=1#frag')
    const again = await click(h, 'http://evil.example/other')
    const [request] = fake.requests('/v4/fullHashes:find')

    expect(report).toEqual({ name: 'safebrowsing-update', entries: 6 })
    expect(clean.status).toBe(302)
    expect(afterClean).toBe(0)
    expect(listed.status).toBe(403)
    expect(listed.text).toContain('lists this address for malware')
    expect(again.status).toBe(403)
    expect(fake.requests('/v4/fullHashes:find')).toHaveLength(1)
    const sent = JSON.parse(request?.body ?? '{}') as {
      clientStates: string[]
      threatInfo: { threatEntries: { hash: string }[] }
    }
    expect(sent.threatInfo.threatEntries).toEqual([
      { hash: sha256('evil.example/').subarray(0, 4).toString('base64') },
    ])
    expect(sent.clientStates).toEqual(['state-0', 'state-0', 'state-0'])
  })

  it('lets a prefix collision through once the full hash does not match, and caches that', async () => {
    const h = harness('safebrowsing-update')
    await h.deps.providers.sync('safebrowsing-update')

    const first = await click(h, 'http://collide.example/')
    const second = await click(h, 'http://collide.example/')

    expect(first.status).toBe(302)
    expect(second.status).toBe(302)
    expect(fake.requests('/v4/fullHashes:find')).toHaveLength(1)
  })

  it('applies a partial update: removals by index into the sorted list, then additions', async () => {
    const h = harness('safebrowsing-update')
    await h.deps.providers.sync('safebrowsing-update')
    fake.listed.set('MALWARE', ['new-evil.example/'])

    await h.deps.providers.sync('safebrowsing-update')
    const [, second] = fake.requests('/v4/threatListUpdates:fetch')
    const sent = JSON.parse(second?.body ?? '{}') as { listUpdateRequests: { state: string }[] }

    expect(sent.listUpdateRequests.map((r) => r.state)).toEqual(['state-0', 'state-0', 'state-0'])
    expect((await click(h, 'http://new-evil.example/')).status).toBe(403)
    expect((await click(h, 'http://evil.example/')).status).toBe(302)
    expect((await click(h, 'http://phish.example/login/form')).status).toBe(403)
  })

  it('drops a list whose checksum does not match, and asks for all of it next time', async () => {
    const h = harness('safebrowsing-update')
    await h.deps.providers.sync('safebrowsing-update')
    fake.corruptChecksum = true
    fake.listed.set('MALWARE', ['other.example/'])

    await expect(h.deps.providers.sync('safebrowsing-update')).rejects.toMatchObject({
      reason: 'checksum_mismatch',
    })
    fake.corruptChecksum = false
    h.clock.now += 60 * 60_000
    await h.deps.providers.sync('safebrowsing-update')
    const third = fake.requests('/v4/threatListUpdates:fetch')[2]
    const states = (
      JSON.parse(third?.body ?? '{}') as { listUpdateRequests: { state: string }[] }
    ).listUpdateRequests.map((r) => r.state)

    expect(states).toEqual(['', '', ''])
    expect((await h.deps.store.threatLists.load('MALWARE/ANY_PLATFORM/URL'))?.record.prefixes).toBe(
      3,
    )
  })

  it('acts on lists under 30 minutes old only: after that a miss warns, a hit is still verified', async () => {
    const h = harness('safebrowsing-update')
    await h.deps.providers.sync('safebrowsing-update')

    h.clock.now += 31 * 60_000
    const miss = await click(h, 'https://clean.example/')
    const hit = await click(h, 'http://evil.example/')
    const response = await h.app.request('/healthz', { headers: bearer(ADMIN_TOKEN) })
    const health = (await response.json()) as {
      feeds: { stale: boolean }[]
    }

    expect(miss.status).toBe(200)
    expect(miss.text).toContain('more than 30 minutes old')
    expect(hit.status).toBe(403)
    expect(health.feeds[0]?.stale).toBe(true)
  })

  it('waits the minimumWaitDuration the server asks for before the next update', async () => {
    fake.minimumWaitDuration = '1800.5s'
    const h = harness('safebrowsing-update')
    await h.deps.providers.sync('safebrowsing-update')

    const soon = await h.deps.providers.due(h.clock.now + 15 * 60_000)
    const later = await h.deps.providers.due(h.clock.now + 31 * 60_000)

    expect(soon).toEqual([])
    expect(later).toEqual(['safebrowsing-update'])
  })

  it('warns while the lists have never been downloaded', async () => {
    const h = harness('safebrowsing-update')

    const result = await click(h, 'https://clean.example/')

    expect(result.status).toBe(200)
    expect(result.text).toContain('no usable copy of the Google Safe Browsing')
  })
})

describe('PrefixSet', () => {
  const bytes = (...values: number[]) => new Uint8Array(values)

  it('keeps lexicographic order across prefix sizes for removals and the checksum', () => {
    const set = PrefixSet.empty.apply(
      [],
      [
        { size: 4, data: bytes(2, 0, 0, 0, 1, 0, 0, 0) },
        { size: 5, data: bytes(1, 0, 0, 0, 9, 1, 0, 0, 0, 0) },
      ],
    )

    expect([...set.concatenated()]).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 9, 2, 0, 0, 0])

    const smaller = set.apply([1], [])

    expect([...smaller.concatenated()]).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 9, 2, 0, 0, 0])
  })

  it('finds the prefix of a full hash and rejects an index out of range', () => {
    const set = PrefixSet.empty.apply([], [{ size: 4, data: bytes(0xab, 0xcd, 0xef, 0x01) }])
    const full = new Uint8Array(32).fill(7)
    full.set([0xab, 0xcd, 0xef, 0x01])

    expect(set.match(full)).toEqual(bytes(0xab, 0xcd, 0xef, 0x01))
    expect(set.match(new Uint8Array(32))).toBeNull()
    expect(() => set.apply([1], [])).toThrow(RangeError)
    expect(() => set.apply([], [{ size: 3, data: bytes(1, 2, 3) }])).toThrow(RangeError)
  })
})
