/** Makes signed links in a harness, the way the rewriter registers them, and clicks them. */

import { signToken } from '../../src/core/tokens.js'
import type { Harness } from './harness.js'

/** Headers a real browser sends on a navigation. */
export const BROWSER = {
  'User-Agent':
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'Accept-Language': 'en-GB,en;q=0.9',
}

/** Registers `target` and returns the path of a signed link to it. */
export async function linkFor(
  h: Harness,
  target: string,
  extra: { recipientRef?: string; messageRef?: number } = {},
): Promise<string> {
  const ids = await h.deps.store.registerLinks([target], h.clock.now)
  const token = await signToken(h.deps.config.ring, {
    linkId: ids.get(target) ?? -1,
    issuedAt: Math.floor(h.clock.now / 1000),
    ...extra,
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

/** A person's click, a minute after the link was written. */
export async function humanClick(h: Harness, path: string, init: RequestInit = {}) {
  h.clock.now += 60_000
  return h.app.request(path, { ...init, headers: { ...BROWSER, ...init.headers } })
}

export function pathOf(link: string): string {
  return new URL(link).pathname
}
