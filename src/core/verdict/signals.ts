/**
 * The signals available on every runtime. Feeds, heuristics and sandbox
 * results implement the same `Signal` interface and join the list.
 */

import type { Store } from '../store.js'
import { parseWebUrl, ruleQueryFor, schemeOf } from '../url.js'
import type { ClickSubject, Finding, Signal } from './types.js'

/** Admin allow and block rules, read fresh on every click so a change applies at once. */
export function rulesSignal(store: Store): Signal {
  return {
    name: 'rules',
    async evaluate(subject: ClickSubject): Promise<Finding[]> {
      const rules = await store.matchRules(ruleQueryFor(subject.target), subject.now)

      return rules.map((rule) => ({
        verdict: rule.action,
        reason: rule.action === 'block' ? 'admin_block' : 'admin_allow',
        source: 'rules',
        checkedAt: subject.now,
        detail: `${rule.type} rule ${rule.value}` + (rule.note ? ` (${rule.note})` : ''),
        rule,
      }))
    },
  }
}

/** Findings recorded with the link's message when it was rewritten. */
export function messageSignal(store: Store): Signal {
  return {
    name: 'message',
    async evaluate(subject: ClickSubject): Promise<Finding[]> {
      if (subject.messageRef === null) return []

      const findings = await store.getMessageFindings(subject.messageRef)
      return findings.map((finding) => ({ ...finding, source: `message:${finding.source}` }))
    },
  }
}

/** A destination that is not a parseable http(s) URL cannot be opened safely without a look. */
export function syntaxSignal(): Signal {
  return {
    name: 'syntax',
    async evaluate(subject: ClickSubject): Promise<Finding[]> {
      if (parseWebUrl(subject.target)) return []

      const scheme = schemeOf(subject.target)
      const notHttp = scheme !== null && scheme !== 'http' && scheme !== 'https'
      return [
        {
          verdict: 'warn',
          reason: notHttp ? 'not_http' : 'unparseable_url',
          source: 'syntax',
          checkedAt: subject.now,
          detail: notHttp
            ? `the destination uses the ${scheme}: scheme, not http or https`
            : 'the destination is not a valid web address',
        },
      ]
    },
  }
}

/** Runs every signal in order and gathers their findings. */
export async function gatherFindings(signals: readonly Signal[], subject: ClickSubject) {
  const results = await Promise.all(signals.map((signal) => signal.evaluate(subject)))
  return results.flat()
}
