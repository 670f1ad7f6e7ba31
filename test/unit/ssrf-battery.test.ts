/**
 * The SSRF battery: every way we know to make the sandbox reach an internal
 * address, run through the real fetcher and page scanner. Each must be
 * refused, and a listener on loopback must see no connection at all.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createPageScanner } from '../../src/core/sandbox/page-scanner.js'
import type { ScanReport } from '../../src/core/sandbox/types.js'
import { isPublicUnicast } from '../../src/node/sandbox/address.js'
import {
  type GuardOptions,
  checkedAddress,
  createTestAllowance,
  systemResolver,
} from '../../src/node/sandbox/connector.js'
import { SafeFetcher } from '../../src/node/sandbox/safe-fetch.js'
import {
  type CountingListener,
  SITE_ADDRESS,
  type SiteServer,
  startCountingListener,
  startSite,
  tableResolver,
} from '../support/loopback.js'
import { LANDING, html, metaRefresh, redirect, router, scriptRedirect } from '../support/pages.js'

let site: SiteServer
let internal: CountingListener
let fetcher: SafeFetcher
let scan: (url: string) => Promise<ScanReport>
let P: number
let rebindAnswers = 0

const resolver = tableResolver({
  // What a resolver that honours the trailing dot answers; the bare name goes to the real one.
  localhost: ['127.0.0.1', '::1'],
  'internal.test': ['127.0.0.1'],
  'mixed.test': ['203.0.113.9', '8.8.8.8', '127.0.0.1'],
  'mapped.test': ['::ffff:127.0.0.1'],
  'six.test': ['::1'],
  'zero.test': ['0.0.0.0'],
  'nip.test': ['127.0.0.1'],
  'metadata.google.internal': ['169.254.169.254'],
  // DNS rebinding: the first answer is the "public" site, every later one is loopback.
  'rebind.test': () => (rebindAnswers++ === 0 ? [SITE_ADDRESS] : ['127.0.0.1']),
})

beforeAll(async () => {
  site = await startSite(
    router({
      '/landing': html(LANDING),
      '/to': (req, res) => {
        const to = new URL(req.url ?? '/', 'http://x').searchParams.get('u') ?? '/'
        redirect(to)(req, res)
      },
      '/meta': (req, res) => html(metaRefresh(`http://127.0.0.1:${P}/`))(req, res),
      '/script': (req, res) => html(scriptRedirect('http://169.254.169.254/latest/'))(req, res),
      // Connection: close forces a new connection, and so a new lookup, for the next hop.
      '/rebind': redirect('/rebind-2', 302, true),
      '/rebind-2': html(LANDING),
    }),
  )
  // The "internal" service: every loopback spelling on port P, and loopback on the site's port.
  internal = await startCountingListener([
    ['::', 0],
    ['127.0.0.1', site.port],
    ['::1', site.port],
  ])
  P = internal.ports[0] ?? 0

  fetcher = new SafeFetcher({
    resolve: async (host) => (host === 'localhost' ? systemResolver(host) : resolver(host)),
    testAllowance: createTestAllowance([`${SITE_ADDRESS}:${site.port}`]),
    // The listener's port is allowed, so that the address check alone has to stop every vector.
    allowedPorts: [80, 443, P],
    connectTimeoutMs: 1_000,
  })
  const scanner = createPageScanner({ fetcher, timeoutMs: 5_000 })
  scan = (url) => scanner.scan(url, new AbortController().signal)
})

afterAll(async () => {
  await fetcher?.close()
  await internal?.close()
  await site?.close()
})

/** What each vector must be refused with: the scheme check for other schemes, else the address check. */
function expectedRefusal(url: string): string {
  const target = decodeURIComponent(url.split('?u=')[1] ?? url)
  return /^(https?:)/.test(target) ? 'address_refused' : 'scheme_refused'
}

