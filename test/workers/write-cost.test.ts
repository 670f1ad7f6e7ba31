/**
 * What the store costs in D1's billing unit, rows written (each index entry
 * counts as a row). Measured on the real local D1; the README's Growth
 * section is built on these numbers.
 */

import { describe, expect, it } from 'vitest'

import type { ClickRecord } from '../../src/core/store.js'
import { SqlStore } from '../../src/core/sql-store.js'
import { T0 } from '../support/harness-core.js'
import { freshDatabase } from './d1-harness.js'

interface Metered {
  meta: { rows_written: number }
  results?: unknown[]
}

/** D1 with a running total of rows written, read from the meta D1 returns for each query. */
async function meteredStore() {
  const db = await freshDatabase()
  const total = { written: 0 }
  const statement = (target: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(target, {
      get(s, prop) {
        if (prop === 'bind') return (...values: unknown[]) => statement(s.bind(...values))
        if (prop === 'run' || prop === 'all') {
          return async () => {
            const result = (await s[prop]()) as Metered
            total.written += result.meta.rows_written
            return result
          }
        }
        if (prop === 'first') {
          return async () => {
            const result = (await s.all()) as Metered
            total.written += result.meta.rows_written
            return result.results?.[0] ?? null
          }
        }
        const value: unknown = Reflect.get(s, prop, s)
        return typeof value === 'function' ? value.bind(s) : value
      },
    })
  const metered = {
    prepare: (query: string) => statement(db.prepare(query)),
    batch: async (statements: D1PreparedStatement[]) => {
      const results = (await db.batch(statements)) as Metered[]
      for (const result of results) total.written += result.meta.rows_written
      return results
    },
  }
  return { store: new SqlStore(metered as never), total }
}

function click(linkId: number): ClickRecord {
  return {
    at: T0,
    linkId,
    messageRef: 1,
    recipientRef: '0123456789ab',
    keyId: 'k1',
    verdict: 'allow',
    reason: null,
    userAgent: 'Mozilla/5.0',
    ipHash: '0123456789abcdef',
    automated: false,
    evidence: null,
  }
}

describe('rows written on D1', () => {
  it('costs 2 rows per new link and per new message (row and unique index)', async () => {
    const { store, total } = await meteredStore()

    await store.registerLinks(['https://a.example/1', 'https://a.example/2'], T0)
    await store.registerMessage('message-key', T0)

    expect(total.written).toBe(6)
  })

  it('costs nothing to register links and messages it already knows', async () => {
    const { store, total } = await meteredStore()
    const urls = ['https://a.example/1', 'https://a.example/2']
    const first = await store.registerLinks(urls, T0)
    const message = await store.registerMessage('message-key', T0)
    total.written = 0

    const again = await store.registerLinks(urls, T0 + 1)
    const messageAgain = await store.registerMessage('message-key', T0 + 1)

    expect(total.written).toBe(0)
    expect(again).toEqual(first)
    expect(messageAgain).toBe(message)
  })

  it('writes a known message again only to store new findings', async () => {
    const { store, total } = await meteredStore()
    const id = await store.registerMessage('message-key', T0)
    total.written = 0
    const finding = { verdict: 'warn' as const, reason: 'x', source: 'test', checkedAt: T0 }

    await store.registerMessage('message-key', T0, [finding])

    expect(total.written).toBe(1)
    expect(await store.getMessageFindings(id)).toEqual([finding])
  })

  it('costs 4 rows per click (the row and its three indexes)', async () => {
    const { store, total } = await meteredStore()
    const linkId = (await store.registerLinks(['https://a.example/'], T0)).get('https://a.example/')
    total.written = 0

    await store.recordClicks([click(linkId ?? -1)])

    expect(total.written).toBe(4)
  })
})
