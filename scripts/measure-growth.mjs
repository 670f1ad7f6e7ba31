#!/usr/bin/env node
/**
 * Measures what one alert campaign adds to the database, for README
 * "Growth". Uses the built app (npm run build) on a real SQLite file, the
 * same page format D1 stores, and reads sizes from SQLite's dbstat table
 * (whole pages of each table and its indexes, after VACUUM).
 *
 *   node scripts/measure-growth.mjs [--recipients N] [--clicks N]
 *
 * Prints JSON: bytes per row (table plus its indexes) for links, messages
 * and clicks, the rows one rewritten alert adds, and the projection for
 * 1.2 million recipients a week.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const dist = (path) => join(root, 'dist/src', path)

const { configFromEnv } = await import(dist('core/config.js'))
const { createServices } = await import(dist('core/services.js'))
const { SqlStore } = await import(dist('core/sql-store.js'))
const { generateKeyEntry } = await import(dist('core/tokens.js'))
const { migrate, openSqlite } = await import(dist('node/sqlite.js'))

const { values } = parseArgs({
  options: {
    recipients: { type: 'string', default: '2000' },
    clicks: { type: 'string', default: '50000' },
  },
})
const RECIPIENTS = Number(values.recipients)
const CLICKS = Number(values.clicks)

/** The campaign the README plans for. */
const WEEKLY_RECIPIENTS = 1_200_000
const RETENTION_DAYS = 90

/** D1 rows written per operation, measured on local D1 by test/workers/write-cost.test.ts. */
const D1_ROWS_WRITTEN = { newLink: 2, newMessage: 2, click: 4 }

/** A current desktop browser's User-Agent: what most stored clicks carry. */
const USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

const ALERT = readFileSync(join(root, 'test/fixtures/sample-alert.eml'), 'latin1')

function open(dir, name) {
  const db = openSqlite(join(dir, name))
  migrate(db, join(root, 'migrations'))
  const config = configFromEnv(
    {
      CLICKGATE_BASE_URL: 'https://go.example.com',
      CLICKGATE_KEYS: generateKeyEntry('k1'),
      CLICKGATE_HASH_SECRET: 'Z3Jvd3RoLW1lYXN1cmVtZW50LXNlY3JldC0wMTIzNDU2Nzg5',
      CLICKGATE_ADMIN_TOKEN: 'growth-admin-token-0123456789',
      CLICKGATE_REWRITE_TOKEN: 'growth-rewrite-token-0123456789',
    },
    { port: 8787 },
  )
  return { db, services: createServices(config, new SqlStore(db)) }
}

/** Bytes of whole pages per table, its indexes counted with it. */
function pageBytes(db) {
  db.native.exec('VACUUM')
  const rows = db.native
    .prepare(
      'SELECT coalesce(i.tbl_name, s.name) AS tbl, sum(s.pgsize) AS bytes FROM dbstat s ' +
        "LEFT JOIN sqlite_schema i ON i.name = s.name AND i.type = 'index' GROUP BY tbl",
    )
    .all()
  return Object.fromEntries(rows.map((r) => [r.tbl, r.bytes]))
}

function count(db, table) {
  return db.native.prepare(`SELECT count(*) AS n FROM ${table}`).get().n
}

/** One alert to every recipient; `personalised` gives each copy its own URLs, as ESP tracking does. */
async function campaign(dir, name, personalised) {
  const { db, services } = open(dir, name)
  const before = pageBytes(db)
  const messageId = 'campaign-1@alerts.example'
  let rewritten = 0
  for (let i = 0; i < RECIPIENTS; i++) {
    // Same length as 5521, so quoted-printable lines keep their layout.
    const body = personalised ? ALERT.replaceAll('5521', String(1000 + (i % 9000))) : ALERT
    const context = { recipient: `user${i}@contoso.example`, messageId }
    const { summary } = await services.rewriter.rewriteMessage(Buffer.from(body, 'latin1'), context)
    rewritten = summary.rewritten
  }
  const after = pageBytes(db)
  const links = count(db, 'links')
  const result = {
    rewritten,
    links,
    messages: count(db, 'messages'),
    bytesPerLink: links > 10 ? Math.round((after.links - before.links) / links) : null,
  }
  db.close()
  return result
}

