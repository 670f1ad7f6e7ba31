/**
 * Settings for click-time verdicts and scanner-safe clicks, parsed from the
 * same environment map as the rest of `AppConfig` (see config.ts).
 */

import { type Brand, parseBrands } from './brands.js'
import { parseRanges } from './clicks/automation.js'
import { DEFAULT_ONE_TIME_WORDS } from './one-time.js'

type Env = Record<string, string | undefined>

export interface ClickSettings {
  /** Protected brands for the look-alike and brand-misuse heuristics. */
  brands: Brand[]
  /** Seconds a URL's verdict (heuristics, feeds) stays cached. 0 turns the cache off. */
  verdictTtlSeconds: number
  /** Most URL verdicts kept in memory. */
  verdictCacheSize: number
  /** Redirect to the innermost unwrapped destination rather than the link as authored. */
  redirectUnwrapped: boolean
  /** Words that mark a target as one-time (see core/one-time.ts). */
  oneTimeWords: readonly string[]
  /** Clicks per token allowed in each window. */
  clickRateLimit: { limit: number; windowMs: number }
  /** A click this soon after the link was written is evidence of a scanner. */
  fastClickSeconds: number
  /** CIDR ranges of scanners beyond the built-in list (core/lists/scanners.ts). */
  scannerRanges: string[]
}

export const DEFAULT_VERDICT_TTL_SECONDS = 300

/**
 * Longest verdict cache we accept. Reputation findings are cached with the
 * URL, and Safe Browsing data may be acted on only while under 30 minutes
 * old (Safe Browsing v4 terms, "caching"), so the cache must expire first.
 */
export const MAX_VERDICT_TTL_SECONDS = 1800
export const DEFAULT_VERDICT_CACHE_SIZE = 10_000

/** 50 clicks in 5 seconds: far above a person, far below a scanner loop or a flood. */
export const DEFAULT_CLICK_RATE_LIMIT = { limit: 50, windowMs: 5_000 }

/** Mail scanners open links within seconds of delivery; people take longer. */
export const DEFAULT_FAST_CLICK_SECONDS = 10

export function clickSettingsFromEnv(env: Env): ClickSettings {
  return {
    brands: parseBrands(
      env.CLICKGATE_BRANDS,
      flag(env, 'CLICKGATE_BRANDS_REPLACE_DEFAULTS', false),
    ),
    verdictTtlSeconds: verdictTtl(env),
    verdictCacheSize: wholeNumber(env, 'CLICKGATE_VERDICT_CACHE_SIZE', DEFAULT_VERDICT_CACHE_SIZE),
    redirectUnwrapped: flag(env, 'CLICKGATE_REDIRECT_UNWRAPPED', false),
    oneTimeWords: wordList(env.CLICKGATE_ONE_TIME_WORDS) ?? DEFAULT_ONE_TIME_WORDS,
    clickRateLimit: rateLimit(env.CLICKGATE_CLICK_RATE_LIMIT),
    fastClickSeconds: wholeNumber(env, 'CLICKGATE_FAST_CLICK_SECONDS', DEFAULT_FAST_CLICK_SECONDS),
    scannerRanges: ranges(env.CLICKGATE_SCANNER_RANGES),
  }
}

function verdictTtl(env: Env): number {
  const seconds = wholeNumber(env, 'CLICKGATE_VERDICT_TTL_SECONDS', DEFAULT_VERDICT_TTL_SECONDS)
  if (seconds > MAX_VERDICT_TTL_SECONDS) {
    throw new TypeError(
      `CLICKGATE_VERDICT_TTL_SECONDS must be at most ${MAX_VERDICT_TTL_SECONDS} (reputation data goes stale), got ${seconds}`,
    )
  }
  return seconds
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase()
  if (!raw) return fallback
  if (raw === 'true' || raw === '1') return true
  if (raw === 'false' || raw === '0') return false
  throw new TypeError(`${name} must be true or false, got "${raw}"`)
}

function wholeNumber(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim()
  if (!raw) return fallback

  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${name} must be a whole number, got "${raw}"`)
  }
  return value
}

function wordList(raw: string | undefined): string[] | null {
  if (raw === undefined || raw.trim() === '') return null

  const words = raw
    .split(',')
    .map((w) => w.trim().toLowerCase())
    .filter((w) => w.length > 0)
  if (words.length === 0) throw new TypeError('CLICKGATE_ONE_TIME_WORDS names no word')
  return words
}

/** `50/5` means 50 clicks per 5 seconds. */
function rateLimit(raw: string | undefined): { limit: number; windowMs: number } {
  if (raw === undefined || raw.trim() === '') return DEFAULT_CLICK_RATE_LIMIT

  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(raw)
  const limit = Number(match?.[1])
  const seconds = Number(match?.[2])
  if (!match || limit < 1 || seconds < 1) {
    throw new TypeError(`CLICKGATE_CLICK_RATE_LIMIT must be CLICKS/SECONDS like 50/5, got "${raw}"`)
  }
  return { limit, windowMs: seconds * 1000 }
}

function ranges(raw: string | undefined): string[] {
  const list = (raw ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r.length > 0)
  parseRanges(list, 'CLICKGATE_SCANNER_RANGES entry')
  return list
}
