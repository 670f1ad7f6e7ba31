/**
 * better-sqlite3 behind the D1-shaped interface, so that the store and the
 * migrations are the same on Node and on Workers.
 */

import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

import Database from 'better-sqlite3'

import type { SqlDatabase, SqlRunResult, SqlStatement, SqlValue } from '../core/sql.js'

type Native = Database.Database
type NativeStatement = Database.Statement<SqlValue[]>

export class SqliteDatabase implements SqlDatabase {
  private readonly statements = new Map<string, NativeStatement>()

  constructor(readonly native: Native) {}

  prepare(query: string): SqlStatement {
    return new BoundStatement(this, query, [])
  }

  async batch<T>(statements: SqlStatement[]): Promise<{ results: T[] }[]> {
    const bound = statements.map((statement) => {
      if (!(statement instanceof BoundStatement)) throw new TypeError('foreign statement in batch')
      return statement
    })
    const runAll = this.native.transaction(() => bound.map((s) => ({ results: s.allSync<T>() })))
    return runAll()
  }

  /** better-sqlite3 compiles a statement once; reuse it for the life of the connection. */
  compiled(query: string): NativeStatement {
    let statement = this.statements.get(query)
    if (!statement) {
      statement = this.native.prepare<SqlValue[]>(query)
      this.statements.set(query, statement)
    }
    return statement
  }

  close(): void {
    this.native.close()
  }
}

class BoundStatement implements SqlStatement {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly query: string,
    private readonly values: SqlValue[],
  ) {}

  bind(...values: SqlValue[]): SqlStatement {
    return new BoundStatement(this.db, this.query, values)
  }

  async first<T>(): Promise<T | null> {
    return this.firstNow<T>()
  }

  firstNow<T>(): T | null {
    const row: unknown = this.db.compiled(this.query).get(...this.values)
    return row === undefined ? null : (row as T)
  }

  async all<T>(): Promise<{ results: T[] }> {
    return { results: this.allSync<T>() }
  }

  async run(): Promise<SqlRunResult> {
    const info = this.db.compiled(this.query).run(...this.values)
    return { meta: { changes: info.changes, last_row_id: Number(info.lastInsertRowid) } }
  }

  allSync<T>(): T[] {
    const statement = this.db.compiled(this.query)
    if (!statement.reader) {
      statement.run(...this.values)
      return []
    }
    return statement.all(...this.values) as T[]
  }
}

/** Opens (creating if needed) a database file with settings fit for a busy redirector. */
export function openSqlite(path: string): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })

  const native = new Database(path)
  native.pragma('journal_mode = WAL')
  // WAL with NORMAL sync loses at most the last transactions on power loss, never integrity.
  native.pragma('synchronous = NORMAL')
  native.pragma('busy_timeout = 5000')
  return new SqliteDatabase(native)
}

/**
 * Applies `migrations/NNNN_*.sql` in order, recording them in the same
 * `d1_migrations` table that `wrangler d1 migrations apply` keeps.
 */
export function migrate(db: SqliteDatabase, folder: string): string[] {
  db.native.exec(
    'CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, ' +
      'name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)',
  )
  const done = new Set(
    db.native
      .prepare<[], { name: string }>('SELECT name FROM d1_migrations')
      .all()
      .map((row) => row.name),
  )
  const pending = readdirSync(folder)
    .filter((name) => /^\d{4}_.+\.sql$/.test(name) && !done.has(name))
    .sort()

  for (const name of pending) {
    const sql = readFileSync(join(folder, name), 'utf8')
    db.native.transaction(() => {
      db.native.exec(sql)
      db.native.prepare('INSERT INTO d1_migrations (name) VALUES (?)').run(name)
    })()
  }
  return pending
}
