/**
 * Route guard for features that only some runtimes have (DKIM, ARC, the
 * built-in sandbox fetcher). On a runtime without the feature the request
 * gets a 503 `unavailable` error that names the feature and says why.
 */

import type { MiddlewareHandler } from 'hono'

import { type Capabilities, type Feature, requireFeature } from '../core/capabilities.js'
import type { AppEnv } from './env.js'

export function featureGuard(
  capabilities: Capabilities,
  feature: Feature,
): MiddlewareHandler<AppEnv> {
  return async function guardFeature(_c, next) {
    requireFeature(capabilities, feature)
    await next()
  }
}
