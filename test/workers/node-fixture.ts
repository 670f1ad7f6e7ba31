/**
 * Global setup, run in Node before the workerd tests: writes a database the
 * way a Node deployment would (better-sqlite3, the real app, the sample
 * alert rewritten and one block rule), clicks every link on Node, and hands
 * the rows, the keys and the answers to the workerd tests. They load the
 * rows into D1 and check that the same links give the same answers there.
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import PostalMime from 'postal-mime'
import type { TestProject } from 'vitest/node'

import type { SqlValue } from '../../src/core/sql.js'
import { generateKeyEntry } from '../../src/core/tokens.js'
import { migrationsDir } from '../../src/node/paths.js'
import { migrate, openSqlite } from '../../src/node/sqlite.js'
import { clickResult, rewriteAlert } from '../shared/http/alert.js'
import { addRule } from '../shared/http/helpers.js'
import { harnessOver, testConfig } from '../support/harness-core.js'
import { signedLinks } from '../support/links.js'

export interface TableRows {
  table: string
  columns: string[]
  rows: SqlValue[][]
}

export interface NodeDatabaseExport {
  keys: string
  tables: TableRows[]
  links: string[]
  answers: [number, string | null][]
}

declare module 'vitest' {
  export interface ProvidedContext {
    nodeDatabase: NodeDatabaseExport
  }
}

/** Every table the app writes; migrations' own bookkeeping is left to each runtime. */
const TABLES = ['links', 'messages', 'rules', 'clicks']

export default async function setup(project: TestProject): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'clickgate-node-db-'))
  try {
    project.provide('nodeDatabase', await writeNodeDatabase(join(dir, 'node.db')))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function writeNodeDatabase(path: string): Promise<NodeDatabaseExport> {
  const keys = generateKeyEntry('n1')
  const db = openSqlite(path)
  migrate(db, migrationsDir())
  const h = harnessOver(db, testConfig({ CLICKGATE_KEYS: keys }))

  await addRule(h, { action: 'block', type: 'domain', value: 'contoso-security.example' })
  const { message } = await rewriteAlert(h)
  const links = signedLinks((await PostalMime.parse(message)).html ?? '', h.deps)
  const answers: [number, string | null][] = []
  for (const link of links) answers.push(await clickResult(h, link))
  await h.settle()

  const tables = TABLES.map((table) => exportTable(db.native, table))
  db.close()
  return { keys, tables, links, answers }
}

function exportTable(native: ReturnType<typeof openSqlite>['native'], table: string): TableRows {
  const statement = native.prepare(`SELECT * FROM ${table} ORDER BY rowid`).raw(true)
  const columns = statement.columns().map((column) => column.name)
  return { table, columns, rows: statement.all() as SqlValue[][] }
}
