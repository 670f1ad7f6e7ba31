/**
 * The Hono app, the same on every runtime. Runtime entries build the
 * services and hooks and hand them in; nothing here touches a runtime API.
 */

import { type Context, Hono, type Next } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { secureHeaders } from 'hono/secure-headers'
import { timingSafeEqual } from 'hono/utils/buffer'
import { rateLimiter } from 'hono-rate-limiter'

import { unavailableFeatures } from '../core/capabilities.js'
import { ClickgateError } from '../core/errors.js'
import { VERSION } from '../core/version.js'
import { STYLESHEET_PATH } from '../../views/layout.js'
import { STYLESHEET } from '../../views/stylesheet.js'
import { apiAuth } from './auth.js'
import type { AppDeps, AppEnv } from './env.js'
import { errorBody, errorHandler } from './errors.js'
import { hsts } from './headers.js'
import { CONFIRM_SEGMENT, formSubmitHandler, notFound, resolveHandler } from './resolve.js'
import { rewriteHandler } from './rewrite.js'
import { rewriteBatchHandler } from './rewrite-batch.js'
import { rulesHandlers } from './rules.js'

/**
 * Pages load nothing but our stylesheet and run no script. `no-referrer`
 * keeps the token in our URL from reaching the destination or anyone else.
 */
function pageHeaders(baseUrl: URL) {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
    },
    referrerPolicy: 'no-referrer',
    crossOriginResourcePolicy: 'same-origin',
    xFrameOptions: 'DENY',
    // HSTS means nothing over plain http (RFC 6797 section 7.2) and would only confuse.
    strictTransportSecurity: hsts(baseUrl),
    // A page with a confirmation form sets its own policy naming the form's target.
    overwrite: false,
  })
}

/**
 * Page headers on every response except redirects. A 302 or 303 has no
 * document for CSP, framing or sniffing rules to protect; what matters on
 * it is Referrer-Policy, which the browser applies to the redirected
 * request so that our token never reaches the destination (Referrer Policy
 * §8.3, "set request's referrer policy on redirect"), and no caching. The
 * redirect is the hot path, so it carries those and nothing more. The click
 * path's redirects carry them themselves (headers.ts `redirectHeaders`).
 */
function securityHeaders(baseUrl: URL) {
  const pages = pageHeaders(baseUrl)
  const transport = hsts(baseUrl)

  return async function securityHeaders(c: Context<AppEnv>, next: Next): Promise<void> {
    // Set before the handler builds its response, so they are part of it from the start:
    // changing a finished response's headers costs the Node adapter its fast path.
    c.header('Referrer-Policy', 'no-referrer')
    // The redirect is often a reader's first contact with our host: it carries HSTS too.
    if (transport) c.header('Strict-Transport-Security', transport)

    await next()
    if (c.res.status < 300 || c.res.status >= 400) await pages(c, async () => {})
  }
}

/**
 * Every route but the click runs inside `securityHeaders`. The click (GET
 * /r/:token) is the one route Hono calls directly, with no middleware around
 * it, so that a click answered from memory goes out without a promise in
 * between (Hono composes, and so awaits, whenever a request matches more than
 * one handler). Its redirects carry their own headers; its pages, and the
 * not-found answers of every path, get the same headers as the rest.
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const onError = errorHandler(deps.logger)
  const headers = securityHeaders(deps.config.baseUrl)
  const withHeaders = answeredWithHeaders(headers, onError)
  app.onError(onError)
  // Anything else under /r/ (`/r/TOKEN/`, `/r/a/b`) is a damaged link: same page as a bad token.
  app.notFound((c) =>
    withHeaders(
      c,
      c.req.path.startsWith('/r/')
        ? notFound(c)
        : c.json(errorBody('not_found', 'no such route'), 404),
    ),
  )

  const resolve = resolveHandler(deps)
  app.get('/r/:token', clickRoute(resolve, withHeaders))
  app.post('/r/:token', headers, formSubmitHandler(deps))
  // The one-click confirmation of one-time targets and their warnings' "continue" (a form of ours).
  app.post(`/r/:token/${CONFIRM_SEGMENT}`, headers, resolve)
  app.use('/healthz', headers)
  app.get('/healthz', healthHandler(deps))
  app.use(STYLESHEET_PATH, headers)
  app.get(STYLESHEET_PATH, (c) => c.body(STYLESHEET, 200, stylesheetHeaders))
  app.use('/api/*', headers)

  mountApi(app, deps)
  return app
}

type Answer = Response | Promise<Response>

/** Runs the header middleware around an answer made outside it; an error becomes its answer. */
function answeredWithHeaders(
  headers: ReturnType<typeof securityHeaders>,
  onError: ReturnType<typeof errorHandler>,
) {
  return async function withHeaders(c: Context<AppEnv>, answer: Answer): Promise<Response> {
    await headers(c, async () => {
      try {
        c.res = await answer
      } catch (err) {
        c.res = onError(err instanceof Error ? err : new Error(String(err)), c)
      }
    })
    return c.res
  }
}

