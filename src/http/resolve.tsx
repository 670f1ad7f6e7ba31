/**
 * The click path, as a pipeline of named steps: verify the token (no I/O),
 * load the link, judge it (signals and policy, see core/verdict/engine.ts),
 * tell a person from a scanner, answer, and queue the click record.
 *
 * `GET /r/:token` is the click. `POST /r/:token/go` is the one-click
 * confirmation for one-time targets and the "continue" of their warning
 * page: a form of ours that a person submits, which scanners do not.
 * (`POST /r/:token` itself is a form in a message; see formSubmitHandler.)
 */

import type { Context } from 'hono'

import type { Classification } from '../core/clicks/automation.js'
import { clickLogFields } from '../core/clicks/recorder.js'
import { type ClickLimiter, createClickLimiter } from '../core/clicks/rate-limit.js'
import { looksOneTime } from '../core/one-time.js'
import { type TokenClaims, verifyToken } from '../core/tokens.js'
import { type TtlCache, createTtlCache } from '../core/verdict/cache.js'
import { locationFor } from '../core/url.js'
import type { Judgement } from '../core/verdict/engine.js'
import { NotFoundPage } from '../../views/not-found.js'
import { RateLimitedPage } from '../../views/rate-limited.js'
import { answerClick, isPending } from './click-answer.js'
import type { AppDeps, AppEnv } from './env.js'
import { redirectHeaders, redirectHeadersTo } from './headers.js'

/** The path segment after the token that our own confirmation forms post to. */
export const CONFIRM_SEGMENT = 'go'

/** Marks the scanner page's POST, which must lead to the page a person would have seen. */
export const REVIEW_QUERY = 'review'

/** User agents are attacker-controlled; keep enough to recognise a scanner, no more. */
const MAX_USER_AGENT = 512

/** Everything the answer and the click record need about one request. */
export interface ClickContext {
  claims: TokenClaims
  target: string
  /** Where a redirect goes: the link as authored, or its innermost layer by policy. */
  location: string | null
  /** The headers of a redirect to `location`, Location included; null when there is none. */
  redirect: Readonly<Record<string, string>> | null
  judgement: Judgement
  oneTime: boolean
  classification: Classification
  method: 'GET' | 'HEAD' | 'POST'
  /** The token as clicked: our confirmation forms post to `confirmUrlFor(token)`. */
  token: string
  /** A POST from the scanner page's button: the person has seen no warning or confirmation yet. */
  review: boolean
  /** The client's address, read once per request. */
  ip: string | null
  userAgent: string | null
}

/** What follows from a target alone, worked out once per target rather than per click. */
interface Destination {
  location: string | null
  /** The headers of a redirect to `location`, Location included. */
  redirect: Readonly<Record<string, string>> | null
  oneTime: boolean
}

/**
 * Tokens whose signature was already checked, by their exact text. A hit
 * needs the very string that verified, MAC included, so it can never admit
 * a forgery; it saves the HMAC (a Web Crypto round trip on Workers, a few
 * microseconds with node:crypto) when people and their mail scanners open the
 * same link again.
 * Expiry is still checked on every click.
 */
const VERIFIED_TOKENS = 100_000
const VERIFIED_TTL_MS = 10 * 60_000

