/**
 * Turns a judged click into the response: a redirect, a warning, a block, a
 * one-click confirmation, or the harmless page scanners get for one-time
 * links. A block is always its own page with no way through.
 */

import type { Context } from 'hono'

import type { Decision } from '../core/verdict/types.js'
import { BlockPage, UnopenablePage } from '../../views/block.js'
import { CheckingPage } from '../../views/checking.js'
import { ConfirmPage } from '../../views/confirm.js'
import { ScannerPage } from '../../views/scanner.js'
import { type Continue, WarningPage } from '../../views/warning.js'
import type { AppEnv } from './env.js'
import { redirectTo } from './headers.js'
import { chainOf, continueLabel, reasonsOf, routeOf } from './pages.js'
import { type ClickContext, REVIEW_QUERY, confirmUrlFor } from './resolve.js'

/**
 * Redirects carry the headers `click.redirect` was made with (see
 * headers.ts); pages get theirs from the app's middleware, and no caching here.
 */
export function answerClick(c: Context<AppEnv>, click: ClickContext): Response | Promise<Response> {
  const { judgement, location, redirect, oneTime, classification, method } = click
  const verdict = judgement.decision.verdict
  const redirecting =
    redirect !== null && verdict === 'allow' && !oneTime && !isPending(judgement.decision)
  // The usual click: straight to the destination, before any page is considered.
  if (redirecting && method !== 'POST') return redirectTo(302, redirect)

  c.header('Cache-Control', 'no-store')
  if (verdict === 'block') return blockPage(c, click)
  if (isPending(judgement.decision)) return checkingPage(c, click)

  // A one-time target is never fetched on behalf of a program, not even after a warning.
  if (oneTime && classification.automated) return scannerPage(c, click)

  // Nothing to send the reader on to: a page with no way on, never a warning's.
  if (location === null || redirect === null) return unopenablePage(c, click)
  if (method === 'POST' && !click.review) return redirectTo(303, redirect)

  if (verdict === 'warn') {
    const label = continueLabel(routeFor(click), location, click.target)
    const continueTo: Continue = oneTime
      ? { kind: 'form', action: confirmAction(click), label }
      : { kind: 'link', href: location, label }
    return warningPage(c, click, continueTo)
  }

  if (oneTime) return confirmPage(c, click, location)
  // An allowed link after the scanner page's button (a POST for review).
  return redirectTo(303, redirect)
}

/**
 * The sandbox is still looking and its answer could change the outcome: nothing
 * blocks yet and no admin rule decided. A warning from another signal waits
 * too, so nobody continues through a warning to a page the scan would block.
 */
export function isPending(decision: Decision): boolean {
  if (decision.verdict === 'block' || decision.decisive?.source === 'rules') return false
  return decision.findings.some((finding) => finding.verdict === 'pending')
}

function checkingPage(c: Context<AppEnv>, click: ClickContext) {
  const refreshHref = `${c.req.path}?checking=1`
  return c.html(<CheckingPage route={routeFor(click)} refreshHref={refreshHref} />, 200)
}

function blockPage(c: Context<AppEnv>, click: ClickContext): Response | Promise<Response> {
  return c.html(
    <BlockPage
      route={routeFor(click)}
      reasons={reasonsOf(click.judgement.decision)}
      chain={chainOf(click.judgement.layers)}
    />,
    403,
  )
}

/** 403 like a block: there is no way through, though nothing was judged dangerous. */
function unopenablePage(c: Context<AppEnv>, click: ClickContext) {
  return c.html(
    <UnopenablePage
      route={routeFor(click)}
      reasons={reasonsOf(click.judgement.decision)}
      chain={chainOf(click.judgement.layers)}
    />,
    403,
  )
}

function warningPage(c: Context<AppEnv>, click: ClickContext, continueTo: Continue) {
  if (continueTo.kind === 'form' && click.location) allowFormTo(c, click.location)
  return c.html(
    <WarningPage
      route={routeFor(click)}
      reasons={reasonsOf(click.judgement.decision)}
      chain={chainOf(click.judgement.layers)}
      continueTo={continueTo}
    />,
    200,
  )
}

function confirmPage(c: Context<AppEnv>, click: ClickContext, location: string) {
  allowFormTo(c, location)
  const route = routeFor(click)
  return c.html(
    <ConfirmPage
      route={route}
      action={confirmAction(click)}
      label={continueLabel(route, location, click.target, 'Open')}
    />,
    200,
  )
}

/**
 * Its button is for a person taken for a scanner (a click seconds after
 * delivery, say). It posts back to us only: a redirect from that POST
 * would skip a warning the person never saw, and naming the target's
 * origin in `form-action` would tell the scanner where the link goes. The
 * POST answers with the page a person gets (confirmation or warning).
 */
function scannerPage(c: Context<AppEnv>, click: ClickContext) {
  c.header('Content-Security-Policy', pagePolicy("'self'"))
  return c.html(<ScannerPage action={`${confirmAction(click)}?${REVIEW_QUERY}=1`} />, 200)
}

/** Our confirmation address for this link, worked out only for the pages that show it. */
function confirmAction(click: ClickContext): string {
  return confirmUrlFor(click.token)
}

function routeFor(click: ClickContext) {
  return routeOf(click.judgement.layers, click.target)
}

/**
 * The page's form posts to us, and we answer with a 303 to the target.
 * CSP `form-action` applies to that redirect too (CSP Level 3 §6.3.3; Chrome
 * enforces it on redirects after a form submission), so the policy names
 * both our origin and the target's. The origin comes from the WHATWG URL
 * serialiser: ASCII, with no space or `;` that could add a directive.
 */
function allowFormTo(c: Context<AppEnv>, location: string): void {
  const origin = new URL(location).origin
  c.header('Content-Security-Policy', pagePolicy(`'self' ${origin}`))
}

function pagePolicy(formAction: string): string {
  return (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; " +
    `form-action ${formAction}; frame-ancestors 'none'`
  )
}