async function clicks(dir) {
  const { db, services } = open(dir, 'clicks.db')
  const ids = await services.store.registerLinks(['https://a.example/'], Date.now())
  const linkId = ids.get('https://a.example/')
  const before = pageBytes(db)
  const batch = []
  for (let i = 0; i < CLICKS; i++) {
    batch.push({
      at: Date.now() + i,
      linkId,
      messageRef: 1 + (i % 50),
      recipientRef: ((i * 2654435761) % 2 ** 48).toString(16).padStart(12, '0'),
      keyId: 'k1',
      verdict: 'allow',
      reason: null,
      userAgent: USER_AGENT,
      ipHash: ((i * 40503) % 2 ** 48).toString(16).padStart(16, '0'),
    })
    if (batch.length === 50) await services.store.recordClicks(batch.splice(0))
  }
  await services.store.recordClicks(batch)
  const after = pageBytes(db)
  db.close()
  return Math.round((after.clicks - before.clicks) / CLICKS)
}

async function linkBytesAt(dir, length) {
  const { db, services } = open(dir, `links-${length}.db`)
  const base = 'https://t.esp.example/c/'
  const urls = Array.from({ length: 20_000 }, (_, i) =>
    (base + i.toString(36) + '/').padEnd(length, 'x'),
  )
  const before = pageBytes(db)
  await services.store.registerLinks(urls, Date.now())
  const after = pageBytes(db)
  db.close()
  return (after.links - before.links) / urls.length
}

const dir = mkdtempSync(join(tmpdir(), 'clickgate-growth-'))
try {
  const shared = await campaign(dir, 'shared.db', false)
  const personalised = await campaign(dir, 'personal.db', true)
  const clickBytes = await clicks(dir)
  const [short, long] = [await linkBytesAt(dir, 60), await linkBytesAt(dir, 240)]
  const perChar = (long - short) / 180
  const linkOverhead = short - 60 * perChar

  const linksPerCopy = personalised.links / RECIPIENTS
  const rewrittenPerCopy = personalised.rewritten
  const weeklyLinks = Math.round(linksPerCopy * WEEKLY_RECIPIENTS)
  const scannerClicks = rewrittenPerCopy * WEEKLY_RECIPIENTS
  const humanClicks = Math.round(0.1 * WEEKLY_RECIPIENTS)
  const weeksRetained = RETENTION_DAYS / 7

  const report = {
    measured: {
      recipients: RECIPIENTS,
      linksRewrittenPerCopy: rewrittenPerCopy,
      sharedUrls: { links: shared.links, messages: shared.messages },
      personalisedUrls: { links: personalised.links, messages: personalised.messages },
      bytesPerLinkSampleAlert: personalised.bytesPerLink,
      bytesPerLinkRow: { overhead: Math.round(linkOverhead), perUrlCharacter: +perChar.toFixed(2) },
      bytesPerClick: clickBytes,
      d1RowsWritten: D1_ROWS_WRITTEN,
    },
    weekly: {
      recipients: WEEKLY_RECIPIENTS,
      sharedUrls: {
        linkRows: shared.links,
        rowsWritten: shared.links * D1_ROWS_WRITTEN.newLink + D1_ROWS_WRITTEN.newMessage,
        bytes: shared.links * personalised.bytesPerLink,
      },
      personalisedUrls: {
        linkRows: weeklyLinks,
        rowsWritten: weeklyLinks * D1_ROWS_WRITTEN.newLink,
        bytes: weeklyLinks * personalised.bytesPerLink,
      },
      clicksHumans10pct: {
        rows: humanClicks,
        rowsWritten: humanClicks * D1_ROWS_WRITTEN.click,
        bytes: humanClicks * clickBytes,
      },
      clicksScannerEveryLink: {
        rows: scannerClicks,
        rowsWritten: scannerClicks * D1_ROWS_WRITTEN.click,
        bytes: scannerClicks * clickBytes,
        steadyStateBytesAt90Days: Math.round(scannerClicks * clickBytes * weeksRetained),
        perSecondIfDeliveredInOneHour: Math.round(scannerClicks / 3600),
      },
    },
  }
  process.stdout.write(JSON.stringify(report, null, 2) + '\n')
} finally {
  rmSync(dir, { recursive: true, force: true })
}
