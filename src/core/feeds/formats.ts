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

/** A quoted field still open after this many characters is corrupt: drop the record. */
const MAX_RECORD_CHARS = 64 * 1024

/** Longest evidence text we keep per entry; it is shown on the warning page. */
const MAX_INFO_CHARS = 200

/**
 * Parses a decoded feed of the given format, a batch of entries per received
 * chunk. JSON or CSV is recognised by the first byte.
 */
export async function* parseFeed(
  format: FeedFormat,
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<RawEntry[]> {
  if (format === 'openphish') return yield* mapBatches(textLines(chunks), plainUrl)
  if (format === 'urlhaus-hostfile') return yield* mapBatches(textLines(chunks), hostLine)

  const { json, rest } = await sniffJson(chunks)
  if (json) {
    const parse = format === 'urlhaus' ? urlhausRow : phishtankEntry
    const path = format === 'urlhaus' ? '$.*.*' : '$.*'
    return yield* mapBatches(jsonValues(rest, path), (value) => parse(stringFields(value)))
  }
  const csv = format === 'urlhaus' ? urlhausCsv() : phishtankCsv()
  yield* mapBatches(csvRecords(textLines(rest)), csv)
}

async function* mapBatches<T>(
  batches: AsyncIterable<T[]>,
  parse: (item: T) => RawEntry | null,
): AsyncGenerator<RawEntry[]> {
  for await (const batch of batches) {
    const entries: RawEntry[] = []
    for (const item of batch) {
      const entry = parse(item)
      if (entry) entries.push(entry)
    }
    yield entries
  }
}

function plainUrl(line: string): RawEntry | null {
  const url = line.trim()
  return url && !url.startsWith('#') ? { kind: 'url', value: url, info: null } : null
}

/** `127.0.0.1<TAB>host` in hosts-file form, or a bare host per line. */
function hostLine(line: string): RawEntry | null {
  const fields = line.replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean)
  const host = fields.length >= 2 ? fields[1] : fields[0]
  return host && host !== 'localhost' ? { kind: 'host', value: host, info: null } : null
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

/** A record parser that learns the columns from the `# id,dateadded,url,...` comment. */
function urlhausCsv(): (record: string[]) => RawEntry | null {
  let at = columnsAt(URLHAUS_COLUMNS)
  return (record) => {
    const first = record[0] ?? ''
    if (first.startsWith('#')) {
      // Older dumps lack last_online: the header, not a fixed layout, says where url is.
      const header = [first.replace(/^#\s*/, ''), ...record.slice(1)].map((c) => c.trim())
      if (header.includes('url')) at = columnsAt(header)
      return null
    }
    const url = record[at.url] ?? ''
    if (!url) return null
    const field = (name: string) => record[at[name] ?? -1] ?? ''
    const info = urlhausInfo(
      field('threat'),
      field('url_status'),
      field('tags'),
      field('dateadded'),
    )
    return { kind: 'url', value: url, info }
  }
}

/** Column positions by name; `url` is always present (-1 when the header lacks it). */
function columnsAt(columns: readonly string[]): Record<string, number> & { url: number } {
  const at: Record<string, number> = {}
  columns.forEach((name, index) => (at[name] = index))
  return { ...at, url: at.url ?? -1 }
}

function urlhausRow(row: Record<string, string>): RawEntry | null {
  if (!row.url) return null
  const info = urlhausInfo(
    row.threat ?? '',
    row.url_status ?? '',
    row.tags ?? '',
    row.dateadded ?? '',
  )
  return { kind: 'url', value: row.url, info }
}

function urlhausInfo(threat: string, status: string, tags: string, added: string): string {
  let info = threat || 'malware'
  if (status) info += `; reported ${status}`
  if (tags) info += `; tags ${tags.replace(/,/g, ', ')}`
  if (added) info += `; added ${added}`
  return clip(info)
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

function phishtankCsv(): (record: string[]) => RawEntry | null {
  let columns = PHISHTANK_COLUMNS
  return (record) => {
    if (record[0] === 'phish_id') {
      columns = record
      return null
    }
    return phishtankEntry(rowOf(columns, record))
  }
}

function rowOf(columns: string[], record: string[]): Record<string, string> {
  const row: Record<string, string> = {}
  columns.forEach((name, index) => (row[name] = record[index] ?? ''))
  return row
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
 * RFC 4180 records from batches of lines: quoted fields with `""` escapes,
 * and a quoted field may run across line ends (the record continues on the
 * next line).
 */
export async function* csvRecords(batches: AsyncIterable<string[]>): AsyncGenerator<string[][]> {
  let pending: string | null = null
  for await (const lines of batches) {
    const records: string[][] = []
    for (const line of lines) {
      const text: string = pending === null ? line : `${pending}\n${line}`
      const record = parseCsvRecord(text)
      if (record === null) {
        pending = text.length > MAX_RECORD_CHARS ? null : text
        continue
      }
      pending = null
      if (record.length > 1 || record[0] !== '') records.push(record)
    }
    yield records
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
