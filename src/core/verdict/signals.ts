/**
 * The signals available on every runtime. Feeds, heuristics and sandbox
 * results implement the same `Signal` interface and join the list.
 */

import type { Brand } from '../brands.js'
import { observeUrl } from '../heuristics/index.js'
import { linkTextMismatch } from '../heuristics/link-text.js'
import type { Observation } from '../heuristics/types.js'
import type { MessageContext, MessageFinding, Rule, Store } from '../store.js'
import { parseWebUrl, ruleQueryFor, schemeOf } from '../url.js'
import type { TtlCache } from './cache.js'
import type { ClickSubject, Finding, Signal } from './types.js'

/**
 * Admin allow and block rules, checked on every click so a change applies at
 * once: matches may be cached, but only under the rules version read on
 * this very click. A block rule matches any layer of the link (the wrapper or what
 * it wraps); an allow rule only the final destination, so allowing a
 * wrapper's host never waves through what is inside it.
 */
export function rulesSignal(store: Store, options: RulesSignalOptions = {}): Signal {
  /** The matches cached under this version, still in force; undefined when they must be read. */
  function cachedMatches(url: string, version: number, now: number): Rule[] | undefined {
    const hit = options.cache?.get(url)
    if (!hit || hit.version !== version) return undefined
    // Matches are cached with their expiry; one that has lapsed since drops out here.
    return hit.rules.filter((rule) => rule.expiresAt === null || rule.expiresAt > now)
  }

  async function readMatches(url: string, version: number, now: number): Promise<Rule[]> {
    const rules = await store.matchRules(ruleQueryFor(url), now)
    options.cache?.set(url, { version, rules })
    return rules
  }

  /** Each layer's rules in force, as findings (a block on any layer, an allow on the last). */
  function findingsOf(layers: readonly string[], perLayer: Rule[][], now: number): Finding[] {
    const innermost = layers[layers.length - 1]
    return perLayer.flatMap((rules, index) =>
      rules
        .filter((rule) => rule.action === 'block' || layers[index] === innermost)
        .map((rule) => ruleFinding(rule, now, index === 0 ? undefined : layers[index])),
    )
  }

  return {
    name: 'rules',
    scope: 'click',
    async evaluate(subject: ClickSubject): Promise<Finding[]> {
      const layers = layerUrls(subject)
      // One tiny read per click: any rule change anywhere makes every cached match stale.
      const version = options.cache ? await store.rulesVersion() : 0
      const cached = layers.map((url) => cachedMatches(url, version, subject.now))
      const perLayer = cached.every((rules) => rules !== undefined)
        ? cached
        : await Promise.all(
            layers.map((url, i) => cached[i] ?? readMatches(url, version, subject.now)),
          )
      return findingsOf(layers, perLayer, subject.now)
    },
    evaluateNow(subject: ClickSubject): Finding[] | undefined {
      const version = options.cache ? store.rulesVersionNow?.() : undefined
      if (version === undefined) return undefined

      const layers = layerUrls(subject)
      const perLayer: Rule[][] = []
      for (const url of layers) {
        const rules = cachedMatches(url, version, subject.now)
        if (rules === undefined) return undefined
        perLayer.push(rules)
      }
      return findingsOf(layers, perLayer, subject.now)
    },
  }
}

function layerUrls(subject: ClickSubject): string[] {
  return subject.layers?.map((l) => l.url) ?? [subject.target]
}

export interface RulesSignalOptions {
  /**
   * Rule matches per URL, stamped with the rules version they were read at.
   * Without it, rules are matched in the database on every click.
   */
  cache?: TtlCache<{ version: number; rules: Rule[] }>
}

function ruleFinding(rule: Rule, now: number, layer: string | undefined): Finding {
  return {
    verdict: rule.action,
    reason: rule.action === 'block' ? 'admin_block' : 'admin_allow',
    source: 'rules',
    checkedAt: now,
    detail: `${rule.type} rule ${rule.value}` + (rule.note ? ` (${rule.note})` : ''),
    rule,
    ...(layer ? { layer } : {}),
  }
}

export interface MessageSignalOptions {
  brands: readonly Brand[]
  /** Message context by message id; messages change rarely, and never their link texts. */
  cache?: TtlCache<MessageContext>
}

/**
 * What the message told us when it was rewritten: findings about the whole
 * message (every link is raised to at least their verdict), and the text
 * each link showed, checked against where the link really goes.
 */
export function messageSignal(
  store: Store,
  options: MessageSignalOptions = { brands: [] },
): Signal {
  // Worked out once per loaded context: the context and a link's texts never change, and
  // neither do a link's layers (they follow from its stored target). Held with the context,
  // so they go when it leaves the cache.
  const derived = new WeakMap<MessageContext, DerivedContext>()

  async function context(id: number): Promise<DerivedContext> {
    const key = String(id)
    const hit = options.cache?.get(key)
    const loaded = hit ?? (await store.getMessageContext(id))
    if (!hit) options.cache?.set(key, loaded)
    return derivedOf(loaded)
  }

  function derivedOf(loaded: MessageContext): DerivedContext {
    let entry = derived.get(loaded)
    if (!entry) {
      entry = { context: loaded, messageFindings: prefixed(loaded.findings), textChecks: new Map() }
      derived.set(loaded, entry)
    }
    return entry
  }

  function findingsOf(entry: DerivedContext, subject: ClickSubject): Finding[] {
    const texts = textFindings(entry, subject)
    if (texts.length === 0) return entry.messageFindings
    return [...entry.messageFindings, ...texts]
  }

  function textFindings(entry: DerivedContext, subject: ClickSubject): Finding[] {
    const texts = entry.context.linkTexts[String(subject.linkId)] ?? []
    if (texts.length === 0) return []

    const key = `${subject.linkId} ${subject.target}`
    let observed = entry.textChecks.get(key)
    if (!observed) {
      const layers = subject.layers?.map((l) => l.url) ?? [subject.target]
      observed = linkTextMismatch(texts, layers, options.brands)
      entry.textChecks.set(key, observed)
    }
    return observed.map((o) => ({ ...o, source: 'heuristics', checkedAt: subject.now }))
  }

  return {
    name: 'message',
    scope: 'click',
    async evaluate(subject: ClickSubject): Promise<Finding[]> {
      if (subject.messageRef === null) return []
      return findingsOf(await context(subject.messageRef), subject)
    },
    evaluateNow(subject: ClickSubject): Finding[] | undefined {
      if (subject.messageRef === null) return []
      const hit = options.cache?.get(String(subject.messageRef))
      return hit ? findingsOf(derivedOf(hit), subject) : undefined
    },
  }
}

interface DerivedContext {
  context: MessageContext
  /** The message's findings as this signal reports them. */
  messageFindings: Finding[]
  /** Link-text observations by link id and target. */
  textChecks: Map<string, Observation[]>
}

function prefixed(findings: readonly MessageFinding[]): Finding[] {
  return findings.map((f) => ({ ...f, source: `message:${f.source}` }))
}

/** The URL heuristics (core/heuristics), on each layer of the link. */
export function heuristicsSignal(brands: readonly Brand[]): Signal {
  return {
    name: 'heuristics',
    scope: 'url',
    async evaluate(subject: ClickSubject): Promise<Finding[]> {
      return observeUrl(subject.target, { brands }).map((o) => ({
        ...o,
        source: 'heuristics',
        checkedAt: subject.now,
      }))
    },
  }
}

/** A destination that is not a parseable http(s) URL cannot be opened safely without a look. */
export function syntaxSignal(): Signal {
  return {
    name: 'syntax',
    scope: 'url',
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
