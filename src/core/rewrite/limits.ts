/**
 * The rewriter's limits, and the clock that enforces the time limit.
 *
 * Whatever is over a limit passes through unchanged and the summary says so:
 * the mail is never dropped. With `failClosed`, over-limit parts are defanged
 * instead (their links made unclickable, with a visible notice), for operators
 * who prefer safety to fidelity.
 */

/**
 * Largest message rewritten, in bytes. Protects memory and time: every byte
 * is held a few times over while a message is parsed and re-encoded.
 */
export const MAX_MESSAGE_BYTES = 25 * 1024 * 1024

/**
 * Nesting limit for multipart and message entities. Protects against messages
 * built to exhaust time with deep nesting (each level rescans its body).
 */
export const MAX_MIME_DEPTH = 32

/**
 * Most links rewritten in one message. Each distinct link costs a storage row
 * and a signature; a message with tens of thousands is an attack on both.
 */
export const MAX_LINKS_PER_MESSAGE = 5_000

/**
 * Longest target stored, in characters. Real phishing links reach a few
 * thousand characters; anything far beyond is an attempt to bloat the link table.
 */
export const MAX_URL_LENGTH = 32_768

/**
 * Time budget for finding the links of one message, in milliseconds. Protects
 * a relay's throughput from a message crafted to be slow to scan.
 */
export const MAX_REWRITE_MS = 10_000

/** The limits one rewriter applies. */
export interface RewriteLimits {
  /** Default MAX_MESSAGE_BYTES. */
  maxMessageBytes: number
  /** Default MAX_MIME_DEPTH. */
  maxMimeDepth: number
  /** Default MAX_LINKS_PER_MESSAGE. */
  maxLinks: number
  /** Default MAX_URL_LENGTH. */
  maxUrlLength: number
  /** Default MAX_REWRITE_MS. */
  maxTimeMs: number
  /** Defang over-limit parts instead of passing them through. Default false. */
  failClosed: boolean
}

export const DEFAULT_LIMITS: RewriteLimits = {
  maxMessageBytes: MAX_MESSAGE_BYTES,
  maxMimeDepth: MAX_MIME_DEPTH,
  maxLinks: MAX_LINKS_PER_MESSAGE,
  maxUrlLength: MAX_URL_LENGTH,
  maxTimeMs: MAX_REWRITE_MS,
  failClosed: false,
}

/** Why a part is over a limit; these codes appear in the summary's `flagged` list. */
export type LimitReason =
  'message_too_large' | 'max_depth' | 'too_many_links' | 'url_too_long' | 'time_limit'

/**
 * A point in time after which scanning stops. Checked between steps and every
 * few hundred tags inside a scan, so one huge part cannot run past it for long.
 * The clock is injected, so tests drive it without waiting.
 */
export class Deadline {
  private readonly at: number
  private passed = false

  constructor(
    private readonly now: () => number,
    budgetMs: number,
  ) {
    this.at = now() + budgetMs
  }

  /** A deadline that never passes (defanging and bare bodies use it). */
  static never(): Deadline {
    return new Deadline(() => 0, Number.POSITIVE_INFINITY)
  }

  /** True once the budget is spent; stays true. */
  expired(): boolean {
    if (!this.passed && this.now() >= this.at) this.passed = true
    return this.passed
  }
}
