/**
 * Sender-authentication settings shared by every runtime. Keys for ARC
 * sealing and DKIM signing are Node-only and read in src/node.
 */

import { isToken } from './auth-results.js'
import { asciiDomain } from './header-block.js'

export interface AuthConfig {
  /** Our authserv-id in the Authentication-Results field we add (RFC 8601 section 2.5). */
  authservId: string
  /** authserv-ids of the relays whose Authentication-Results we trust. */
  trustedRelays: string[]
  /** ARC sealers whose recorded DMARC pass may override a DMARC failure (RFC 8617 section 7.2). */
  trustedArcSealers: string[]
  /** Whether suspect messages get the visible banner. */
  banner: boolean
  /** The banner's headline. */
  bannerText: string
}

export const DEFAULT_BANNER_TEXT =
  'Caution: this message may not come from the sender it shows. Do not trust its links or requests without checking.'

/** Longest banner headline: it must stay a banner, not become the message. */
export const MAX_BANNER_TEXT = 300

type Env = Record<string, string | undefined>

/** `shared` holds what the caller parsed with the common readers (booleans). */
export function authConfigFromEnv(env: Env, baseUrl: URL, shared: { banner: boolean }): AuthConfig {
  const authservId = env.CLICKGATE_AUTHSERV_ID?.trim() || baseUrl.hostname
  if (!isToken(authservId)) {
    throw new TypeError(
      `CLICKGATE_AUTHSERV_ID "${authservId}" must be a single token, like a host name`,
    )
  }

  return {
    authservId,
    trustedRelays: list(env.CLICKGATE_AUTH_TRUSTED_RELAY).map((id) => {
      if (!isToken(id))
        throw new TypeError(`CLICKGATE_AUTH_TRUSTED_RELAY entry "${id}" is not an authserv-id`)
      return id
    }),
    trustedArcSealers: list(env.CLICKGATE_AUTH_TRUSTED_ARC_SEALERS).map((item) => {
      const domain = asciiDomain(item)
      if (!domain)
        throw new TypeError(`CLICKGATE_AUTH_TRUSTED_ARC_SEALERS entry "${item}" is not a domain`)
      return domain
    }),
    banner: shared.banner,
    bannerText: bannerText(env.CLICKGATE_AUTH_BANNER_TEXT),
  }
}

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
}

function bannerText(raw: string | undefined): string {
  const text = raw?.replace(/\s+/g, ' ').trim() || DEFAULT_BANNER_TEXT
  if (text.length > MAX_BANNER_TEXT) {
    throw new TypeError(`CLICKGATE_AUTH_BANNER_TEXT must be at most ${MAX_BANNER_TEXT} characters`)
  }
  return text
}
