/**
 * Turns a judged click into the response: a redirect, a warning, a block, a
 * one-click confirmation, or the harmless page scanners get for one-time
 * links. A block is always its own page with no way through.
 */

import type { Context } from 'hono'

import type { Decision } from '../core/verdict/types.js'
import { BlockPage } from '../../views/block.js'
import { CheckingPage } from '../../views/checking.js'
import { ConfirmPage } from '../../views/confirm.js'
import { ScannerPage } from '../../views/scanner.js'
import { type Continue, WarningPage } from '../../views/warning.js'
import type { AppEnv } from './env.js'
import { redirectTo } from './headers.js'
import { destinationParts, reasonsOf } from './pages.js'
import type { ClickContext } from './resolve.js'

/**
 * `redirect` carries the headers of every redirect to a destination (see
 * headers.ts); pages get theirs from the app's middleware, and no caching here.
 */
export async function answerClick(
  c: Context<AppEnv>,
  click: ClickContext,
  redirect: Readonly<Record<string, string>>,
): Promise<Response> {
  const { judgement, location, oneTime, classification, method } = click
  const verdict = judgement.decision.verdict
  const redirecting =
    location !== null && verdict === 'allow' && !oneTime && !isPending(judgement.decision)
  // The usual click: straight to the destination, before any page is considered.
  if (redirecting && method !== 'POST') return redirectTo(location, 302, redirect)

  c.header('Cache-Control', 'no-store')
  if (verdict === 'block') return blockPage(c, click)
  if (isPending(judgement.decision)) return checkingPage(c, click)

  // A one-time target is never fetched on behalf of a program, not even after a warning.
  if (oneTime && classification.automated) {
    return c.html(<ScannerPage action={confirmAction(click)} />, 200)
  }

  if (method === 'POST') {
    if (location === null) return warningPage(c, click, null)
    return redirectTo(location, 303, redirect)
  }

  if (verdict === 'warn' || location === null) {
    const continueTo: Continue =
      location === null
        ? null
        : oneTime
          ? { kind: 'form', action: confirmAction(click) }
          : { kind: 'link', href: location }
    return warningPage(c, click, continueTo)
  }

  // Only a one-time target is left here: any other went out as the redirect above.
  return confirmPage(c, click, location)
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
  return c.html(
    <CheckingPage
      target={click.target}
      parts={destinationParts(click.target)}
      refreshHref={refreshHref}
    />,
    200,
  )
}

function blockPage(c: Context<AppEnv>, click: ClickContext): Response | Promise<Response> {
  return c.html(
    <BlockPage
      target={click.target}
      parts={destinationParts(click.target)}
      reasons={reasonsOf(click.judgement.decision)}
      chain={chainOf(click)}
    />,
    403,
  )
}

function warningPage(c: Context<AppEnv>, click: ClickContext, continueTo: Continue) {
  if (continueTo?.kind === 'form' && click.location) allowFormTo(c, click.location)
  return c.html(
    <WarningPage
      target={click.target}
      parts={destinationParts(click.target)}
      reasons={reasonsOf(click.judgement.decision)}
      chain={chainOf(click)}
      continueTo={continueTo}
    />,
    200,
  )
}

function confirmPage(c: Context<AppEnv>, click: ClickContext, location: string) {
  allowFormTo(c, location)
  return c.html(
    <ConfirmPage
      target={click.target}
      parts={destinationParts(click.target)}
      action={confirmAction(click)}
    />,
    200,
  )
}

/** Our confirmation address for this link (see confirmUrlFor). */
function confirmAction(click: ClickContext): string {
  return click.confirmUrl
}

function chainOf(click: ClickContext): string[] {
  return click.judgement.layers.map((layer) => layer.url)
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
  c.header(
    'Content-Security-Policy',
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; " +
      `form-action 'self' ${origin}; frame-ancestors 'none'`,
  )
}
