/**
 * Links written by a Node deployment keep working on Workers: the rows a
 * better-sqlite3 database holds after rewriting the sample alert are loaded
 * into D1, and with the same keys every link gives the answer it gave on Node.
 */

import { describe, expect, inject, it } from 'vitest'

import type { SqlDatabase } from '../../src/core/sql.js'
import { EXPECTED_HTML_CLICKS, clickResult } from '../shared/http/alert.js'
import { testConfig } from '../support/harness-core.js'
import { createD1Harness, testEnv } from './d1-harness.js'
import type { TableRows } from './node-fixture.js'

async function load(db: SqlDatabase, { table, columns, rows }: TableRows): Promise<void> {
  const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`
  if (rows.length > 0) await db.batch(rows.map((row) => db.prepare(sql).bind(...row)))
}

describe('a Node-written database on Workers', () => {
  const exported = inject('nodeDatabase')

  it('verifies every Node-signed link and answers exactly as Node did', async () => {
    const h = await createD1Harness(testConfig({ CLICKGATE_KEYS: exported.keys }))
    for (const table of exported.tables) await load(testEnv.DB, table)

    const answers = []
    for (const link of exported.links) answers.push(await clickResult(h, link))

    expect(exported.links).toHaveLength(7)
    expect(exported.answers).toEqual(EXPECTED_HTML_CLICKS)
    expect(answers).toEqual(exported.answers)
    await h.settle()
    expect(await h.deps.store.counts()).toMatchObject({ rules: 1, messages: 1, clicks: 14 })
  })

  it('rejects the same links under other keys', async () => {
    const h = await createD1Harness()
    for (const table of exported.tables) await load(testEnv.DB, table)

    const [status] = await clickResult(h, exported.links[0] ?? '')

    expect(status).toBe(404)
    expect(h.logs.find((l) => l.event === 'token.rejected')?.fields.reason).toBe('unknown_key')
  })
})
