/**
 * Parsers for the feed formats, each turning a decoded download into raw
 * entries (a URL or a host, with short evidence). They read one record at a
 * time and skip what they cannot use rather than failing the whole feed:
 * one bad line in a million must not cost the other 999,999.
 *
 * Formats, as the providers document them:
 * - URLhaus CSV dump: `#`-comment header, then quoted columns
 *   id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter.
 * - URLhaus JSON dump: `{ "<id>": [ { "dateadded", "url", "url_status",
 *   "threat", "tags": [...], ... } ], ... }`.
 * - URLhaus hostfile: `127.0.0.1<TAB>host` lines and `#` comments.
 * - PhishTank online-valid JSON: `[ { "phish_id", "url", "verified": "yes",
 *   "online": "yes", "verification_time", "target", ... } ]`; CSV with the
 *   header phish_id,url,phish_detail_url,submission_time,verified,
 *   verification_time,online,target.
 * - OpenPhish feed.txt: one exact URL per line.
 */

import { jsonValues, textLines } from './stream.js'

export interface RawEntry {
  kind: 'url' | 'host'
  /** A URL as the feed wrote it, or a host name. */
  value: string
  info: string | null
}

export type FeedFormat = 'urlhaus' | 'urlhaus-hostfile' | 'phishtank' | 'openphish'

/** Longest evidence text we keep per entry; it is shown on the warning page. */
const MAX_INFO_CHARS = 200

/** Parses a decoded feed of the given format. JSON or CSV is recognised by the first byte. */
export async function* parseFeed(
  format: FeedFormat,
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<RawEntry> {
  if (format === 'openphish') return yield* plainUrls(textLines(chunks))
  if (format === 'urlhaus-hostfile') return yield* hostfile(textLines(chunks))

  const { json, rest } = await sniffJson(chunks)
  if (format === 'urlhaus') {
    yield* json ? urlhausJson(jsonValues(rest, '$.*.*')) : urlhausCsv(csvRecords(textLines(rest)))
  } else {
    yield* json ? phishtankJson(jsonValues(rest, '$.*')) : phishtankCsv(csvRecords(textLines(rest)))
  }
}

async function* plainUrls(lines: AsyncIterable<string>): AsyncGenerator<RawEntry> {
  for await (const line of lines) {
    const url = line.trim()
    if (url && !url.startsWith('#')) yield { kind: 'url', value: url, info: null }
  }
}

async function* hostfile(lines: AsyncIterable<string>): AsyncGenerator<RawEntry> {
  for await (const line of lines) {
    // `127.0.0.1<TAB>host` in hosts-file form, or a bare host per line.
    const fields = line.replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean)
    const host = fields.length >= 2 ? fields[1] : fields[0]
    if (host && host !== 'localhost') yield { kind: 'host', value: host, info: null }
  }
}

const URLHAUS_COLUMNS = [
  'id',
  'dateadded',
  'url',
  'url_status',
  'last_online',
  'threat',
  'tags',
  'urlhaus_link',
  'reporter',
]

