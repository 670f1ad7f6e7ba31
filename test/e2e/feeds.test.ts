import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { type FakeServer, startFake, urlhausCsv } from '../support/fakes.js'
import { SAFE_BROWSING_TEST_KEY, startSafeBrowsingFake } from '../support/safe-browsing-fake.js'
import { CLI, requireBuild, startServer } from '../support/server.js'

let fake: FakeServer
let dir: string
beforeEach(async () => {
  fake = await startFake((request) => {
    if (request.path === '/feed.txt')
      return { body: 'https://phish.example/a\nhttps://phish.example/b\n' }
    if (request.path === '/csv_recent/')
      return { body: urlhausCsv([{ id: 1, url: 'http://m.example/x' }]) }
    return { status: 503, body: 'unavailable' }
  })
  dir = mkdtempSync(join(tmpdir(), 'clickgate-feeds-'))
})
afterEach(async () => {
  await fake.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Admin token for the detailed /healthz (feeds are deployment details). */
const ADMIN = 'admin-token-for-feed-tests-0123456789'

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    CLICKGATE_ADMIN_TOKEN: ADMIN,
    CLICKGATE_DB: join(dir, 'feeds.db'),
    CLICKGATE_PROVIDERS: 'urlhaus,openphish',
    CLICKGATE_PROVIDER_USE: 'noncommercial',
    CLICKGATE_URLHAUS_URL: `${fake.url}/csv_recent/`,
    CLICKGATE_URLHAUS_HOSTFILE_URL: 'none',
    CLICKGATE_OPENPHISH_URL: `${fake.url}/feed.txt`,
    ...extra,
  }
}

/** Runs the CLI asynchronously: the fake lives in this process and must keep answering. */
function cli(args: string[], extra: Record<string, string> = {}) {
  requireBuild()
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: dir, env: env(extra) },
      (err, stdout, stderr) => {
        const code = err && typeof err.code === 'number' ? err.code : err ? null : 0
        done({ status: code, stdout, stderr })
      },
    )
  })
}

describe('clickgate feeds', () => {
  it('syncs every enabled feed, prints a summary per feed, and status shows the counts', async () => {
    const sync = await cli(['feeds', 'sync'])
    const status = await cli(['feeds', 'status'])

    expect(sync.status).toBe(0)
    const lines = sync.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(lines).toEqual([
      expect.objectContaining({ name: 'urlhaus', entries: 1, added: 1 }),
      expect.objectContaining({ name: 'openphish', entries: 2, added: 2 }),
    ])
    const feeds = (JSON.parse(status.stdout) as { feeds: Record<string, unknown>[] }).feeds
    expect(feeds.map((f) => [f.name, f.entries, f.stale])).toEqual([
      ['urlhaus', 1, false],
      ['openphish', 2, false],
    ])
  })

  it('syncs one named feed only', async () => {
    const sync = await cli(['feeds', 'sync', 'openphish'])

    expect(sync.status).toBe(0)
    expect(fake.requests.map((r) => r.path)).toEqual(['/feed.txt'])
  })

  it('exits 3 when a provider fails, naming the code but never the URL with its key', async () => {
    const sync = await cli(['feeds', 'sync', 'openphish'], {
      CLICKGATE_OPENPHISH_URL: `${fake.url}/SECRET-APP-KEY/feed.txt`,
    })

    expect(sync.status).toBe(3)
    expect(sync.stderr).toContain('openphish: sync failed (http_503)')
    expect(sync.stderr).not.toContain('SECRET-APP-KEY')
  })

  it('runs a Safe Browsing update in the sync worker too', async () => {
    const safeBrowsing = await startSafeBrowsingFake()
    safeBrowsing.listed.set('MALWARE', ['evil.example/'])
    try {
      const sync = await cli(['feeds', 'sync', 'safebrowsing-update'], {
        CLICKGATE_PROVIDERS: 'safebrowsing-update',
        CLICKGATE_SAFE_BROWSING_KEY: SAFE_BROWSING_TEST_KEY,
        CLICKGATE_SAFE_BROWSING_URL: safeBrowsing.server.url,
      })

      expect(sync.status).toBe(0)
      expect(JSON.parse(sync.stdout)).toMatchObject({ name: 'safebrowsing-update', entries: 4 })
    } finally {
      await safeBrowsing.server.close()
    }
  })

  it('refuses a feed that is not enabled', async () => {
    const sync = await cli(['feeds', 'sync', 'phishtank'])

    expect(sync.status).toBe(1)
    expect(sync.stderr).toContain(
      '"phishtank" is not an enabled feed (enabled: urlhaus, openphish)',
    )
  })
})

describe('the server schedule', () => {
  it('downloads due feeds by itself and reports them in /healthz', async () => {
    const server = await startServer(env({ CLICKGATE_DB: join(dir, 'served.db') }))
    try {
      // Each sync runs in a worker thread; allow for a busy machine.
      await expect
        .poll(
          async () => {
            const response = await fetch(`${server.baseUrl}/healthz`, {
              headers: { Authorization: `Bearer ${ADMIN}` },
            })
            const health = (await response.json()) as {
              feeds: { name: string; entries: number }[]
            }
            return health.feeds.map((f) => [f.name, f.entries])
          },
          { timeout: 15_000, interval: 100 },
        )
        .toEqual([
          ['urlhaus', 1],
          ['openphish', 2],
        ])
      expect(server.logs.filter((l) => l.event === 'feed.synced').map((l) => l.name)).toEqual([
        'urlhaus',
        'openphish',
      ])
    } finally {
      await server.stop()
    }
  })
})
