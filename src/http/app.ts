/**
 * The Hono app, the same on every runtime. Runtime entries build the
 * services and hooks and hand them in; nothing here touches a runtime API.
 */

import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { secureHeaders } from 'hono/secure-headers'
import { rateLimiter } from 'hono-rate-limiter'

import { ClickgateError } from '../core/errors.js'
import { STYLESHEET_PATH } from '../../views/layout.js'
import { STYLESHEET } from '../../views/stylesheet.js'
import { apiAuth } from './auth.js'
import type { AppDeps, AppEnv } from './env.js'
import { errorBody, errorHandler } from './errors.js'
import { resolveHandler } from './resolve.js'
import { rewriteHandler } from './rewrite.js'
import { rulesHandlers } from './rules.js'

export const VERSION = '0.1.0'

/**
 * Pages load nothing but our stylesheet and run no script. `no-referrer`
 * keeps the token in our URL from reaching the destination or anyone else.
 */
const pageHeaders = secureHeaders({
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
})

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.onError(errorHandler(deps.logger))
  app.notFound((c) => c.json(errorBody('not_found', 'no such route'), 404))

  app.use('*', pageHeaders)
  app.get('/healthz', async (c) => c.json(await health(deps)))
  app.get(STYLESHEET_PATH, (c) => c.body(STYLESHEET, 200, stylesheetHeaders))
  app.get('/r/:token', resolveHandler(deps))

  mountApi(app, deps)
  return app
}

const stylesheetHeaders = {
  'Content-Type': 'text/css; charset=utf-8',
  'Cache-Control': 'public, max-age=3600',
}

function mountApi(app: Hono<AppEnv>, deps: AppDeps): void {
  const rules = rulesHandlers(deps)
  const admin = apiAuth({ config: deps.config, accept: ['admin'] })

  app.post(
    '/api/v1/rewrite',
    apiAuth({ config: deps.config, accept: ['rewrite', 'admin'] }),
    rewriteRateLimit(deps),
    bodyLimit({
      maxSize: deps.config.maxBodyBytes,
      onError: () => {
        throw new ClickgateError('payload_too_large', `body over ${deps.config.maxBodyBytes} bytes`)
      },
    }),
    rewriteHandler(deps),
  )
  app.get('/api/v1/rules', admin, rules.listRules)
  app.post('/api/v1/rules', admin, rules.addRule)
  app.delete('/api/v1/rules/:id', admin, rules.removeRule)
}

/** Per token, not per IP: relays send from few addresses and each holds its own token. */
function rewriteRateLimit(deps: AppDeps) {
  return rateLimiter<AppEnv>({
    windowMs: 60_000,
    limit: deps.config.rewriteRateLimit,
    standardHeaders: 'draft-7',
    keyGenerator: (c) => c.get('principal'),
    handler: () => {
      throw new ClickgateError('rate_limited', 'too many rewrite requests; slow down')
    },
  })
}

async function health(deps: AppDeps) {
  const counts = await deps.store.counts()
  return { status: 'ok', version: VERSION, keyIds: deps.config.ring.ids, counts }
}
