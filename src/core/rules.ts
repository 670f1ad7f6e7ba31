/**
 * Validates and normalises admin rules so that they compare equal to what a
 * click is matched against (see `ruleQueryFor`).
 */

import { ClickgateError } from './errors.js'
import type { NewRule, RuleAction, RuleType } from './store.js'
import { normaliseHost, parseWebUrl, tryParseUrl } from './url.js'

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
    const url = /[/?#@\s]/.test(value) ? null : tryParseUrl(`http://${value}/`)
    if (!url || !url.hostname) throw invalid(`"value" must be a host name for a ${type} rule`)
    return normaliseHost(url.hostname)
  }

  const url = parseWebUrl(value)
  if (!url) throw invalid(`"value" must be an absolute http or https URL for a ${type} rule`)
  return url.href
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

  const ms =
    typeof expiresAt === 'string' && /^\d{4}-\d{2}-\d{2}/.test(expiresAt)
      ? Date.parse(expiresAt)
      : NaN
  if (Number.isNaN(ms)) throw invalid('"expiresAt" must be an ISO 8601 date-time')
  if (ms <= now) throw invalid('"expiresAt" must be in the future')
  return ms
}

function invalid(message: string): ClickgateError {
  return new ClickgateError('invalid_rule', message)
}
