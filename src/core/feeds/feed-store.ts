/**
 * What reputation feeds need from storage, and its one implementation over
 * the D1-shaped database. Multi-row writes are multi-row statements inside
 * `batch()`, because D1 has no interactive transactions and allows at most
 * 100 bound parameters per statement.
 */

import type { SqlDatabase, SqlStatement, SqlValue } from '../sql.js'

export type FeedEntryKind = 'url' | 'host'

export interface FeedEntry {
  /** hash53 of the value, seeded by kind (see keys.ts). */
  hash: number
  kind: FeedEntryKind
  /** The canonical URL without scheme (see canonical.ts), or a lower-case host. */
  value: string
  /** Short plain-text evidence from the feed, e.g. the threat type. */
  info: string | null
}

export interface FeedState {
  feed: string
  syncedAt: number | null
  attemptedAt: number | null
  version: number
  entries: number
  lastError: string | null
  failures: number
  notBefore: number | null
}

export interface SyncOutcome {
  at: number
  entries: number
  /** Whether the data changed; bumps the version so other processes reload. */
  changed: boolean
  notBefore?: number | null
}

export interface FeedStore {
  state(feed: string): Promise<FeedState | null>
  states(): Promise<FeedState[]>
  /** Takes the feed for a sync until `until`; false when another sync holds it. */
  acquireLease(feed: string, now: number, until: number): Promise<boolean>
  releaseLease(feed: string): Promise<void>
  count(feed: string): Promise<number>
  /** Hashes in ascending order, strictly after `after`, at most `limit` of them. */
  hashPage(feed: string, after: number, limit: number): Promise<number[]>
  /** Appends new entries to the sync's staging area. */
  stageEntries(feed: string, entries: readonly FeedEntry[]): Promise<void>
  /** Moves the staged entries into the feed, in hash order, in one step. */
  commitStaged(feed: string): Promise<void>
  /** Forgets staged entries (a failed or abandoned sync). */
  clearStaged(feed: string): Promise<void>
  deleteEntries(feed: string, hashes: readonly number[]): Promise<void>
  findEntries(feed: string, hashes: readonly number[]): Promise<FeedEntry[]>
  recordSuccess(feed: string, outcome: SyncOutcome): Promise<void>
  recordFailure(feed: string, at: number, error: string, notBefore: number | null): Promise<void>
}

/** D1's limit on bound parameters per statement is 100. */
const MAX_PARAMS = 100
const ENTRY_COLUMNS = 5
const ROWS_PER_INSERT = Math.floor(MAX_PARAMS / ENTRY_COLUMNS)
const HASHES_PER_STATEMENT = MAX_PARAMS - 1
/** Statements per batch: large enough to amortise a commit, small enough for a D1 request. */
const STATEMENTS_PER_BATCH = 200

interface StateRow {
  feed: string
  synced_at: number | null
  attempted_at: number | null
  version: number
  entries: number
  last_error: string | null
  failures: number
  not_before: number | null
}

export class SqlFeedStore implements FeedStore {
  constructor(private readonly db: SqlDatabase) {}

  async state(feed: string): Promise<FeedState | null> {
    const row = await this.db
      .prepare('SELECT * FROM feed_state WHERE feed = ?')
      .bind(feed)
      .first<StateRow>()
    return row ? toState(row) : null
  }

  async states(): Promise<FeedState[]> {
    const { results } = await this.db
      .prepare('SELECT * FROM feed_state ORDER BY feed')
      .all<StateRow>()
    return results.map(toState)
  }

  async acquireLease(feed: string, now: number, until: number): Promise<boolean> {
    const [, taken] = await this.db.batch<{ feed: string }>([
      this.db.prepare('INSERT INTO feed_state (feed) VALUES (?) ON CONFLICT DO NOTHING').bind(feed),
      this.db
        .prepare(
          'UPDATE feed_state SET lease_until = ? WHERE feed = ? ' +
            'AND (lease_until IS NULL OR lease_until < ?) RETURNING feed',
        )
        .bind(until, feed, now),
    ])
    return (taken?.results.length ?? 0) > 0
  }

  async releaseLease(feed: string): Promise<void> {
    await this.db
      .prepare('UPDATE feed_state SET lease_until = NULL WHERE feed = ?')
      .bind(feed)
      .run()
  }

  async count(feed: string): Promise<number> {
    const row = await this.db
      .prepare('SELECT count(*) AS n FROM feed_entries WHERE feed = ?')
      .bind(feed)
      .first<{ n: number }>()
    return row?.n ?? 0
  }

  async hashPage(feed: string, after: number, limit: number): Promise<number[]> {
    const { results } = await this.db
      .prepare('SELECT hash FROM feed_entries WHERE feed = ? AND hash > ? ORDER BY hash LIMIT ?')
      .bind(feed, after, limit)
      .all<{ hash: number }>()
    return results.map((row) => row.hash)
  }

