/**
 * Clicks are written in batches off the hot path; a clean shutdown must
 * still write every one of them.
 */

import { join } from 'node:path'
import { rmSync } from 'node:fs'

import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'

import { startServer } from '../support/server.js'

const REWRITE_TOKEN = 'e2e-rewrite-token-0123456789abcdef'
const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef'
/** Below the batch size, so every click is still queued when the server is told to stop. */
const CLICKS = 400

describe('click recording on shutdown', () => {
  it('loses no queued click on SIGTERM', async () => {
    const server = await startServer({
      CLICKGATE_REWRITE_TOKEN: REWRITE_TOKEN,
      CLICKGATE_ADMIN_TOKEN: ADMIN_TOKEN,
      CLICKGATE_CLICK_RATE_LIMIT: '100000/1',
      // No timed writes during the test: whatever is queued must be written by the shutdown.
      CLICKGATE_CLICK_FLUSH_MS: '600000',
    })
    try {
      const rewrite = await fetch(`${server.baseUrl}/api/v1/rewrite`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${REWRITE_TOKEN}`, 'Content-Type': 'text/plain' },
        body: 'See https://news.example/today\n',
      })
      const link = /http:\/\/\S+\/r\/[A-Za-z0-9_-]+/.exec(await rewrite.text())?.[0] ?? ''
      const url = link.replace('localhost', '127.0.0.1')

      for (let sent = 0; sent < CLICKS; sent += 100) {
        const batch = Array.from({ length: 100 }, () => fetch(url, { redirect: 'manual' }))
        expect((await Promise.all(batch)).every((r) => r.status === 302)).toBe(true)
      }
      const health = (await (
        await fetch(`${server.baseUrl}/healthz`, {
          headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
        })
      ).json()) as {
        clicksQueued: number
      }
      const exitCode = await server.terminate()

      const db = new Database(join(server.dir, 'e2e.db'), { readonly: true })
      const row = db.prepare('SELECT count(*) AS n FROM clicks').get() as { n: number } // one row
      db.close()
      expect(health.clicksQueued).toBe(CLICKS)
      expect(exitCode).toBe(0)
      expect(row.n).toBe(CLICKS)
      expect(server.logs.find((l) => l.event === 'server.stopped')).toMatchObject({
        clicksWritten: CLICKS,
        clicksDropped: 0,
      })
      // The writer thread logs each click it wrote, once, before the process exits.
      const clickLines = server.logs.filter((l) => l.event === 'click')
      expect(clickLines).toHaveLength(CLICKS)
      expect(clickLines[0]).toMatchObject({ level: 'info', verdict: 'allow', method: 'GET' })
    } finally {
      rmSync(server.dir, { recursive: true, force: true })
    }
  })
})
