import type { MessageAuth } from './auth/types.js'
import { type ScanStore, SqlScanStore } from './scan-store.js'
import { type FeedStore, SqlFeedStore } from './feeds/feed-store.js'
import { SqlThreatListStore, type ThreatListStore } from './providers/threat-list-store.js'
import type { SqlDatabase, SqlValue } from './sql.js'
import { RulesVersionReads } from './rules-version.js'
import type {
  ClickFilter,
  ClickRecord,
  MessageContext,
  MessageFinding,
  NewRule,
  Rule,
  RuleQuery,
  Store,
  StoreCounts,
  StoredClick,
} from './store.js'

/** D1 allows at most 100 bound parameters per statement; stay well below. */
const MAX_BATCH = 50

/** Click rows per INSERT: 11 columns each, so 9 rows stay under D1's 100 parameters. */
const CLICK_ROWS_PER_INSERT = 9

interface RuleRow {
  id: string
  action: Rule['action']
  type: Rule['type']
  value: string
  note: string | null
  expires_at: number | null
  created_at: number
}

interface ClickRow {
  id: number
  at: number
  link_id: number
  message_ref: number | null
  recipient_ref: string | null
  key_id: string
  verdict: string
  reason: string | null
  user_agent: string | null
  ip_hash: string | null
  automated: number
  evidence: string | null
  url: string
}

/**
 * Upserts a message. Findings merge: the stored ones stay, and new ones are
 * added unless one with the same reason and source is already there. A row
 * is only rewritten when there is something to add (D1 bills rows written).
 */
const REGISTER_MESSAGE = `INSERT INTO messages (message_key, created_at, findings, auth, link_texts)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (message_key) DO UPDATE SET
  findings = CASE
    WHEN excluded.findings IS NULL THEN messages.findings
    WHEN messages.findings IS NULL THEN excluded.findings
    ELSE (SELECT json_group_array(json(merged.value)) FROM (
      SELECT prior.value FROM json_each(messages.findings) AS prior
      UNION ALL
      SELECT incoming.value FROM json_each(excluded.findings) AS incoming
      WHERE NOT EXISTS (SELECT 1 FROM json_each(messages.findings) AS kept
        WHERE json_extract(kept.value, '$.reason') IS json_extract(incoming.value, '$.reason')
          AND json_extract(kept.value, '$.source') IS json_extract(incoming.value, '$.source'))
    ) AS merged)
  END,
  auth = coalesce(messages.auth, excluded.auth),
  link_texts = coalesce(excluded.link_texts, messages.link_texts)
WHERE excluded.findings IS NOT NULL OR (excluded.auth IS NOT NULL AND messages.auth IS NULL)
  OR excluded.link_texts IS NOT NULL`

/** The one `Store` implementation, over any D1-shaped database. */
export class SqlStore implements Store {
  readonly scans: ScanStore
  readonly feeds: FeedStore
  readonly threatLists: ThreatListStore
  private readonly versions: RulesVersionReads

  /**
   * `shareRulesVersionReads`: let the clicks of one event-loop turn share one
   * read of the rules version (see rules-version.ts). Only where a promise may
   * outlive the request that made it: on Node, not on Workers, whose I/O
   * belongs to one request.
   */
  constructor(
    private readonly db: SqlDatabase,
    options: { shareRulesVersionReads?: boolean } = {},
  ) {
    this.versions = new RulesVersionReads(db, options.shareRulesVersionReads === true)
    this.scans = new SqlScanStore(db)
    this.feeds = new SqlFeedStore(db)
    this.threatLists = new SqlThreatListStore(db)
  }

  async registerLinks(urls: readonly string[], now: number): Promise<Map<string, number>> {
    const ids = new Map<string, number>()
    const distinct = [...new Set(urls)]

    for (let i = 0; i < distinct.length; i += MAX_BATCH) {
      const chunk = distinct.slice(i, i + MAX_BATCH)
      // INSERT OR IGNORE writes nothing for a URL already known: an upsert would rewrite the
      // row and its index on every message, which D1 bills as rows written (see README Growth).
      const inserts = chunk.map((url) =>
        this.db
          .prepare('INSERT OR IGNORE INTO links (url, created_at) VALUES (?, ?)')
          .bind(url, now),
      )
      const select = this.db
        .prepare(`SELECT id, url FROM links WHERE url IN (${chunk.map(() => '?').join(', ')})`)
        .bind(...chunk)
      const results = await this.db.batch<{ id: number; url: string }>([...inserts, select])
      for (const row of results.at(-1)?.results ?? []) ids.set(row.url, row.id)
    }
    return ids
  }