async function* urlhausCsv(records: AsyncIterable<string[]>): AsyncGenerator<RawEntry> {
  let columns = URLHAUS_COLUMNS
  for await (const record of records) {
    const first = record[0] ?? ''
    if (first.startsWith('#')) {
      // The header is a comment: `# id,dateadded,url,...`. Older dumps lack last_online.
      const header = [first.replace(/^#\s*/, ''), ...record.slice(1)].map((c) => c.trim())
      if (header.includes('url')) columns = header
      continue
    }

    const row = Object.fromEntries(columns.map((name, index) => [name, record[index] ?? '']))
    if (row.url) yield { kind: 'url', value: row.url, info: urlhausInfo(row) }
  }
}

async function* urlhausJson(values: AsyncIterable<unknown>): AsyncGenerator<RawEntry> {
  for await (const value of values) {
    const row = stringFields(value)
    if (row.url) yield { kind: 'url', value: row.url, info: urlhausInfo(row) }
  }
}

function urlhausInfo(row: Record<string, string>): string {
  const parts = [row.threat || 'malware', row.url_status ? `reported ${row.url_status}` : '']
  if (row.tags) parts.push(`tags ${row.tags.replace(/,/g, ', ')}`)
  if (row.dateadded) parts.push(`added ${row.dateadded}`)
  return clip(parts.filter(Boolean).join('; '))
}

const PHISHTANK_COLUMNS = [
  'phish_id',
  'url',
  'phish_detail_url',
  'submission_time',
  'verified',
  'verification_time',
  'online',
  'target',
]

async function* phishtankCsv(records: AsyncIterable<string[]>): AsyncGenerator<RawEntry> {
  let columns = PHISHTANK_COLUMNS
  for await (const record of records) {
    if (record[0] === 'phish_id') {
      columns = record
      continue
    }
    const row = Object.fromEntries(columns.map((name, index) => [name, record[index] ?? '']))
    const entry = phishtankEntry(row)
    if (entry) yield entry
  }
}

async function* phishtankJson(values: AsyncIterable<unknown>): AsyncGenerator<RawEntry> {
  for await (const value of values) {
    const entry = phishtankEntry(stringFields(value))
    if (entry) yield entry
  }
}

/** Only verified phish that are still online: the online-valid dump's promise, checked. */
function phishtankEntry(row: Record<string, string>): RawEntry | null {
  if (!row.url || row.verified === 'no' || row.online === 'no') return null

  const parts = [`phish ${row.phish_id || 'unknown'}`]
  if (row.target && row.target !== 'Other') parts.push(`targets ${row.target}`)
  if (row.verification_time) parts.push(`verified ${row.verification_time}`)
  return { kind: 'url', value: row.url, info: clip(parts.join('; ')) }
}

/** String and number fields of a JSON object; arrays of strings joined with commas. */
function stringFields(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {}

  const out: Record<string, string> = {}
  for (const [key, field] of Object.entries(value)) {
    if (typeof field === 'string') out[key] = field
    else if (typeof field === 'number') out[key] = String(field)
    else if (Array.isArray(field)) out[key] = field.filter((t) => typeof t === 'string').join(',')
  }
  return out
}

/**
 * RFC 4180 records from lines: quoted fields with `""` escapes, and a quoted
 * field may run across line ends (the record continues on the next line).
 */
export async function* csvRecords(lines: AsyncIterable<string>): AsyncGenerator<string[]> {
  let pending: string | null = null
  for await (const line of lines) {
    const text: string = pending === null ? line : `${pending}\n${line}`
    const record = parseCsvRecord(text)
    if (record === null) {
      pending = text.length > 64 * 1024 ? null : text
      continue
    }
    pending = null
    if (record.length > 1 || record[0] !== '') yield record
  }
}

/** One record's fields, or null when a quoted field is still open at the end. */
export function parseCsvRecord(text: string): string[] | null {
  const fields: string[] = []
  let i = 0
  for (;;) {
    if (text[i] === '"') {
      let value = ''
      i++
      for (;;) {
        const close = text.indexOf('"', i)
        if (close < 0) return null
        value += text.slice(i, close)
        if (text[close + 1] === '"') {
          value += '"'
          i = close + 2
        } else {
          i = close + 1
          break
        }
      }
      fields.push(value)
    } else {
      const comma = text.indexOf(',', i)
      fields.push(text.slice(i, comma < 0 ? text.length : comma))
      i = comma < 0 ? text.length : comma
    }

    if (i >= text.length) return fields
    if (text[i] === ',') i++
    else {
      // Text after a closing quote: keep it with the field rather than lose it.
      const comma = text.indexOf(',', i)
      fields[fields.length - 1] += text.slice(i, comma < 0 ? text.length : comma)
      if (comma < 0) return fields
      i = comma + 1
    }
    if (i === text.length) {
      fields.push('')
      return fields
    }
  }
}

async function sniffJson(chunks: AsyncIterable<Uint8Array>) {
  const iterator = chunks[Symbol.asyncIterator]()
  const first = await iterator.next()
  const head = first.done ? new Uint8Array(0) : first.value
  const lead = head.find(
    (byte) =>
      byte !== 0x20 &&
      byte !== 0x0a &&
      byte !== 0x0d &&
      byte !== 0x09 &&
      byte !== 0xef &&
      byte !== 0xbb &&
      byte !== 0xbf,
  )

  async function* rest(): AsyncGenerator<Uint8Array> {
    if (first.done) return
    yield head
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      yield next.value
    }
  }
  return { json: lead === 0x7b || lead === 0x5b, rest: rest() }
}

function clip(text: string): string {
  return text.length > MAX_INFO_CHARS ? text.slice(0, MAX_INFO_CHARS - 1) + '…' : text
}