  async stageEntries(feed: string, entries: readonly FeedEntry[]): Promise<void> {
    const statements: SqlStatement[] = []
    for (let i = 0; i < entries.length; i += ROWS_PER_INSERT) {
      const chunk = entries.slice(i, i + ROWS_PER_INSERT)
      const values: SqlValue[] = []
      for (const entry of chunk) values.push(feed, entry.hash, entry.kind, entry.value, entry.info)
      statements.push(this.db.prepare(insertSql(chunk.length)).bind(...values))
    }
    await this.runBatches(statements)
  }

  async commitStaged(feed: string): Promise<void> {
    await this.db.batch([
      this.db
        .prepare(
          'INSERT OR IGNORE INTO feed_entries (feed, hash, kind, value, info) ' +
            'SELECT feed, hash, kind, value, info FROM feed_staging WHERE feed = ? ORDER BY hash',
        )
        .bind(feed),
      this.db.prepare('DELETE FROM feed_staging WHERE feed = ?').bind(feed),
    ])
  }

  async clearStaged(feed: string): Promise<void> {
    await this.db.prepare('DELETE FROM feed_staging WHERE feed = ?').bind(feed).run()
  }

  async deleteEntries(feed: string, hashes: readonly number[]): Promise<void> {
    const statements: SqlStatement[] = []
    for (let i = 0; i < hashes.length; i += HASHES_PER_STATEMENT) {
      const chunk = hashes.slice(i, i + HASHES_PER_STATEMENT)
      statements.push(
        this.db
          .prepare(`DELETE FROM feed_entries WHERE feed = ? AND hash IN (${marks(chunk.length)})`)
          .bind(feed, ...chunk),
      )
    }
    await this.runBatches(statements)
  }

  async findEntries(feed: string, hashes: readonly number[]): Promise<FeedEntry[]> {
    if (hashes.length === 0) return []

    const found: FeedEntry[] = []
    for (let i = 0; i < hashes.length; i += HASHES_PER_STATEMENT) {
      const chunk = hashes.slice(i, i + HASHES_PER_STATEMENT)
      const { results } = await this.db
        .prepare(
          'SELECT hash, kind, value, info FROM feed_entries ' +
            `WHERE feed = ? AND hash IN (${marks(chunk.length)})`,
        )
        .bind(feed, ...chunk)
        .all<FeedEntry>()
      found.push(...results)
    }
    return found
  }

  async recordSuccess(feed: string, outcome: SyncOutcome): Promise<void> {
    await this.db
      .prepare(
        'INSERT INTO feed_state (feed, synced_at, attempted_at, version, entries, last_error, ' +
          'failures, not_before) VALUES (?, ?, ?, ?, ?, NULL, 0, ?) ON CONFLICT (feed) DO UPDATE SET ' +
          'synced_at = excluded.synced_at, attempted_at = excluded.attempted_at, ' +
          'version = feed_state.version + ?, entries = excluded.entries, last_error = NULL, ' +
          'failures = 0, not_before = excluded.not_before',
      )
      .bind(
        feed,
        outcome.at,
        outcome.at,
        outcome.changed ? 1 : 0,
        outcome.entries,
        outcome.notBefore ?? null,
        outcome.changed ? 1 : 0,
      )
      .run()
  }

  async recordFailure(
    feed: string,
    at: number,
    error: string,
    notBefore: number | null,
  ): Promise<void> {
    await this.db
      .prepare(
        'INSERT INTO feed_state (feed, attempted_at, last_error, failures, not_before) ' +
          'VALUES (?, ?, ?, 1, ?) ON CONFLICT (feed) DO UPDATE SET ' +
          'attempted_at = excluded.attempted_at, last_error = excluded.last_error, ' +
          'failures = feed_state.failures + 1, not_before = excluded.not_before',
      )
      .bind(feed, at, error, notBefore)
      .run()
  }

  private async runBatches(statements: SqlStatement[]): Promise<void> {
    for (let i = 0; i < statements.length; i += STATEMENTS_PER_BATCH) {
      await this.db.batch(statements.slice(i, i + STATEMENTS_PER_BATCH))
    }
  }
}

const insertTexts = new Map<number, string>()

/** The multi-row staging insert for `rows` rows, built once: the adapter caches statements by text. */
function insertSql(rows: number): string {
  let sql = insertTexts.get(rows)
  if (sql === undefined) {
    sql =
      'INSERT INTO feed_staging (feed, hash, kind, value, info) VALUES ' +
      placeholders(rows, ENTRY_COLUMNS)
    insertTexts.set(rows, sql)
  }
  return sql
}

function marks(count: number): string {
  return new Array<string>(count).fill('?').join(', ')
}

function placeholders(rows: number, columns: number): string {
  const row = `(${marks(columns)})`
  return new Array<string>(rows).fill(row).join(', ')
}

function toState(row: StateRow): FeedState {
  return {
    feed: row.feed,
    syncedAt: row.synced_at,
    attemptedAt: row.attempted_at,
    version: row.version,
    entries: row.entries,
    lastError: row.last_error,
    failures: row.failures,
    notBefore: row.not_before,
  }
}
