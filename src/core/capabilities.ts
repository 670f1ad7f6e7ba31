/**
 * What the running runtime can do. Some features need Node: DKIM and ARC
 * verification (workerd's Web Crypto has no `rsa-sha256` for mailauth, see
 * STACK.md) and the built-in sandbox fetcher (Workers' `fetch` has no connect
 * hook, so the SSRF guard cannot pin the address it checked). Routes and
 * commands ask `requireFeature` before using one, so a feature that is missing
 * here answers with a clear `unavailable` error instead of failing silently.
 */

import { ClickgateError } from './errors.js'

export type Runtime = 'node' | 'workers'

/** Features that not every runtime has. */
export type Feature = 'dkim' | 'arc' | 'sandbox_fetch'

export const FEATURES: readonly Feature[] = ['dkim', 'arc', 'sandbox_fetch']

export type FeatureState = { available: true } | { available: false; reason: string }

export interface Capabilities {
  runtime: Runtime
  features: Record<Feature, FeatureState>
}

const AVAILABLE: FeatureState = { available: true }

export const NODE_CAPABILITIES: Capabilities = {
  runtime: 'node',
  features: { dkim: AVAILABLE, arc: AVAILABLE, sandbox_fetch: AVAILABLE },
}

export const WORKERS_CAPABILITIES: Capabilities = {
  runtime: 'workers',
  features: {
    dkim: {
      available: false,
      reason: 'DKIM verification needs Node: workerd cannot verify rsa-sha256 mail signatures',
    },
    arc: {
      available: false,
      reason: 'ARC verification and sealing need Node: workerd cannot verify rsa-sha256',
    },
    sandbox_fetch: {
      available: false,
      reason:
        "the built-in sandbox fetcher needs Node: Workers' fetch has no connect hook for the " +
        'SSRF guard; configure an external scanner instead',
    },
  },
}

/** Throws `unavailable` (HTTP 503) naming the feature, the runtime and why. */
export function requireFeature(capabilities: Capabilities, feature: Feature): void {
  const state = capabilities.features[feature]
  if (state.available) return

  throw new ClickgateError(
    'unavailable',
    `${feature} is not available on ${capabilities.runtime}: ${state.reason}`,
  )
}

/** The features this runtime lacks, for /healthz and start-up logs. */
export function unavailableFeatures(capabilities: Capabilities): Feature[] {
  return FEATURES.filter((feature) => !capabilities.features[feature].available)
}