/** The click: a redirect made at once goes out as it is; anything else gets the page headers. */
function clickRoute(
  resolve: (c: Context<AppEnv>) => Answer,
  withHeaders: (c: Context<AppEnv>, answer: Answer) => Promise<Response>,
) {
  return function click(c: Context<AppEnv>): Answer {
    let answer: Answer
    try {
      answer = resolve(c)
    } catch (err) {
      answer = Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
    if (!(answer instanceof Promise) && answer.status >= 300 && answer.status < 400) return answer
    return withHeaders(c, answer)
  }
}

const stylesheetHeaders = {
  'Content-Type': 'text/css; charset=utf-8',
  'Cache-Control': 'public, max-age=3600',
}

function mountApi(app: Hono<AppEnv>, deps: AppDeps): void {
  const rules = rulesHandlers(deps)
  const admin = apiAuth({ config: deps.config, accept: ['admin'] })
  const notAllowed = () => {
    throw new ClickgateError('method_not_allowed', 'method not allowed on this route')
  }

  const rewriteGuards = [
    apiAuth({ config: deps.config, accept: ['rewrite', 'admin'] }),
    rewriteRateLimit(deps),
    bodyLimit({
      maxSize: deps.config.maxBodyBytes,
      onError: () => {
        throw new ClickgateError('payload_too_large', `body over ${deps.config.maxBodyBytes} bytes`)
      },
    }),
  ] as const
  app.post('/api/v1/rewrite', ...rewriteGuards, rewriteHandler(deps))
  app.post('/api/v1/rewrite/batch', ...rewriteGuards, rewriteBatchHandler(deps))
  app.get('/api/v1/rules', admin, rules.listRules)
  app.post('/api/v1/rules', admin, rules.addRule)
  app.delete('/api/v1/rules/:id', admin, rules.removeRule)
  app.all('/api/v1/rewrite', notAllowed)
  app.all('/api/v1/rules', notAllowed)
  app.all('/api/v1/rules/:id', notAllowed)
}

/** Per token, not per IP: relays send from few addresses and each holds its own token. */
function rewriteRateLimit(deps: AppDeps) {
  const handler = () => {
    throw new ClickgateError('rate_limited', 'too many rewrite requests; slow down')
  }
  if (deps.rateLimitBinding) {
    // The binding's limit and period are set where it is declared (wrangler.toml).
    const binding = deps.rateLimitBinding
    return rateLimiter<AppEnv>({ binding, keyGenerator: (c) => c.get('principal'), handler })
  }
  return rateLimiter<AppEnv>({
    windowMs: 60_000,
    limit: deps.config.rewriteRateLimit,
    standardHeaders: 'draft-7',
    keyGenerator: (c) => c.get('principal'),
    handler,
  })
}

/**
 * Load balancers get status and version; details (key ids, row counts) only
 * with the admin token, since they describe the deployment to an attacker.
 */
function healthHandler(deps: AppDeps) {
  return async function health(c: Context<AppEnv>) {
    const base = { status: 'ok', version: VERSION }

    const header = c.req.header('Authorization') ?? ''
    const presented = header.startsWith('Bearer ') ? header.slice(7) : ''
    if (!presented || !(await timingSafeEqual(presented, deps.config.adminToken)))
      return c.json(base)
    return c.json({
      ...base,
      runtime: deps.capabilities.runtime,
      unavailable: unavailableFeatures(deps.capabilities),
      keyIds: deps.config.ring.ids,
      counts: await deps.store.counts(),
      feeds: await deps.providers.status(deps.now()),
      clicksQueued: deps.clicks.pending,
    })
  }
}
