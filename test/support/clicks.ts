/** Makes signed links in a harness, the way the rewriter registers them. */

import { signToken } from '../../src/core/tokens.js'
import type { Harness } from './harness.js'

/** Registers `target` and returns the path of a signed link to it. */
export async function linkFor(h: Harness, target: string): Promise<string> {
  const ids = await h.deps.store.registerLinks([target], h.clock.now)
  const token = await signToken(h.deps.config.ring, {
    linkId: ids.get(target) ?? -1,
    issuedAt: Math.floor(h.clock.now / 1000),
  })
  return `/r/${token}`
}

/** Clicks a link to `target` and returns the status and page text. */
export async function click(h: Harness, target: string) {
  const response = await h.app.request(await linkFor(h, target))
  return {
    status: response.status,
    location: response.headers.get('Location'),
    text: await response.text(),
  }
}
