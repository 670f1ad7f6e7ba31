/**
 * The texts of each target's anchors that are addresses: all the click-time
 * link-text check needs (see heuristics/link-text.ts), kept with the message.
 */

import { showsDomain } from '../heuristics/link-text.js'
import type { Plan } from './plan.js'

/**
 * Most texts a message keeps per link. One target can appear under a few
 * texts (a button and its plain twin); a hostile message repeating it
 * thousands of times must not bloat the message row.
 */
export const MAX_TEXTS_PER_LINK = 4

export function linkTextsOf(plans: readonly Plan[]): Map<string, string[]> {
  const texts = new Map<string, string[]>()
  for (const edit of plans.flatMap((plan) => plan.edits)) {
    if (!edit.shownText || !showsDomain(edit.shownText)) continue

    const list = texts.get(edit.target) ?? []
    if (list.length < MAX_TEXTS_PER_LINK && !list.includes(edit.shownText)) {
      list.push(edit.shownText)
    }
    texts.set(edit.target, list)
  }
  return texts
}
