/**
 * Validates and normalises admin rules so that they compare equal to what a
 * click is matched against (see `ruleQueryFor`).
 */

import { customAlphabet } from 'nanoid'
import { getDomain } from 'tldts'

import { ClickgateError } from './errors.js'
import type { NewRule, Rule, RuleAction, RuleType, Store } from './store.js'
import { normaliseHost, parseWebUrl, tryParseUrl, withoutFragment } from './url.js'

export interface RuleInput {
  action?: unknown
  type?: unknown
  value?: unknown
  note?: unknown
  expiresAt?: unknown
}

const ACTIONS: readonly RuleAction[] = ['block', 'allow']
const TYPES: readonly RuleType[] = ['domain', 'host', 'prefix', 'url']

/** Notes are for people; a cap keeps the rules table and API answers small. */
export const MAX_NOTE_LENGTH = 500

/** Longest URL or prefix rule: rules are matched on every click and shown in lists. */
export const MAX_RULE_URL_LENGTH = 8192

/** Letters and digits only, so an id never looks like a command-line option. */
const ruleId = customAlphabet('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 12)

/** Validates and stores a rule; the same action, type and value twice is refused. */
export async function createRule(store: Store, input: RuleInput, now: number): Promise<Rule> {
  const rule = validateRule(input, ruleId(), now)
  const existing = (await store.listRules()).find(
    (r) => r.action === rule.action && r.type === rule.type && r.value === rule.value,
  )
  if (existing) {
    throw new ClickgateError('duplicate_rule', `an identical rule exists: "${existing.id}"`)
  }
  return store.addRule(rule, now)
}

export function validateRule(input: RuleInput, id: string, now: number): NewRule {
  const action = oneOf(input.action, ACTIONS, 'action')
  const type = oneOf(input.type, TYPES, 'type')
  if (typeof input.value !== 'string' || input.value.trim() === '') {
    throw invalid('"value" must be a non-empty string')
  }

  return {
    id,
    action,
    type,
    value: normaliseRuleValue(type, input.value.trim()),
    note: noteOf(input.note),
    expiresAt: expiryOf(input.expiresAt, now),
  }
}

export function normaliseRuleValue(type: RuleType, value: string): string {
  if (type === 'domain' || type === 'host') {
    if (value.startsWith('*.')) {
      throw invalid(`"value" must not start with "*.": a domain rule already covers subdomains`)
    }
    const url = /^[\p{L}\p{N}.:[\]-]+$/u.test(value) ? tryParseUrl(`http://${value}/`) : null
    if (!url || !url.hostname) throw invalid(`"value" must be a host name for a ${type} rule`)

    const host = normaliseHost(url.hostname)
    // A domain rule on a public suffix (`com`, `co.uk`) would block a whole
    // registry: almost always a slip, and one that takes down legitimate mail.
    if (type === 'domain' && getDomain(host) === null) {
      throw invalid(
        `"value" ${host} is a public suffix or an IP address; name a registrable domain`,
      )
    }
    return host
  }

  const url = value.length <= MAX_RULE_URL_LENGTH ? parseWebUrl(value) : null
  if (!url) {
    throw invalid(
      `"value" must be an absolute http or https URL of at most ${MAX_RULE_URL_LENGTH} characters`,
    )
  }
  // Fragments never reach the server, so a rule never depends on one.
  return withoutFragment(url)
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  const match = allowed.find((item) => item === value)
  if (match === undefined) throw invalid(`"${field}" must be one of ${allowed.join(', ')}`)
  return match
}

function noteOf(note: unknown): string | null {
  if (note === undefined || note === null) return null
  if (typeof note !== 'string' || note.length > MAX_NOTE_LENGTH) {
    throw invalid(`"note" must be a string of at most ${MAX_NOTE_LENGTH} characters`)
  }
  return note
}

function expiryOf(expiresAt: unknown, now: number): number | null {
  if (expiresAt === undefined || expiresAt === null) return null

  const ms = typeof expiresAt === 'string' ? parseIsoDate(expiresAt) : NaN
  if (Number.isNaN(ms)) throw invalid('"expiresAt" must be an ISO 8601 date-time')
  if (ms <= now) throw invalid('"expiresAt" must be in the future')
  return ms
}

/**
 * ISO 8601 date or date-time; a calendar date that does not exist
 * (`2999-02-30`) is refused rather than rolled over into the next month.
 */
function parseIsoDate(text: string): number {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?$/.exec(
      text,
    )
  if (!match) return NaN

  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const probe = new Date(Date.UTC(year, month - 1, day))
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return NaN
  return Date.parse(text)
}

function invalid(message: string): ClickgateError {
  return new ClickgateError('invalid_rule', message)
}
