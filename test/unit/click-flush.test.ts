import { describe, expect, it } from 'vitest'

import type { ClickBatchWriter, PendingClick } from '../../src/core/clicks/recorder.js'
import { createServices } from '../../src/core/services.js'
import { SqlStore } from '../../src/core/sql-store.js'
import { signToken } from '../../src/core/tokens.js'
import { createApp } from '../../src/http/app.js'
import { flushClicks } from '../../src/http/resolve.js'
import type { AppDeps } from '../../src/http/env.js'
import { migrationsDir } from '../../src/node/paths.js'
import { migrate, openSqlite } from '../../src/node/sqlite.js'
import { testConfig } from '../support/harness.js'

const NOW = 1_796_000_000_000
const HUMAN = {
  'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0',
  Accept: 'text/html',
  'Accept-Language': 'en',
}

/** A writer that holds every batch until released, as a busy writer thread would. */
function heldWriter() {
  const batches: number[] = []
  let release: () => void = () => {}
  const released = new Promise<void>((done) => (release = done))
  const writeBatch: ClickBatchWriter = async (batch: readonly PendingClick[]) => {
    batches.push(batch.length)
    await released
    return { stored: batch.length, toLog: [] }
  }
  return { writeBatch, batches, release }
}

describe('flushing clicks under a slow writer', () => {
  it('asks for one more flush while one waits, and loses no click', async () => {
    const db = openSqlite(':memory:')
    migrate(db, migrationsDir())
    const store = new SqlStore(db)
    const writer = heldWriter()
    const services = createServices(testConfig(), store, {
      now: () => NOW,
      clickBatches: writer.writeBatch,
    })
    const deferred: Promise<void>[] = []
    const deps: AppDeps = {
      ...services,
      logger: () => {},
      defer: (_c, task) => deferred.push(task()),
      clientIp: () => '198.51.100.7',
      clickFlushThreshold: 1,
    }
    const app = createApp(deps)
    const ids = await store.registerLinks(['https://news.example/a'], NOW)
    const linkId = ids.get('https://news.example/a') ?? -1
    const path = `/r/${await signToken(deps.config.ring, { linkId, issuedAt: NOW / 1000 - 3600 })}`

    for (let i = 0; i < 10; i++)
      expect((await app.request(path, { headers: HUMAN })).status).toBe(302)
    writer.release()
    await Promise.all(deferred)
    const rest = await flushClicks(deps)

    // The first click's flush is writing; the second's waits and takes all later clicks.
    expect(deferred).toHaveLength(2)
    expect(writer.batches).toEqual([1, 9])
    expect(rest).toBe(0)
  })
})
