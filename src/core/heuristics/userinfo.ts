/**
 * Userinfo in a web link (`https://bank.example@evil.example/`). RFC 3986
 * section 3.2.1 keeps the field for legacy schemes and deprecates passwords
 * in it; browsers still honour it, so the reader sees `bank.example` first
 * while the browser goes to `evil.example`. Section 7.6 of the same RFC
 * names exactly this trick.
 */

import { getDomain } from 'tldts'

import type { Heuristic } from './types.js'

export const userinfo: Heuristic = ({ url }) => {
  if (!url.username && !url.password) return []

  const shown = safeDecode(url.username)
  if (looksLikeHost(shown)) {
    return [
      {
        verdict: 'block',
        reason: 'userinfo_disguise',
        detail: `the link starts with "${shown}@", which looks like a site name but is not where it goes: it goes to ${url.hostname}`,
      },
    ]
  }
  return [
    {
      verdict: 'warn',
      reason: 'userinfo',
      detail: `the link carries a user name${url.password ? ' and password' : ''} before the site name`,
    },
  ]
}

/** `bank.example`, `www.paypal.com`, `https:` leftovers: anything a reader takes for a site. */
function looksLikeHost(text: string): boolean {
  const candidate = text.replace(/^[a-z]+:\/*/i, '').toLowerCase()
  return candidate.includes('.') && getDomain(candidate) !== null
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    // Shown as written; the decision does not depend on it.
    return text
  }
}
