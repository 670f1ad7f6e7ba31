import { verifyToken } from '../../src/core/tokens.js'
import type { AppDeps } from '../../src/http/env.js'

/** Every signed link of ours in a text, in order. */
export function signedLinks(text: string, deps: AppDeps): string[] {
  const prefix = deps.config.baseUrl.href.replace(/\/$/, '') + '/r/'
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return [...text.matchAll(new RegExp(`${escaped}[A-Za-z0-9_-]+`, 'g'))].map((m) => m[0])
}

/** The stored target behind one of our links, or throws when it does not verify. */
export async function targetOf(link: string, deps: AppDeps): Promise<string> {
  const token = link.slice(link.lastIndexOf('/') + 1)
  const result = await verifyToken(deps.config.ring, token, Math.floor(Date.now() / 1000))
  if (!result.ok) throw new Error(`link does not verify: ${result.reason}`)

  const target = await deps.store.getLinkUrl(result.claims.linkId)
  if (target === null) throw new Error('link id not in the store')
  return target
}

export async function targetsIn(text: string, deps: AppDeps): Promise<string[]> {
  return Promise.all(signedLinks(text, deps).map((link) => targetOf(link, deps)))
}
