/** Small steps the HTTP suites share. */

import { signToken } from '../../../src/core/tokens.js'
import { ADMIN_TOKEN, type Harness, bearer } from '../../support/harness-core.js'

/** Registers a target the way the rewriter would and returns the path of its link. */
export async function linkFor(h: Harness, target: string, extra: { recipientRef?: string } = {}) {
  const ids = await h.deps.store.registerLinks([target], h.clock.now)
  const linkId = ids.get(target) ?? -1
  const token = await signToken(h.deps.config.ring, {
    linkId,
    issuedAt: Math.floor(h.clock.now / 1000),
    ...extra,
  })
  return `/r/${token}`
}

export async function addRule(h: Harness, body: Record<string, unknown>) {
  const response = await h.app.request('/api/v1/rules', {
    method: 'POST',
    headers: { ...bearer(ADMIN_TOKEN), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}
