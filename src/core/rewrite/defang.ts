/**
 * Defanging, for fail-closed operation: the links of a part that is over a
 * limit are made unclickable, and a visible notice says why, instead of the
 * part passing through with live links nobody checked.
 */

import type { Replacement } from './document.js'
import type { LimitReason } from './limits.js'
import { type Plan, escapeAttribute } from './plan.js'

/** What a defanged attribute value becomes: an in-page anchor that goes nowhere. */
export const DEFANGED_HREF = '#clickgate-defanged'

/** The replacements that defang a planned part. */
export function defangReplacements(
  plan: Plan,
  kind: 'html' | 'text',
  reason: LimitReason,
  lineEnding: string,
): Replacement[] {
  const replacements: Replacement[] = plan.hazards.map((hazard) => ({
    start: hazard.start,
    end: hazard.end,
    text: hazard.kind === 'attribute' ? DEFANGED_HREF : defangedText(hazard.text, kind),
  }))

  const notice = noticeText(reason)
  const insert =
    kind === 'html'
      ? `<div style="border:2px solid #b00020;padding:8px;margin:8px 0;color:#b00020;font-family:sans-serif">${notice}</div>`
      : `[${notice}]${lineEnding}${lineEnding}`
  replacements.push({ start: plan.noticeAt, end: plan.noticeAt, text: insert })
  return replacements
}

const REASON_TEXT: Record<LimitReason, string> = {
  message_too_large: 'the message is larger than the configured limit',
  max_depth: 'the part is nested deeper than the configured limit',
  too_many_links: 'the message has more links than the configured limit',
  url_too_long: 'a link is longer than the configured limit',
  time_limit: 'checking the message took longer than the configured limit',
}

/**
 * A URL's defanged spelling, for the text of a part. In HTML it is escaped:
 * a URL found in HTML text was decoded first, so `&lt;` in it is now `<`.
 */
function defangedText(url: string, kind: 'html' | 'text'): string {
  const text = defangUrl(url)
  return kind === 'html' ? escapeAttribute(text) : text
}

/** ASCII only, so it can be written into a part in any charset. */
function noticeText(reason: LimitReason): string {
  return `clickgate disabled the links in this part because ${REASON_TEXT[reason]}. The addresses are shown defanged (hxxp, [.]); do not visit them.`
}

/**
 * The usual defanged spelling: `https://evil.example/x` becomes
 * `hxxps://evil[.]example/x`, which no mail client turns back into a link.
 * Non-ASCII characters are written as `?` so that the text stays ASCII.
 */
export function defangUrl(url: string): string {
  const schemeEnd = /^https?:\/\//i.exec(url)?.[0].length ?? 0
  const scheme = url.slice(0, schemeEnd).replace(/^h(?:tt|TT)p/i, 'hxxp')
  const rest = url.slice(schemeEnd)
  const hostEnd = rest.search(/[/?#]/)
  const host = (hostEnd < 0 ? rest : rest.slice(0, hostEnd)).replace(/\./g, '[.]')
  const tail = hostEnd < 0 ? '' : rest.slice(hostEnd)
  return (scheme + host + tail).replace(/[^\x20-\x7e]/g, '?')
}
