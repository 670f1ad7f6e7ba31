/**
 * An in-memory DNS zone in the shape of mailauth's `resolver` option, so
 * DKIM, SPF, DMARC and ARC can be checked with no network at all. Tests use
 * it directly; `CLICKGATE_TEST_DNS_ZONE` loads one from a file for end-to-end
 * tests of the real server and CLI, and production refuses that setting.
 */

import { readFileSync } from 'node:fs'

/** Record sets by owner name, then by type: `{"example.com": {"TXT": ["v=spf1 -all"]}}`. */
export type Zone = Record<string, Record<string, string[]>>

/** mailauth's resolver: TXT answers come as arrays of character-strings. */
export type ZoneResolver = (name: string, type: string) => Promise<string[][] | string[]>

/** Error codes of node:dns that mailauth tells apart (a void lookup, not a failure). */
function dnsError(code: 'ENOTFOUND' | 'ENODATA', name: string, type: string): Error {
  const error = new Error(`${code} ${name} ${type}`)
  return Object.assign(error, { code, hostname: name })
}

export function zoneResolver(zone: Zone): ZoneResolver {
  const byName = new Map(
    Object.entries(zone).map(([name, sets]) => [name.toLowerCase().replace(/\.$/, ''), sets]),
  )

  return async function resolve(name, type) {
    const sets = byName.get(name.toLowerCase().replace(/\.$/, ''))
    if (!sets) throw dnsError('ENOTFOUND', name, type)

    const records = sets[type.toUpperCase()]
    if (!records || records.length === 0) throw dnsError('ENODATA', name, type)
    return type.toUpperCase() === 'TXT' ? records.map((record) => chunks(record)) : records
  }
}

/** RFC 1035 3.3.14: a TXT record is a list of strings of at most 255 octets. */
function chunks(record: string): string[] {
  const out: string[] = []
  for (let i = 0; i < record.length; i += 255) out.push(record.slice(i, i + 255))
  return out.length > 0 ? out : ['']
}

/** Reads a zone file written as JSON in the `Zone` shape. */
export function loadZoneFile(path: string): Zone {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    const reason = err instanceof Error ? err.message : 'unreadable'
    throw new TypeError(`CLICKGATE_TEST_DNS_ZONE "${path}" is not a readable JSON zone: ${reason}`)
  }
  if (!isZone(parsed)) {
    throw new TypeError(`CLICKGATE_TEST_DNS_ZONE "${path}" must map names to {TYPE: [records]}`)
  }
  return parsed
}

function isZone(value: unknown): value is Zone {
  if (typeof value !== 'object' || value === null) return false
  return Object.values(value).every(
    (sets) =>
      typeof sets === 'object' &&
      sets !== null &&
      Object.values(sets).every(
        (records) => Array.isArray(records) && records.every((r) => typeof r === 'string'),
      ),
  )
}
