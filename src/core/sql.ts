/**
 * The slice of Cloudflare D1's API that `SqlStore` uses. D1 satisfies it as
 * it is; the Node adapter wraps better-sqlite3 to the same shape, so one
 * store implementation and one set of migrations serve both runtimes.
 */

export type SqlValue = string | number | null

export interface SqlRunResult {
  meta: { changes: number; last_row_id: number }
}

export interface SqlStatement {
  bind(...values: SqlValue[]): SqlStatement
  first<T = Record<string, unknown>>(): Promise<T | null>
  all<T = Record<string, unknown>>(): Promise<{ results: T[] }>
  run(): Promise<SqlRunResult>
  /**
   * The first row at once, where the database answers synchronously
   * (better-sqlite3 on Node); D1 does not have it.
   */
  firstNow?<T = Record<string, unknown>>(): T | null
}

export interface SqlDatabase {
  prepare(query: string): SqlStatement
  /** Runs the statements atomically, in order (D1 has no interactive transactions). */
  batch<T = Record<string, unknown>>(statements: SqlStatement[]): Promise<{ results: T[] }[]>
}