  async registerMessage(
    messageKey: string,
    now: number,
    findings: readonly MessageFinding[] = [],
    auth?: MessageAuth,
    linkTexts: Readonly<Record<string, string[]>> = {},
  ): Promise<number> {
    const json = findings.length > 0 ? JSON.stringify(findings) : null
    const texts = Object.keys(linkTexts).length > 0 ? JSON.stringify(linkTexts) : null
    // As with links: a message seen before is only written again when it brings findings,
    // link texts, or a first authentication result.
    const [, selected] = await this.db.batch<{ id: number }>([
      this.db
        .prepare(REGISTER_MESSAGE)
        .bind(messageKey, now, json, auth ? JSON.stringify(auth) : null, texts),
      this.db.prepare('SELECT id FROM messages WHERE message_key = ?').bind(messageKey),
    ])
    const row = selected?.results[0]
    if (!row) throw new Error('message insert returned no id')
    return row.id
  }

  async getMessageAuth(id: number): Promise<MessageAuth | null> {
    const row = await this.db
      .prepare('SELECT auth FROM messages WHERE id = ?')
      .bind(id)
      .first<{ auth: string | null }>()
    return row?.auth ? parseAuth(row.auth) : null
  }

  async getMessageFindings(id: number): Promise<MessageFinding[]> {
    const row = await this.db
      .prepare('SELECT findings FROM messages WHERE id = ?')
      .bind(id)
      .first<{ findings: string | null }>()
    return row?.findings ? parseFindings(row.findings) : []
  }

  async getMessageContext(id: number): Promise<MessageContext> {
    const row = await this.db
      .prepare('SELECT findings, link_texts FROM messages WHERE id = ?')
      .bind(id)
      .first<{ findings: string | null; link_texts: string | null }>()
    return {
      findings: row?.findings ? parseFindings(row.findings) : [],
      linkTexts: row?.link_texts ? parseLinkTexts(row.link_texts) : {},
    }
  }

  async getLinkUrl(id: number): Promise<string | null> {
    const row = await this.db
      .prepare('SELECT url FROM links WHERE id = ?')
      .bind(id)
      .first<{ url: string }>()
    return row ? row.url : null
  }

  async addRule(rule: NewRule, now: number): Promise<Rule> {
    await this.db
      .prepare(
        'INSERT INTO rules (id, action, type, value, note, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .bind(rule.id, rule.action, rule.type, rule.value, rule.note, rule.expiresAt, now)
      .run()
    this.versions.changed()
    return { ...rule, createdAt: now }
  }

  async listRules(): Promise<Rule[]> {
    const { results } = await this.db
      .prepare('SELECT * FROM rules ORDER BY created_at, id')
      .all<RuleRow>()
    return results.map(toRule)
  }

  async removeRule(id: string): Promise<boolean> {
    const result = await this.db.prepare('DELETE FROM rules WHERE id = ?').bind(id).run()
    this.versions.changed()
    return result.meta.changes > 0
  }

  async matchRules(query: RuleQuery, now: number): Promise<Rule[]> {
    // A host may have over a hundred labels; the rules that matter sit at its
    // registrable end, so a long host keeps its full form and its shortest suffixes.
    const all = query.hostSuffixes
    const suffixes = all.length <= MAX_BATCH ? all : [all[0] ?? '', ...all.slice(1 - MAX_BATCH)]
    const domainClause = suffixes.length
      ? `(type = 'domain' AND value IN (${suffixes.map(() => '?').join(', ')})) OR `
      : ''
    const sql =
      'SELECT * FROM rules WHERE (expires_at IS NULL OR expires_at > ?) AND (' +
      domainClause +
      "(type = 'host' AND value = ?) OR (type = 'url' AND value = ?) OR " +
      "(type = 'prefix' AND substr(?, 1, length(value)) = value))"
    const params: SqlValue[] = [now, ...suffixes, query.host, query.url, query.url]

    const { results } = await this.db
      .prepare(sql)
      .bind(...params)
      .all<RuleRow>()
    return results.map(toRule)
  }

  rulesVersion(): Promise<number> {
    return this.versions.read()
  }

  rulesVersionNow(): number | undefined {
    return this.versions.now()
  }

  async recordClicks(clicks: readonly ClickRecord[]): Promise<void> {
    if (clicks.length === 0) return

    // Several rows per statement, within D1's 100 bound parameters, in one batch.
    const statements = []
    for (let i = 0; i < clicks.length; i += CLICK_ROWS_PER_INSERT) {
      const rows = Math.min(CLICK_ROWS_PER_INSERT, clicks.length - i)
      const values: SqlValue[] = []
      for (let j = i; j < i + rows; j++) pushClickValues(values, clicks[j] as ClickRecord)
      statements.push(this.db.prepare(clickInsert(rows)).bind(...values))
    }
    await this.db.batch(statements)
  }

  async listClicks(filter: ClickFilter): Promise<StoredClick[]> {
    const where: string[] = []
    const params: SqlValue[] = []

    if (filter.recipientRef !== undefined) {
      where.push('c.recipient_ref = ?')
      params.push(filter.recipientRef)
    }
    if (filter.linkId !== undefined) {
      where.push('c.link_id = ?')
      params.push(filter.linkId)
    }
    if (filter.since !== undefined) {
      where.push('c.at >= ?')
      params.push(filter.since)
    }

    const sql =
      'SELECT c.*, l.url FROM clicks c JOIN links l ON l.id = c.link_id' +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ' ORDER BY c.at DESC, c.id DESC LIMIT ?'
    const { results } = await this.db
      .prepare(sql)
      .bind(...params, filter.limit)
      .all<ClickRow>()
    return results.map(toClick)
  }

  async pruneClicks(before: number, limit?: number): Promise<number> {
    const statement =
      limit === undefined
        ? this.db.prepare('DELETE FROM clicks WHERE at < ?').bind(before)
        : this.db
            .prepare(
              // DELETE … LIMIT needs a compile-time option that D1 does not set; select the ids.
              'DELETE FROM clicks WHERE id IN (SELECT id FROM clicks WHERE at < ? ORDER BY at LIMIT ?)',
            )
            .bind(before, limit)
    const result = await statement.run()
    return result.meta.changes
  }

  async counts(): Promise<StoreCounts> {
    const row = await this.db
      .prepare(
        'SELECT (SELECT count(*) FROM links) AS links, (SELECT count(*) FROM messages) AS messages, ' +
          '(SELECT count(*) FROM rules) AS rules, (SELECT count(*) FROM clicks) AS clicks',
      )
      .first<StoreCounts>()
    return row ?? { links: 0, messages: 0, rules: 0, clicks: 0 }
  }
}

const CLICK_COLUMNS =
  'at, link_id, message_ref, recipient_ref, key_id, verdict, reason, user_agent, ip_hash, automated, evidence'

/** The same text for the same row count, so the adapter finds its compiled statement at once. */
const CLICK_INSERTS = Array.from(
  { length: CLICK_ROWS_PER_INSERT + 1 },
  (_, rows) =>
    `INSERT INTO clicks (${CLICK_COLUMNS}) VALUES ` +
    Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', '),
)

