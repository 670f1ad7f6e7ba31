import { describe, expect, it } from 'vitest'

import {
  type ClickBatchWriter,
  type PendingClick,
  clickStorer,
  createClickRecorder,
} from '../../src/core/clicks/recorder.js'
import { createHasher } from '../../src/core/hashing.js'
import { createServices } from '../../src/core/services.js'
import { SqlStore } from '../../src/core/sql-store.js'
import { signToken } from '../../src/core/tokens.js'
import { createApp } from '../../src/http/app.js'
import { flushClicks } from '../../src/http/resolve.js'
import type { AppDeps } from '../../src/http/env.js'
import { nodeHmac } from '../../src/node/hmac.js'
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

function pending(ip: string | null, i: number): PendingClick {
  return {
    at: NOW + i,
    linkId: 1,
    messageRef: null,
    recipientRef: `r${i}`,
    keyId: 'k1',
    verdict: 'allow',
    reason: null,
    userAgent: null,
    ip,
    automated: false,
    evidence: null,
    method: 'GET',
  }
}

describe('batches of clicks', () => {
  it('writes at most the configured batch size at a time, in order, losing none', async () => {
    const written: number[][] = []
    const recorder = createClickRecorder({
      writeBatch: async (batch) => {
        written.push(batch.map((c) => c.at - NOW))
        return { stored: batch.length, toLog: [] }
      },
      batchSize: 3,
    })
    for (let i = 0; i < 7; i++) recorder.enqueue(pending('192.0.2.1', i))

    const outcome = await recorder.flush()

    expect(outcome.stored).toBe(7)
    expect(written).toEqual([[0, 1, 2], [3, 4, 5], [6]])
  })

  it('hashes each distinct address of a batch once and stores every click with its hash', async () => {
    const db = openSqlite(':memory:')
    migrate(db, migrationsDir())
    const store = new SqlStore(db)
    await store.registerLinks(['https://a.example/'], NOW)
    const hashed: string[] = []
    const hasher = createHasher(new Uint8Array(32).fill(7), nodeHmac)
    const counting = { ...hasher, ipHash: (ip: string) => (hashed.push(ip), hasher.ipHash(ip)) }
    const storeBatch = clickStorer(store, counting)
    const ips = ['192.0.2.1', null, '192.0.2.2', '192.0.2.1', '192.0.2.2', '192.0.2.1']

    const records = await storeBatch(ips.map((ip, i) => pending(ip, i)))

    expect(hashed).toEqual(['192.0.2.1', '192.0.2.2'])
    const one = await hasher.ipHash('192.0.2.1')
    const two = await hasher.ipHash('192.0.2.2')
    expect(records.map((r) => r.ipHash)).toEqual([one, null, two, one, two, one])
    const rows = await store.listClicks({ limit: 10 })
    expect(rows.map((r) => r.ipHash).reverse()).toEqual([one, null, two, one, two, one])
  })
})
