/**
 * Runs the signals for one click and decides. The link is unwrapped first;
 * every `url` signal sees every layer, and those findings are cached per
 * URL. `click` signals (admin rules, the message) run on every click, so a
 * rule change or a message finding is never hidden by the cache.
 */

import { getDomain } from 'tldts'

import { type Layer, unwrapLayers } from '../unwrap.js'
import type { TtlCache } from './cache.js'
import { type PolicyOptions, decide } from './policy.js'
import type { ClickSubject, Decision, Finding, Signal } from './types.js'

/** What the cache holds for one URL. */
export interface UrlVerdict {
  layers: Layer[]
  findings: Finding[]
}

export interface VerdictEngineOptions {
  signals: readonly Signal[]
  cache: TtlCache<UrlVerdict>
  policy: PolicyOptions
  unwrapDepth?: number
  /** False turns the URL cache off (CLICKGATE_VERDICT_TTL_SECONDS=0). Default true. */
  caching?: boolean
}

export interface Judgement {
  decision: Decision
  layers: Layer[]
  /** True when the URL findings came from the cache. */
  cached: boolean
}

export interface VerdictEngine {
  judge(subject: Omit<ClickSubject, 'layers'>): Promise<Judgement>
  /**
   * The same judgement when it can be made from memory alone: the URL's
   * verdict cached and every click signal able to answer at once (see
   * `Signal.evaluateNow`). Undefined otherwise; `judge` then does the work.
   * The usual repeated click needs no I/O, so it need not wait for any.
   */
  judgeNow(subject: Omit<ClickSubject, 'layers'>): Judgement | undefined
}

export function createVerdictEngine(options: VerdictEngineOptions): VerdictEngine {
  const urlSignals = options.signals.filter((s) => s.scope === 'url')
  const clickSignals = options.signals.filter((s) => s.scope !== 'url')

  const caching = options.caching !== false

  async function freshUrlVerdict(subject: Omit<ClickSubject, 'layers'>): Promise<UrlVerdict> {
    const layers = unwrapLayers(subject.target, options.unwrapDepth)
    const perLayer = await Promise.all(
      layers.map((layer, index) => runOnLayer(urlSignals, subject, layer, index)),
    )
    const verdict = {
      layers,
      findings: [...redirectFindings(layers, subject.now), ...perLayer.flat()],
    }

    // A pending answer, or a provider that failed this time, is worth asking again next click.
    if (caching && !verdict.findings.some(isTransient)) {
      options.cache.set(subject.target, verdict)
    }
    return verdict
  }

  async function judge(base: Omit<ClickSubject, 'layers'>): Promise<Judgement> {
    // Most clicks hit the cache: checked in place, without a promise of its own.
    const hit = caching ? options.cache.get(base.target) : undefined
    const verdict = hit ?? (await freshUrlVerdict(base))
    const subject = withLayers(base, verdict)
    const clickFindings = await Promise.all(clickSignals.map((s) => s.evaluate(subject)))

    const decision = decide(joined(clickFindings, verdict.findings), options.policy)
    return { decision, layers: verdict.layers, cached: hit !== undefined }
  }

  function judgeNow(base: Omit<ClickSubject, 'layers'>): Judgement | undefined {
    const verdict = caching ? options.cache.get(base.target) : undefined
    if (!verdict) return undefined

    const subject = withLayers(base, verdict)
    const clickFindings: Finding[][] = []
    for (const signal of clickSignals) {
      const findings = signal.evaluateNow?.(subject)
      if (findings === undefined) return undefined
      clickFindings.push(findings)
    }

    const decision = decide(joined(clickFindings, verdict.findings), options.policy)
    return { decision, layers: verdict.layers, cached: true }
  }

  return { judge, judgeNow }
}

function withLayers(base: Omit<ClickSubject, 'layers'>, verdict: UrlVerdict): ClickSubject {
  return {
    target: base.target,
    linkId: base.linkId,
    messageRef: base.messageRef,
    now: base.now,
    layers: verdict.layers,
  }
}

/** The click signals' findings, then the URL's; a new array, as `decide` keeps it. */
function joined(perSignal: readonly Finding[][], urlFindings: readonly Finding[]): Finding[] {
  const all: Finding[] = []
  for (const findings of perSignal) for (const finding of findings) all.push(finding)
  for (const finding of urlFindings) all.push(finding)
  return all
}

async function runOnLayer(
  signals: readonly Signal[],
  subject: Omit<ClickSubject, 'layers'>,
  layer: Layer,
  index: number,
): Promise<Finding[]> {
  const layerSubject = { ...subject, target: layer.url }
  const results = await Promise.all(signals.map((signal) => signal.evaluate(layerSubject)))

  const findings = results.flat()
  return index === 0 ? findings : findings.map((f) => ({ ...f, layer: layer.url }))
}

/**
 * Answers that say a check could not be completed this time (budget.ts's
 * failure reasons, the sandbox's pending): never cached, so a provider's
 * blip does not keep warning for the whole time-to-live.
 */
const TRANSIENT_REASONS = new Set([
  'provider_timeout',
  'provider_error',
  'provider_unavailable',
  'feed_stale',
  'feed_not_loaded',
])

function isTransient(finding: Finding): boolean {
  return finding.verdict === 'pending' || TRANSIENT_REASONS.has(finding.reason)
}

/**
 * A public redirector in the chain is a finding of its own: a sender has no
 * reason to route a link through someone else's click tracker except to
 * borrow its famous host. Security wrappers (Safe Links, Proofpoint) and
 * Google's and Outlook's own redirect pages are not: they are how mail
 * arrives at many organisations.
 */
function redirectFindings(layers: readonly Layer[], now: number): Finding[] {
  return layers.flatMap((layer, index) => {
    const outer = layers[index - 1]
    if (!outer || !isRedirectToElsewhere(layer, outer)) return []
    return [
      {
        verdict: 'warn',
        reason: 'open_redirect',
        source: 'unwrap',
        checkedAt: now,
        detail: redirectDetail(layer, outer),
        layer: layer.url,
      },
    ]
  })
}

/**
 * Says only what the address shows. A known redirector is documented to
 * send the reader on; an unknown site with a `url=` parameter is merely
 * given the next address, and whether it follows it is not known.
 */
function redirectDetail(layer: Layer, outer: Layer): string {
  const from = hostOf(outer.url)
  const to = hostOf(layer.url)
  if (layer.via === 'open_redirect') {
    return `the link goes through ${from}, a known redirector, to reach ${to}`
  }
  const name = parameterCarrying(outer.url, layer.url)
  const where = name === null ? 'in its link' : `in its ${name}= parameter`
  return `the link on ${from} gives another address, on ${to}, ${where}: sites use such a parameter to pass the reader on`
}

function parameterCarrying(outer: string, inner: string): string | null {
  try {
    for (const [name, value] of new URL(outer).searchParams) if (value === inner) return name
  } catch {
    // Layers are parsed before they are added; this is only for the wording.
  }
  return null
}

/**
 * A known open redirector, or any site's redirect parameter (`?returnurl=`)
 * that sends the visitor to another registrable domain: the link borrows
 * one site's name to deliver the visitor to another.
 */
function isRedirectToElsewhere(layer: Layer, outer: Layer): boolean {
  if (layer.via === 'open_redirect') return true
  if (layer.via !== 'redirect_param') return false

  const from = getDomain(hostOf(outer.url))
  const to = getDomain(hostOf(layer.url))
  return from !== null && to !== null && from !== to
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname
  } catch {
    // Layers are parsed before they are added; this is only for the wording.
    return url
  }
}