function clickInsert(rows: number): string {
  return CLICK_INSERTS[rows] ?? ''
}

function pushClickValues(values: SqlValue[], click: ClickRecord): void {
  values.push(
    click.at,
    click.linkId,
    click.messageRef,
    click.recipientRef,
    click.keyId,
    click.verdict,
    click.reason,
    click.userAgent,
    click.ipHash,
    click.automated ? 1 : 0,
    // Written by callers that predate the label (imports, older jobs): unlabelled reads as human.
    click.evidence ?? null,
  )
}

function parseFindings(json: string): MessageFinding[] {
  const value: unknown = JSON.parse(json)
  return Array.isArray(value) ? value.filter(isMessageFinding) : []
}

/** Written by us as JSON; a row that is not an object reads as no result. */
function parseAuth(json: string): MessageAuth | null {
  const value: unknown = JSON.parse(json)
  if (typeof value !== 'object' || value === null || !('source' in value)) return null
  // Narrow cast at the storage boundary: the column only ever holds what registerMessage wrote.
  return value as MessageAuth
}

/** Link id to texts; anything else in the column (a hand edit, a future shape) is ignored. */
function parseLinkTexts(json: string): Record<string, string[]> {
  const value: unknown = JSON.parse(json)
  const out: Record<string, string[]> = {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return out

  for (const [key, texts] of Object.entries(value)) {
    if (Array.isArray(texts)) out[key] = texts.filter((t): t is string => typeof t === 'string')
  }
  return out
}

function isMessageFinding(value: unknown): value is MessageFinding {
  return (
    typeof value === 'object' &&
    value !== null &&
    'verdict' in value &&
    (value.verdict === 'warn' || value.verdict === 'block') &&
    'reason' in value &&
    typeof value.reason === 'string' &&
    'source' in value &&
    typeof value.source === 'string'
  )
}

function toRule(row: RuleRow): Rule {
  return {
    id: row.id,
    action: row.action,
    type: row.type,
    value: row.value,
    note: row.note,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
  }
}

function toClick(row: ClickRow): StoredClick {
  return {
    id: row.id,
    url: row.url,
    at: row.at,
    linkId: row.link_id,
    messageRef: row.message_ref,
    recipientRef: row.recipient_ref,
    keyId: row.key_id,
    verdict: row.verdict,
    reason: row.reason,
    userAgent: row.user_agent,
    ipHash: row.ip_hash,
    automated: row.automated === 1,
    evidence: row.evidence,
  }
}
