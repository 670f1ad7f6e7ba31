/**
 * What a runtime says about sender authentication when it starts, so an
 * operator sees at once which checks run and which cannot run there.
 */

import type { Capabilities } from '../capabilities.js'
import type { LogLevel } from '../log.js'
import type { AuthConfig } from './config.js'

/** Settings only the Node runtime can use (keys for ARC sealing and DKIM signing, the DNS limit). */
export const NODE_ONLY_AUTH_SETTINGS = [
  'CLICKGATE_ARC_DOMAIN',
  'CLICKGATE_ARC_SELECTOR',
  'CLICKGATE_ARC_KEY_FILE',
  'CLICKGATE_DKIM_DOMAIN',
  'CLICKGATE_DKIM_SELECTOR',
  'CLICKGATE_DKIM_KEY_FILE',
  'CLICKGATE_AUTH_TIMEOUT_MS',
] as const

export interface StartupNotice {
  level: LogLevel
  event: string
  fields: Record<string, unknown>
}

export interface AuthStartupFacts {
  config: AuthConfig
  capabilities: Capabilities
  /** What the runtime's authenticator has configured; absent without one. */
  sealing?: boolean
  signing?: boolean
  /** The runtime's environment, to name settings it cannot use. */
  env: Record<string, string | undefined>
}

export function authStartupNotice(facts: AuthStartupFacts): StartupNotice {
  const { config, capabilities } = facts
  const common = {
    authservId: config.authservId,
    trustedRelays: config.trustedRelays,
    trustedArcSealers: config.trustedArcSealers,
    banner: config.banner,
  }

  // DKIM and ARC go together: both need Node's rsa-sha256 (capabilities.ts).
  if (capabilities.features.dkim.available) {
    return {
      level: 'info',
      event: 'auth.ready',
      fields: {
        ...common,
        verification: 'connection facts (DKIM, SPF, DMARC, ARC)',
        sealing: facts.sealing ?? false,
        signing: facts.signing ?? false,
      },
    }
  }

  const ignored = NODE_ONLY_AUTH_SETTINGS.filter((name) => facts.env[name]?.trim())
  return {
    level: 'warn',
    event: 'auth.limited',
    fields: {
      ...common,
      verification:
        config.trustedRelays.length > 0 ? 'trusted relay Authentication-Results only' : 'off',
      note:
        'DKIM, SPF, DMARC and ARC verification, ARC sealing and DKIM signing need the Node runtime; ' +
        "here only the trusted relay's Authentication-Results are honoured, and requests with connection facts are not verified",
      ignoredSettings: ignored,
    },
  }
}