export function resolveHandler(deps: AppDeps) {
  const verified = createTtlCache<TokenClaims>({ max: VERIFIED_TOKENS, ttlMs: VERIFIED_TTL_MS })
  const { limit, windowMs } = deps.config.clickRateLimit
  const limiter = createClickLimiter(limit, windowMs)
  // Where a target redirects to and whether it looks one-time depend on the target (its
  // layers follow from it) and the configuration only.
  const redirect = redirectHeaders(deps.config.baseUrl)
  const destinations = createTtlCache<Destination>({ max: 50_000, ttlMs: 3_600_000 })
  const destinationOf = (target: string, layers: Judgement['layers']): Destination => {
    const hit = destinations.get(target)
    if (hit) return hit

    const innermost = layers[layers.length - 1]?.url ?? target
    const location = locationFor(deps.config.redirectUnwrapped ? innermost : target)
    const destination = {
      location,
      redirect: location === null ? null : redirectHeadersTo(location, redirect),
      oneTime: layers.some((l) => looksOneTime(l.url, deps.config.oneTimeWords)),
    }
    destinations.set(target, destination)
    return destination
  }

  /**
   * A click whose every answer is in memory (token verified before, target,
   * verdict, rules version and message) is answered without waiting for
   * anything: the usual repeated click, under load. Anything else takes the
   * same steps with the reads they need.
   */
  return function resolveClick(c: Context<AppEnv>): Response | Promise<Response> {
    const now = deps.now()
    const token = c.req.param('token') ?? ''
    const known = verifiedNow(verified, token, now)
    return known ? click(c, token, known, now) : verifyThenClick(c, token, now)
  }

  async function verifyThenClick(c: Context<AppEnv>, token: string, now: number) {
    const claims = await verifyClick(token, deps, now, verified)
    return claims ? click(c, token, claims, now) : notFound(c)
  }

  function click(c: Context<AppEnv>, token: string, claims: TokenClaims, now: number) {
    if (!limiter.allow(token, now)) return rateLimited(c, deps, limiter, now)

    const target = deps.linkTargetNow(claims.linkId)
    const judgement =
      target === undefined ? undefined : deps.verdicts.judgeNow(subject(claims, target, now))
    if (target === undefined || judgement === undefined)
      return judgeThenAnswer(c, token, claims, now)
    return answer(c, { token, claims, target, now }, judgement)
  }

  async function judgeThenAnswer(
    c: Context<AppEnv>,
    token: string,
    claims: TokenClaims,
    now: number,
  ) {
    const target = await deps.linkTarget(claims.linkId)
    if (target === null) {
      deps.logger('warn', 'token.rejected', { reason: 'unknown_link', keyId: claims.keyId })
      return notFound(c)
    }
    const judgement = await deps.verdicts.judge(subject(claims, target, now))
    return answer(c, { token, claims, target, now }, judgement)
  }

  function answer(c: Context<AppEnv>, clicked: Clicked, judgement: Judgement) {
    const click = clickContext(c, deps, clicked, judgement, destinationOf)
    const response = answerClick(c, click)
    // Reloads of the "checking" page are the same click: it is recorded once, and once it settles.
    const reload = isPending(judgement.decision) && c.req.query('checking') !== undefined
    if (!reload) queueClick(c, deps, click, clicked.now)
    return response
  }
}

/** What the click path knows of a click before judging it. */
interface Clicked {
  token: string
  claims: TokenClaims
  target: string
  now: number
}

function subject(claims: TokenClaims, target: string, now: number) {
  return { target, linkId: claims.linkId, messageRef: claims.messageRef ?? null, now }
}

/** Claims of a token whose signature was checked before, while it has not expired. */
function verifiedNow(verified: TtlCache<TokenClaims>, token: string, now: number) {
  const known = verified.get(token)
  if (!known) return undefined
  return known.expiresAt === undefined || Math.floor(now / 1000) < known.expiresAt
    ? known
    : undefined
}

async function verifyClick(
  token: string,
  deps: AppDeps,
  now: number,
  verified: TtlCache<TokenClaims>,
) {
  const seconds = Math.floor(now / 1000)
  const result = await verifyToken(deps.config.ring, token, seconds)
  if (result.ok) {
    verified.set(token, result.claims)
    return result.claims
  }

  // Same outward answer for every failure; only the log knows why.
  deps.logger('warn', 'token.rejected', { reason: result.reason, keyId: result.keyId ?? null })
  return null
}

function clickContext(
  c: Context<AppEnv>,
  deps: AppDeps,
  { token, claims, target, now }: Clicked,
  judgement: Judgement,
  destinationOf: (target: string, layers: Judgement['layers']) => Destination,
): ClickContext {
  logOverride(deps, claims, judgement)

  const method = requestMethod(c)
  const userAgent = c.req.header('User-Agent') ?? null
  const ip = deps.clientIp(c)
  const classification = deps.automation.classify(
    {
      method,
      userAgent,
      accept: c.req.header('Accept') ?? null,
      acceptLanguage: c.req.header('Accept-Language') ?? null,
      ip,
      ageSeconds: Math.floor(now / 1000) - claims.issuedAt,
    },
    { deliberate: method === 'POST' },
  )

  const { location, redirect, oneTime } = destinationOf(target, judgement.layers)
  return {
    claims,
    target,
    location,
    redirect,
    judgement,
    oneTime,
    classification,
    method,
    token,
    review: method === 'POST' && c.req.query(REVIEW_QUERY) !== undefined,
    ip,
    userAgent,
  }
}

/**
 * Relative to the page's own address (`…/r/TOKEN`), so it resolves to
 * `…/r/TOKEN/go` on whatever host and path the reader reached us by, and
 * stays same-origin for the page's `form-action 'self'`.
 */
