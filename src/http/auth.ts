/**
 * Bearer-token guard for the API (RFC 6750). Tokens are compared in constant
 * time by Hono's `timingSafeEqual`, which hashes both sides first so neither
 * content nor length leaks through timing.
 */

import type { MiddlewareHandler } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { timingSafeEqual } from 'hono/utils/buffer'

import type { AppConfig } from '../core/config.js'
import type { AppEnv, Principal } from './env.js'

export interface ApiAuthOptions {
  config: AppConfig
  /** Which principals this route accepts. */
  accept: readonly Principal[]
}

export function apiAuth({ config, accept }: ApiAuthOptions): MiddlewareHandler<AppEnv> {
  const tokens: [Principal, string][] = [
    ['admin', config.adminToken],
    ['rewrite', config.rewriteToken],
  ]

  return bearerAuth<AppEnv>({
    realm: 'clickgate',
    async verifyToken(presented, c) {
      for (const [principal, token] of tokens) {
        if (accept.includes(principal) && (await timingSafeEqual(presented, token))) {
          c.set('principal', principal)
          return true
        }
      }
      return false
    },
  })
}
