import type { MessageAuth } from './auth/types.js'

/**
 * What the core needs from storage. Both runtimes implement it through
 * `SqlStore`, which speaks to a D1-shaped database: Cloudflare D1 itself, or
 * better-sqlite3 behind the Node adapter.
 */

import type { ScanStore } from './scan-store.js'
import type { FeedStore } from './feeds/feed-store.js'
import type { ThreatListStore } from './providers/threat-list-store.js'

export type RuleAction = 'block' | 'allow'
export type RuleType = 'domain' | 'host' | 'prefix' | 'url'

export interface Rule {
  id: string
  action: RuleAction
  type: RuleType
  value: string
  note: string | null
  /** Milliseconds since the epoch, or null for a rule that never expires. */
  expiresAt: number | null
  createdAt: number
}

export type NewRule = Omit<Rule, 'createdAt'>

/** What a click is matched against. Values are already normalised (see core/url.ts). */
export interface RuleQuery {
  /** Host and each parent domain of it, lower-case ASCII: `a.b.example`, `b.example`, `example`. */
  hostSuffixes: string[]
  host: string | null
  /** The WHATWG-serialised URL without fragment, or the target as stored when it cannot be parsed. */
  url: string
}

/**
 * A finding about a whole message, kept with the message row. Every link of
 * the message is raised to at least this verdict at click time.
 */
export interface MessageFinding {
  verdict: 'warn' | 'block'
  /** Stable code, e.g. `script_link_in_message`, `dmarc_fail`. */
  reason: string
  /** What produced it, e.g. `rewriter`, `auth`. */
  source: string
  /** Milliseconds since the epoch. */
  checkedAt: number
  /** Plain-text evidence for the warning page. */
  detail?: string
}

/** What a message told us when it was rewritten, for the clicks on its links. */
export interface MessageContext {
  findings: MessageFinding[]
  /** Link id (as a string) to the texts that link showed, only for texts that name a site. */
  linkTexts: Record<string, string[]>
}

export interface ClickRecord {
  at: number
  linkId: number
  messageRef: number | null
  recipientRef: string | null
  keyId: string
  verdict: string
  reason: string | null
  userAgent: string | null
  ipHash: string | null
  /** True when the evidence says a program, not a person, made the request. */
  automated: boolean
  /** Comma-separated evidence codes (`head`, `scanner_ua`, …), or null when there was none. */
  evidence: string | null
}

export interface ClickFilter {
  recipientRef?: string
  linkId?: number
  since?: number
  limit: number
}

export interface StoredClick extends ClickRecord {
  id: number
  url: string
}

export interface StoreCounts {
  links: number
  messages: number
  rules: number
  clicks: number
}

export interface Store {
  /** Reputation feed entries and sync state (see feeds/feed-store.ts). */
  readonly feeds: FeedStore
  /** Safe Browsing Update API hash-prefix lists (see providers/threat-list-store.ts). */
  readonly threatLists: ThreatListStore

  /** Returns the id of every URL, inserting the ones not seen before. */
  registerLinks(urls: readonly string[], now: number): Promise<Map<string, number>>
  /**
   * Returns the message's id. Findings are added to the ones stored with it
   * (one per reason and source), never removed: a later message reusing the
   * Message-ID cannot clear an earlier one's warnings. The first recorded
   * authentication result is kept.
   * Link texts, when given, replace the ones stored with it.
   */
  registerMessage(
    messageKey: string,
    now: number,
    findings?: readonly MessageFinding[],
    auth?: MessageAuth,
    linkTexts?: Readonly<Record<string, string[]>>,
  ): Promise<number>
  getMessageFindings(id: number): Promise<MessageFinding[]>
  getMessageContext(id: number): Promise<MessageContext>
  /** The authentication result recorded with the message, or null. */
  getMessageAuth(id: number): Promise<MessageAuth | null>
  getLinkUrl(id: number): Promise<string | null>

  addRule(rule: NewRule, now: number): Promise<Rule>
  listRules(): Promise<Rule[]>
  removeRule(id: string): Promise<boolean>
  matchRules(query: RuleQuery, now: number): Promise<Rule[]>
  /** A number that changes whenever any rule is added, changed or removed, by anyone. */
  rulesVersion(): Promise<number>
  /**
   * The same version when it is known without waiting: read in this turn of
   * the event loop already, or readable at once (better-sqlite3 on Node).
   * Undefined where every read is asynchronous (D1).
   */
  rulesVersionNow?(): number | undefined

  recordClicks(clicks: readonly ClickRecord[]): Promise<void>
  listClicks(filter: ClickFilter): Promise<StoredClick[]>
  /** Deletes clicks older than `before`, at most `limit` of them (oldest first) when given. */
  pruneClicks(before: number, limit?: number): Promise<number>

  counts(): Promise<StoreCounts>

  /** Sandbox scan jobs and their cached results. */
  readonly scans: ScanStore
}
