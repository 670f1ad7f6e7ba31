/**
 * GET /r/:token — the click path, as a pipeline of named steps:
 * verify the token (no I/O), load the link, gather findings, decide,
 * answer, and record the click after the answer is on its way.
 */

import type { Context } from 'hono'

import { type TokenClaims, verifyToken } from '../core/tokens.js'
import { locationFor } from '../core/url.js'
import { decide } from '../core/verdict/policy.js'
import { gatherFindings } from '../core/verdict/signals.js'
import type { Decision } from '../core/verdict/types.js'
import { BlockPage } from '../../views/block.js'
import { CheckingPage } from '../../views/checking.js'
import { NotFoundPage } from '../../views/not-found.js'
import { WarningPage } from '../../views/warning.js'
import type { AppDeps, AppEnv } from './env.js'
import { destinationParts, reasonsOf } from './pages.js'

/** User agents are attacker-controlled; keep enough to recognise a scanner, no more. */
const MAX_USER_AGENT = 512

export function resolveHandler(deps: AppDeps) {
  return async function resolveClick(c: Context<AppEnv>): Promise<Response> {
    const now = deps.now()
    const claims = await verifyClick(c, deps, now)
    if (!claims) return notFound(c)

    const target = await deps.store.getLinkUrl(claims.linkId)
    if (target === null) {
      deps.logger('warn', 'token.rejected', { reason: 'unknown_link', keyId: claims.keyId })
      return notFound(c)
    }

    const subject = { target, linkId: claims.linkId, messageRef: claims.messageRef ?? null, now }
    const decision = decide(await gatherFindings(deps.signals, subject), {
      allowOverrides: deps.config.allowOverrides,
    })

    const response = await answer(c, target, decision)
    // Reloads of the "checking" page are the same click: it is recorded once, and once it settles.
    const reload = isPending(decision) && c.req.query('checking') !== undefined
    if (!reload) deps.defer(c, () => recordClick(c, deps, claims, decision, now))
    return response
  }
}

async function verifyClick(c: Context<AppEnv>, deps: AppDeps, now: number) {
  const result = await verifyToken(
    deps.config.ring,
    c.req.param('token') ?? '',
    Math.floor(now / 1000),
  )
  if (result.ok) return result.claims

  // Same outward answer for every failure; only the log knows why.
  deps.logger('warn', 'token.rejected', { reason: result.reason, keyId: result.keyId ?? null })
  return null
}

/**
 * The sandbox is still looking and its answer could change the outcome: nothing
 * blocks yet and no admin rule decided. A warning from another signal waits
 * too, so nobody continues through a warning to a page the scan would block.
 */
function isPending(decision: Decision): boolean {
  if (decision.verdict === 'block' || decision.decisive?.source === 'rules') return false
  return decision.findings.some((finding) => finding.verdict === 'pending')
}

async function answer(c: Context<AppEnv>, target: string, decision: Decision): Promise<Response> {
  // Every answer depends on rules that may change at any moment: nothing is cached.
  c.header('Cache-Control', 'no-store')

  const location = locationFor(target)
  if (isPending(decision)) {
    const refreshHref = `${c.req.path}?checking=1`
    return c.html(
      <CheckingPage target={target} parts={destinationParts(target)} refreshHref={refreshHref} />,
      200,
    )
  }
  if (decision.verdict === 'allow' && location !== null) return c.redirect(location, 302)

  const parts = destinationParts(target)
  const reasons = reasonsOf(decision)
  if (decision.verdict === 'block') {
    return c.html(<BlockPage target={target} parts={parts} reasons={reasons} />, 403)
  }
  return c.html(
    <WarningPage target={target} parts={parts} reasons={reasons} continueHref={location} />,
    200,
  )
}

export async function notFound(c: Context<AppEnv>): Promise<Response> {
  c.header('Cache-Control', 'no-store')
  return c.html(<NotFoundPage />, 404)
}

async function recordClick(
  c: Context<AppEnv>,
  deps: AppDeps,
  claims: TokenClaims,
  decision: Decision,
  now: number,
): Promise<void> {
  const ip = deps.clientIp(c)
  const click = {
    at: now,
    linkId: claims.linkId,
    messageRef: claims.messageRef ?? null,
    recipientRef: claims.recipientRef ?? null,
    keyId: claims.keyId,
    verdict: isPending(decision) ? 'pending' : decision.verdict,
    reason: decision.decisive?.reason ?? null,
    userAgent: c.req.header('User-Agent')?.slice(0, MAX_USER_AGENT) ?? null,
    ipHash: ip ? await deps.hasher.ipHash(ip) : null,
  }

  await deps.store.recordClicks([click])
  deps.logger('info', 'click', {
    linkId: click.linkId,
    messageRef: click.messageRef,
    recipientRef: click.recipientRef,
    keyId: click.keyId,
    verdict: click.verdict,
    reason: click.reason,
    method: c.req.method,
  })
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
