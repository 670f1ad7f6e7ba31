/**
 * Every API error is `{"error": {"code", "message"}}` with the status the
 * code maps to. Anything unexpected becomes a plain 500 that reveals nothing.
 */

import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

import { ClickgateError, type ErrorCode } from '../core/errors.js'
import type { Logger } from '../core/log.js'

const HTTP_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
}

export function errorBody(code: ErrorCode, message: string) {
  return { error: { code, message } }
}

export function errorHandler(logger: Logger) {
  return function onError(err: Error, c: Context): Response {
    if (err instanceof ClickgateError) {
      return c.json(errorBody(err.code, err.message), err.status as ContentfulStatusCode)
    }

    if (err instanceof HTTPException) {
      // Failed API authentication is how probing shows up; the presented value is never logged.
      if (err.status === 401)
        logger('warn', 'auth.rejected', { method: c.req.method, path: c.req.path })

      const code = HTTP_CODES[err.status] ?? 'bad_request'
      const response = c.json(errorBody(code, err.message || code.replace(/_/g, ' ')), err.status)
      const challenge = err.getResponse().headers.get('WWW-Authenticate')
      if (challenge) response.headers.set('WWW-Authenticate', challenge)
      return response
    }

    logger('error', 'request.failed', { method: c.req.method, path: c.req.path, error: err.name })
    return c.json(errorBody('internal', 'internal error'), 500)
  }
}
