/**
 * A Safe Browsing v4 and Web Risk stand-in on 127.0.0.1, speaking the
 * documented JSON shapes: threatMatches:find (Lookup API),
 * threatListUpdates:fetch and fullHashes:find (Update API), and Web Risk's
 * uris:search. Lists are built from host-suffix/path-prefix expressions,
 * hashed here with node:crypto, independently of the code under test.
 */

import {
  type FakeRequest,
  type FakeServer,
  googleKeyCheck,
  json,
  sha256,
  startFake,
} from './fakes.js'

export interface SafeBrowsingFake {
  server: FakeServer
  /** Expressions whose full hashes are listed, per threat type. */
  listed: Map<string, string[]>
  /** Expressions whose 4-byte prefix is in the list but whose full hash is not (a collision). */
  prefixOnly: Map<string, string[]>
  /** Exact URLs the Lookup API and Web Risk report, with their threat type. */
  lookups: Map<string, string>
  corruptChecksum: boolean
  minimumWaitDuration: string | null
  requests(path: string): FakeRequest[]
}

const KEY = 'test-key'

interface ListVersion {
  prefixes: Buffer[]
}

export async function startSafeBrowsingFake(): Promise<SafeBrowsingFake> {
  const history = new Map<string, ListVersion[]>()
  const fake: Omit<SafeBrowsingFake, 'server' | 'requests'> = {
    listed: new Map(),
    prefixOnly: new Map(),
    lookups: new Map(),
    corruptChecksum: false,
    minimumWaitDuration: null,
  }

  const server = await startFake((request) => {
    const denied = googleKeyCheck(request, KEY)
    if (denied) return denied
    if (request.path === '/v4/threatMatches:find') return threatMatches(request, fake.lookups)
    if (request.path === '/v1/uris:search') return urisSearch(request, fake.lookups)
    if (request.path === '/v4/threatListUpdates:fetch') return listUpdates(request, fake, history)
    if (request.path === '/v4/fullHashes:find') return fullHashes(request, fake)
    return json({ error: { code: 404, message: 'not found' } }, 404)
  })

  return Object.assign(fake, {
    server,
    requests: (path: string) => server.requests.filter((r) => r.path === path),
  })
}

function body(request: FakeRequest): Record<string, unknown> {
  return JSON.parse(request.body) as Record<string, unknown> // test fake: trusts its client's JSON
}

function threatMatches(request: FakeRequest, lookups: Map<string, string>) {
  const info = body(request).threatInfo as { threatEntries: { url: string }[] }
  const matches = info.threatEntries
    .filter((entry) => lookups.has(entry.url))
    .map((entry) => ({
      threatType: lookups.get(entry.url),
      platformType: 'ANY_PLATFORM',
      threatEntryType: 'URL',
      threat: { url: entry.url },
      cacheDuration: '300s',
    }))
  return json(matches.length > 0 ? { matches } : {})
}

function urisSearch(request: FakeRequest, lookups: Map<string, string>) {
  const uri = request.query.get('uri') ?? ''
  const type = lookups.get(uri)
  const asked = request.query.getAll('threatTypes')
  if (!type || !asked.includes(type)) return json({})
  return json({ threat: { threatTypes: [type], expireTime: '2026-12-03T12:05:00Z' } })
}

function currentPrefixes(fake: Omit<SafeBrowsingFake, 'server' | 'requests'>, type: string) {
  const expressions = [...(fake.listed.get(type) ?? []), ...(fake.prefixOnly.get(type) ?? [])]
  const prefixes = expressions.map((e) => sha256(e).subarray(0, 4))
  // One longer prefix in every list, so mixed prefix sizes cross the wire.
  prefixes.push(sha256(`filler-${type}`).subarray(0, 8))
  return prefixes.sort(Buffer.compare)
}

function listUpdates(
  request: FakeRequest,
  fake: Omit<SafeBrowsingFake, 'server' | 'requests'>,
  history: Map<string, ListVersion[]>,
) {
  const requests = body(request).listUpdateRequests as { threatType: string; state: string }[]
  const listUpdateResponses = requests.map((item) => {
    const versions = history.get(item.threatType) ?? []
    const next = { prefixes: currentPrefixes(fake, item.threatType) }
    versions.push(next)
    history.set(item.threatType, versions)

    const known = /^state-(\d+)$/.exec(item.state)
    const previous = known ? versions[Number(known[1])] : undefined
    const checksum = sha256Raw(Buffer.concat(next.prefixes))
    return {
      threatType: item.threatType,
      threatEntryType: 'URL',
      platformType: 'ANY_PLATFORM',
      responseType: previous ? 'PARTIAL_UPDATE' : 'FULL_UPDATE',
      ...diff(previous?.prefixes ?? [], next.prefixes),
      newClientState: `state-${versions.length - 1}`,
      checksum: { sha256: fake.corruptChecksum ? sha256('wrong').toString('base64') : checksum },
    }
  })
  const wait = fake.minimumWaitDuration ? { minimumWaitDuration: fake.minimumWaitDuration } : {}
  return json({ listUpdateResponses, ...wait })
}

/** Removals as indices into the old sorted list; additions grouped by prefix size, raw. */
function diff(old: Buffer[], next: Buffer[]) {
  const has = (list: Buffer[], item: Buffer) => list.some((other) => other.equals(item))
  const indices = old.flatMap((item, index) => (has(next, item) ? [] : [index]))
  const added = next.filter((item) => !has(old, item))

  const bySize = new Map<number, Buffer[]>()
  for (const item of added) bySize.set(item.length, [...(bySize.get(item.length) ?? []), item])
  const additions = [...bySize].map(([prefixSize, items]) => ({
    compressionType: 'RAW',
    rawHashes: { prefixSize, rawHashes: Buffer.concat(items).toString('base64') },
  }))
  const removals =
    indices.length > 0 ? [{ compressionType: 'RAW', rawIndices: { indices } }] : undefined
  return { additions, ...(removals ? { removals } : {}) }
}

function fullHashes(request: FakeRequest, fake: Omit<SafeBrowsingFake, 'server' | 'requests'>) {
  const info = body(request).threatInfo as { threatEntries: { hash: string }[] }
  const asked = info.threatEntries.map((entry) => Buffer.from(entry.hash, 'base64'))
  const matches = [...fake.listed].flatMap(([threatType, expressions]) =>
    expressions
      .map((expression) => sha256(expression))
      .filter((full) => asked.some((prefix) => full.subarray(0, prefix.length).equals(prefix)))
      .map((full) => ({
        threatType,
        platformType: 'ANY_PLATFORM',
        threatEntryType: 'URL',
        threat: { hash: full.toString('base64') },
        cacheDuration: '300.000s',
      })),
  )
  return json({ matches, negativeCacheDuration: '300.000s' })
}

function sha256Raw(bytes: Buffer): string {
  return sha256(bytes).toString('base64')
}

export const SAFE_BROWSING_TEST_KEY = KEY