function vectorsOnLoopback(p: number, q: number): [string, string][] {
  const s = `http://${SITE_ADDRESS}:${q}`
  return [
    ['dotted decimal', `http://127.0.0.1:${p}/`],
    ['localhost', `http://localhost:${p}/`],
    ['LOCALHOST with a trailing dot', `http://LOCALHOST.:${p}/`],
    ['32-bit decimal', `http://2130706433:${p}/`],
    ['32-bit hex', `http://0x7f000001:${p}/`],
    ['32-bit octal', `http://017700000001:${p}/`],
    ['octal first octet', `http://0177.0.0.1:${p}/`],
    ['hex first octet', `http://0x7f.0.0.1:${p}/`],
    ['two-part short form', `http://127.1:${p}/`],
    ['three-part short form', `http://127.0.1:${p}/`],
    ['zero-padded octets', `http://127.000.000.001:${p}/`],
    ['trailing dot', `http://127.0.0.1.:${p}/`],
    ['full-width digits', `http://１２７.０.０.１:${p}/`],
    ['another loopback address', `http://127.42.0.1:${p}/`],
    ['IPv6 loopback', `http://[::1]:${p}/`],
    ['IPv6 loopback, long form', `http://[0:0:0:0:0:0:0:1]:${p}/`],
    ['IPv4-mapped IPv6, dotted', `http://[::ffff:127.0.0.1]:${p}/`],
    ['IPv4-mapped IPv6, hex', `http://[::ffff:7f00:1]:${p}/`],
    ['IPv4-compatible IPv6', `http://[::127.0.0.1]:${p}/`],
    ['IPv4-translated IPv6 (SIIT)', `http://[::ffff:0:7f00:1]:${p}/`],
    ['NAT64 of loopback', `http://[64:ff9b::7f00:1]:${p}/`],
    ['6to4 of loopback', `http://[2002:7f00:1::]:${p}/`],
    ['unspecified 0.0.0.0', `http://0.0.0.0:${p}/`],
    ['unspecified as 0', `http://0:${p}/`],
    ['unspecified IPv6', `http://[::]:${p}/`],
    ['https to loopback', `https://127.0.0.1:${p}/`],
    ['credentials in the URL', `http://admin:secret@127.0.0.1:${p}/`],
    ['allowed test address on another port', `http://${SITE_ADDRESS}:${p}/`],
    ['name resolving to loopback', `http://internal.test:${p}/`],
    ['name resolving to public and loopback', `http://mixed.test:${p}/`],
    ['name resolving to IPv4-mapped loopback', `http://mapped.test:${p}/`],
    ['name resolving to ::1', `http://six.test:${p}/`],
    ['name resolving to 0.0.0.0', `http://zero.test:${p}/`],
    ['redirect to loopback', `${s}/to?u=${encodeURIComponent(`http://127.0.0.1:${p}/`)}`],
    ['redirect to IPv6 loopback', `${s}/to?u=${encodeURIComponent(`http://[::1]:${p}/`)}`],
    ['redirect to localhost', `${s}/to?u=${encodeURIComponent(`http://localhost:${p}/`)}`],
    ['redirect to decimal loopback', `${s}/to?u=${encodeURIComponent(`http://2130706433:${p}/`)}`],
    [
      'redirect to a name resolving to loopback',
      `${s}/to?u=${encodeURIComponent(`http://nip.test:${p}/`)}`,
    ],
    ['redirect to file:', `${s}/to?u=${encodeURIComponent('file:///etc/passwd')}`],
    ['redirect to gopher:', `${s}/to?u=${encodeURIComponent(`gopher://127.0.0.1:${p}/_PING`)}`],
    ['redirect to ftp:', `${s}/to?u=${encodeURIComponent(`ftp://127.0.0.1:${p}/`)}`],
    ['redirect to dict:', `${s}/to?u=${encodeURIComponent(`dict://127.0.0.1:${p}/info`)}`],
    ['redirect to data:', `${s}/to?u=${encodeURIComponent('data:text/html,<h1>x</h1>')}`],
    ['redirect to javascript:', `${s}/to?u=${encodeURIComponent('javascript:alert(1)')}`],
    ['meta refresh to loopback', `${s}/meta`],
    ['DNS rebinding between hops', `http://rebind.test:${q}/rebind`],
  ]
}

/** Addresses outside loopback: checked by the same connector function, never dialled here. */
const VECTORS_ELSEWHERE: [string, string][] = [
  ['private 10/8', '10.0.0.1'],
  ['private 172.16/12', '172.16.5.4'],
  ['private 192.168/16', '192.168.1.1'],
  ['cloud metadata (AWS, GCP, Azure)', '169.254.169.254'],
  ['metadata as IPv4-mapped IPv6', '[::ffff:169.254.169.254]'],
  ['metadata.google.internal', 'metadata.google.internal'],
  ['AWS IPv6 metadata (unique-local)', '[fd00:ec2::254]'],
  ['link-local IPv6', '[fe80::1]'],
  ['CGNAT 100.64/10', '100.64.0.1'],
  ['multicast', '224.0.0.1'],
  ['IPv6 multicast', '[ff02::1]'],
  ['broadcast', '255.255.255.255'],
  ['benchmarking 198.18/15', '198.18.0.1'],
  ['Teredo', '[2001:0:4136:e378:8000:63bf:3fff:fdd2]'],
  ['NAT64 local-use 64:ff9b:1::/48', '[64:ff9b:1::a00:1]'],
  ['6to4 of a private address', '[2002:a00:1::]'],
  ['documentation 192.0.2/24', '192.0.2.10'],
  ['reserved 240/4', '240.0.0.1'],
]

describe('SSRF battery', () => {
  it('refuses every loopback vector, and the listener sees no connection', async () => {
    const vectors = vectorsOnLoopback(P, site.port)
    expect(vectors.length).toBeGreaterThanOrEqual(40)

    const outcomes: string[] = []
    for (const [name, url] of vectors) {
      const report = await scan(url)
      outcomes.push(`${name}: ${report.failure?.code ?? 'FETCHED ' + (report.finalUrl ?? '')}`)
      expect(report.failure?.code, `${name} (${url})`).toBe(expectedRefusal(url))
      expect(
        report.findings.some((f) => f.verdict === 'warn'),
        name,
      ).toBe(true)
    }

    expect(internal.connections, outcomes.join('\n')).toBe(0)
  })

  it('reached the allowed test site for the redirect vectors, so the refusals were real', () => {
    expect(site.hits.get('/to')).toBe(11)
    expect(site.hits.get('/meta')).toBe(1)
    expect(site.hits.get('/rebind')).toBe(1)
    expect(site.hits.get('/rebind-2')).toBeUndefined()
    expect(resolver.lookups.get('rebind.test')).toBe(2)
  })

  it('refuses a script redirect to the metadata address', async () => {
    const report = await scan(`http://${SITE_ADDRESS}:${site.port}/script`)

    expect(report.chain.map((hop) => hop.via)).toEqual(['start', 'script'])
    expect(report.failure?.code).toBe('address_refused')
  })

  it('refuses private, link-local, metadata, CGNAT, multicast and tunnel addresses', async () => {
    expect(internal.connections, 'loopback vectors must all have been refused first').toBe(0)
    const options: GuardOptions = {
      resolve: resolver,
      allowedPorts: new Set([80, 443]),
      allowance: createTestAllowance([`${SITE_ADDRESS}:${site.port}`]),
      connectTimeoutMs: 1_000,
    }

    for (const [name, host] of VECTORS_ELSEWHERE) {
      if (!host.startsWith('[') && !/^[\d.]+$/.test(host)) continue
      expect(isPublicUnicast(host), name).toBe(false)
    }
    for (const [name, host] of VECTORS_ELSEWHERE) {
      await expect(checkedAddress(host, 'http:', '80', options), name).rejects.toMatchObject({
        reason: 'address_refused',
      })
    }
  })

  it('only dials ports on the allowed list', async () => {
    const options: GuardOptions = {
      resolve: tableResolver({ 'public.test': ['93.184.216.34'] }),
      allowedPorts: new Set([80, 443]),
      allowance: null,
      connectTimeoutMs: 1_000,
    }

    await expect(checkedAddress('public.test', 'http:', '22', options)).rejects.toMatchObject({
      reason: 'port_refused',
    })
    await expect(checkedAddress('public.test', 'https:', '', options)).resolves.toBe(
      '93.184.216.34',
    )
  })

  it('accepts ordinary public addresses', () => {
    for (const address of [
      '8.8.8.8',
      '93.184.216.34',
      '[2606:4700:4700::1111]',
      '::ffff:8.8.8.8',
    ]) {
      expect(isPublicUnicast(address), address).toBe(true)
    }
  })
})