export function confirmUrlFor(token: string): string {
  return `${encodeURIComponent(token)}/${CONFIRM_SEGMENT}`
}

function requestMethod(c: Context<AppEnv>): ClickContext['method'] {
  const method = c.req.method.toUpperCase()
  return method === 'POST' || method === 'HEAD' ? method : 'GET'
}

/** Every time an admin allow rule overrides a worse finding, the log says so. */
function logOverride(deps: AppDeps, claims: TokenClaims, judgement: Judgement): void {
  const { overridden, decisive } = judgement.decision
  if (overridden.length === 0) return

  deps.logger('warn', 'verdict.override', {
    linkId: claims.linkId,
    ruleId: decisive?.rule?.id ?? null,
    rule: decisive?.detail ?? null,
    overridden: overridden.map((f) => ({ reason: f.reason, source: f.source, verdict: f.verdict })),
  })
}

export async function notFound(c: Context<AppEnv>): Promise<Response> {
  c.header('Cache-Control', 'no-store')
  return c.html(<NotFoundPage />, 404)
}

/** Past the per-link limit: a 429 with a page that says when to try again (RFC 6585 §4). */
async function rateLimited(
  c: Context<AppEnv>,
  deps: AppDeps,
  limiter: ClickLimiter,
  now: number,
): Promise<Response> {
  const retryAfter = limiter.retryAfter(now)
  deps.logger('warn', 'click.rate_limited', {
    limit: deps.config.clickRateLimit.limit,
    retryAfterSeconds: retryAfter,
  })
  c.header('Retry-After', String(retryAfter))
  c.header('Cache-Control', 'no-store')
  return c.html(<RateLimitedPage retryAfterSeconds={retryAfter} />, 429)
}

function queueClick(c: Context<AppEnv>, deps: AppDeps, click: ClickContext, now: number): void {
  const { claims, classification } = click
  deps.clicks.enqueue({
    at: now,
    linkId: claims.linkId,
    messageRef: claims.messageRef ?? null,
    recipientRef: claims.recipientRef ?? null,
    keyId: claims.keyId,
    ...recordedOutcome(click),
    userAgent: click.userAgent?.slice(0, MAX_USER_AGENT) ?? null,
    ip: click.ip,
    automated: classification.automated,
    evidence: classification.evidence.length > 0 ? classification.evidence.join(',') : null,
    method: click.method,
  })
  // One waiting flush takes this click too; under a backlog, one per click would pile up
  // thousands of drains writing a few clicks each.
  if (deps.clicks.pending >= deps.clickFlushThreshold && !deps.clicks.flushQueued) {
    deps.defer(c, async () => {
      await flushClicks(deps)
    })
  }
}

/**
 * What the reader was given, as the click record and log say it. A link that
 * cannot be opened ends on a page with no way on (answerClick), so it is
 * recorded as blocked, for the reason it cannot be opened, whatever its
 * findings' own verdict: the record must not suggest the reader could go on.
 */
function recordedOutcome({ judgement, location }: ClickContext) {
  const { decision } = judgement
  const reason = decision.decisive?.reason ?? null
  if (isPending(decision)) return { verdict: 'pending', reason }
  if (location === null && decision.verdict !== 'block') {
    const syntax = decision.findings.find((f) => f.source === 'syntax')
    return { verdict: 'block', reason: syntax?.reason ?? 'unopenable_url' }
  }
  return { verdict: decision.verdict, reason }
}

/**
 * Writes the queued clicks and logs each one the writer did not log itself;
 * runtimes also call it on a timer and at shutdown. Resolves with the number stored.
 */
export async function flushClicks(deps: Pick<AppDeps, 'clicks' | 'logger'>): Promise<number> {
  const { stored, toLog } = await deps.clicks.flush()
  for (const click of toLog) deps.logger('info', 'click', clickLogFields(click))
  return stored
}

/**
 * POST /r/:token — a form in a message whose action we rewrote was
 * submitted. What the reader typed (often a password, in a phishing form) is
 * never read, stored or forwarded: the answer is a 303 to the same link as a
 * plain GET, which goes through the usual click-time check. A form sent with
 * GET carries its fields in the query, which the click path ignores.
 */
export function formSubmitHandler(deps: AppDeps) {
  return function submitForm(c: Context<AppEnv>): Response {
    const token = c.req.param('token') ?? ''
    const base = deps.config.baseUrl.href.replace(/\/?$/, '/')
    const location = new URL(`r/${encodeURIComponent(token)}`, base).href
    return c.body(null, 303, { Location: location, 'Cache-Control': 'no-store' })
  }
}
