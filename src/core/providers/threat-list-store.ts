/**
 * Safe Browsing threat lists in SQLite/D1: per list, the opaque client state,
 * the checksum, and the sorted prefixes in base64 chunks. A list is replaced
 * in one batch, so a reader sees the old list or the new one, never a mix.
 */

import { binaryToBytes, bytesToBinary } from '../bytes.js'
import type { SqlDatabase, SqlStatement } from '../sql.js'
import { type PrefixGroup, PrefixSet } from './prefix-set.js'

export interface ThreatListRecord {
  /** `THREAT_TYPE/PLATFORM/ENTRY_TYPE`, e.g. `MALWARE/ANY_PLATFORM/URL`. */
  list: string
  clientState: string
  /** Base64 SHA-256 of the prefixes in order, as the server sent it. */
  checksum: string
  prefixes: number
  updatedAt: number
}

export interface ThreatListStore {
  load(list: string): Promise<{ record: ThreatListRecord; set: PrefixSet } | null>
  save(record: ThreatListRecord, set: PrefixSet): Promise<void>
  /** Forgets a list, so the next update asks for all of it. */
  clear(list: string): Promise<void>
}

/**
 * Bytes of prefixes per stored row: 192 KiB, 256 KiB as base64, well inside
 * D1's limit on a row's size.
 */
const CHUNK_BYTES = 192 * 1024

interface ListRow {
  list: string
  client_state: string
  checksum: string
  prefixes: number
  updated_at: number
}

export class SqlThreatListStore implements ThreatListStore {
  constructor(private readonly db: SqlDatabase) {}

  async load(list: string): Promise<{ record: ThreatListRecord; set: PrefixSet } | null> {
    const row = await this.db
      .prepare('SELECT * FROM threat_lists WHERE list = ?')
      .bind(list)
      .first<ListRow>()
    if (!row) return null

    const { results } = await this.db
      .prepare(
        'SELECT prefix_size, data FROM threat_list_chunks WHERE list = ? ORDER BY prefix_size, seq',
      )
      .bind(list)
      .all<{ prefix_size: number; data: string }>()
    return { record: toRecord(row), set: PrefixSet.fromGroups(joinChunks(results)) }
  }

  async save(record: ThreatListRecord, set: PrefixSet): Promise<void> {
    const statements: SqlStatement[] = [
      this.db.prepare('DELETE FROM threat_list_chunks WHERE list = ?').bind(record.list),
    ]
    for (const group of set.toGroups()) {
      for (let at = 0, seq = 0; at < group.data.length; at += CHUNK_BYTES, seq++) {
        const chunk = group.data.subarray(at, at + CHUNK_BYTES)
        statements.push(
          this.db
            .prepare(
              'INSERT INTO threat_list_chunks (list, prefix_size, seq, data) VALUES (?, ?, ?, ?)',
            )
            .bind(record.list, group.size, seq, btoa(bytesToBinary(chunk))),
        )
      }
    }
    statements.push(
      this.db
        .prepare(
          'INSERT INTO threat_lists (list, client_state, checksum, prefixes, updated_at) ' +
            'VALUES (?, ?, ?, ?, ?) ON CONFLICT (list) DO UPDATE SET ' +
            'client_state = excluded.client_state, checksum = excluded.checksum, ' +
            'prefixes = excluded.prefixes, updated_at = excluded.updated_at',
        )
        .bind(record.list, record.clientState, record.checksum, record.prefixes, record.updatedAt),
    )
    await this.db.batch(statements)
  }

  async clear(list: string): Promise<void> {
    await this.db.batch([
      this.db.prepare('DELETE FROM threat_list_chunks WHERE list = ?').bind(list),
      this.db.prepare('DELETE FROM threat_lists WHERE list = ?').bind(list),
    ])
  }
}

function joinChunks(rows: { prefix_size: number; data: string }[]): PrefixGroup[] {
  const bySize = new Map<number, Uint8Array[]>()
  for (const row of rows) {
    const parts = bySize.get(row.prefix_size) ?? []
    parts.push(binaryToBytes(atob(row.data)))
    bySize.set(row.prefix_size, parts)
  }

  return [...bySize].map(([size, parts]) => {
    const data = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
    let at = 0
    for (const part of parts) {
      data.set(part, at)
      at += part.length
    }
    return { size, data }
  })
}

function toRecord(row: ListRow): ThreatListRecord {
  return {
    list: row.list,
    clientState: row.client_state,
    checksum: row.checksum,
    prefixes: row.prefixes,
    updatedAt: row.updated_at,
  }
}
