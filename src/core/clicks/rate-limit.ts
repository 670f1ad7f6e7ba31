/**
 * A per-link click limit: at most `limit` clicks per token in each fixed
 * window. One link clicked fifty times in five seconds is a loop, a flood
 * or a scanner farm, not people.
 *
 * A fixed window counted in a plain Map, because the click path is hot: the
 * general-purpose limiter used for the rewrite API cost as much per request
 * as the whole redirect of a bare app (measured with `bench:resolver`).
 * Per process (per isolate on Workers), which is the point: it protects
 * this process's work.
 */

export interface ClickLimiter {
  /** Counts a click on the token; false when the token is over its limit in this window. */
  allow(token: string, now: number): boolean
  /** Seconds until the current window ends. */
  retryAfter(now: number): number
}

/**
 * Most tokens counted per window. Past this a flood of distinct links would
 * grow the map without bound, so the window starts over early: the limit
 * then errs on the side of letting clicks through, never of refusing them.
 */
export const MAX_COUNTED_TOKENS = 200_000

export function createClickLimiter(limit: number, windowMs: number): ClickLimiter {
  let windowStart = 0
  let counts = new Map<string, number>()

  /** A new window starts with the first click after the last one ended (or the clock went back). */
  function roll(now: number): void {
    const ended = now >= windowStart + windowMs || now < windowStart
    if (ended || counts.size >= MAX_COUNTED_TOKENS) {
      windowStart = now
      counts = new Map()
    }
  }

  return {
    allow(token, now) {
      roll(now)
      const count = (counts.get(token) ?? 0) + 1
      counts.set(token, count)
      return count <= limit
    },
    retryAfter(now) {
      return Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000))
    },
  }
}
