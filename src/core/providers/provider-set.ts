/**
 * All configured reputation providers as one object: their click-time
 * signals (each under its time budget), their syncs, and their status for
 * /healthz. A provider that is not enabled has no signal and gives no
 * finding.
 */

import { feedDefinitions } from '../feeds/definitions.js'
import type { FeedStore } from '../feeds/feed-store.js'
import { type EndpointPolicy, isLoopbackHost } from '../feeds/fetch.js'
import { type FeedStatus, LocalFeeds } from '../feeds/local-feeds.js'
import type { SyncProgress } from '../feeds/sync.js'
import { withBudget } from '../verdict/budget.js'
import type { Signal } from '../verdict/types.js'
import { PROVIDERS, type ProviderName, isLocalFeed } from './catalogue.js'
import { type ProvidersConfig, USER_AGENT } from './config.js'
import { safeBrowsingLookupSignal, webRiskSignal } from './lookups.js'
import { SB_UPDATE, SafeBrowsingUpdate } from './sb-update.js'
import type { ThreatListStore } from './threat-list-store.js'

export interface ProviderSetDeps {
  feeds: FeedStore
  threatLists: ThreatListStore
  now: () => number
  /** Keep in-memory feed indexes (default). Off, each lookup is one SQL query. */
  memoryIndex?: boolean
}

export interface LookupStatus {
  name: string
  label: string
  kind: 'lookup'
}

export type ProviderStatus = FeedStatus | LookupStatus

export interface SyncSummary {
  name: string
  entries: number
  added?: number
  removed?: number
  skipped?: number
}

export class ProviderSet {
  readonly signals: Signal[]
  readonly feeds: LocalFeeds
  readonly safeBrowsingUpdate: SafeBrowsingUpdate | null

  constructor(
    readonly config: ProvidersConfig,
    deps: ProviderSetDeps,
  ) {
    const policyFor = (url: string): EndpointPolicy => ({
      allowInsecure: !config.production && isLoopbackHost(new URL(url).hostname),
      userAgent: USER_AGENT,
    })
    const sb = config.safeBrowsing

    this.feeds = new LocalFeeds(feedDefinitions(config), deps.feeds, {
      onFailure: config.onFailure,
      memoryIndex: deps.memoryIndex ?? true,
      policyFor,
      now: deps.now,
    })
    this.safeBrowsingUpdate =
      config.enabled.includes(SB_UPDATE) && sb.key
        ? new SafeBrowsingUpdate({
            key: sb.key,
            url: sb.url,
            threatTypes: sb.threatTypes,
            onFailure: config.onFailure,
            policy: policyFor(sb.url),
            lists: deps.threatLists,
            feeds: deps.feeds,
            now: deps.now,
          })
        : null
    this.signals = config.enabled.flatMap((name) => this.signalFor(name, policyFor))
  }

  /** Providers with local data, which `sync` accepts, in order. */
  get syncable(): string[] {
    return this.config.enabled.filter((name) => isLocalFeed(name) || name === SB_UPDATE)
  }

  async sync(name: string, onProgress?: (p: SyncProgress) => void): Promise<SyncSummary> {
    if (name === SB_UPDATE && this.safeBrowsingUpdate) {
      const { prefixes } = await this.safeBrowsingUpdate.sync()
      return { name, entries: prefixes }
    }
    const { entries, added, removed, skipped } = await this.feeds.sync(name, onProgress)
    return { name, entries, added, removed, skipped }
  }

  /** Loads what is stored into memory; the Node server calls it at start-up. */
  async load(): Promise<void> {
    await this.feeds.loadIndexes()
    await this.safeBrowsingUpdate?.load()
  }

  /** Picks up data that another process (`clickgate feeds sync`) changed. */
  async refresh(): Promise<void> {
    await this.feeds.reloadChanged()
  }

  /** The syncable providers due for a refresh at `now`. */
  async due(now: number): Promise<string[]> {
    const due: string[] = []
    for (const name of this.syncable) {
      const isDue =
        name === SB_UPDATE
          ? await this.safeBrowsingUpdate?.isDue(now)
          : await this.feeds.isDue(name, now)
      if (isDue) due.push(name)
    }
    return due
  }

  async status(now: number): Promise<ProviderStatus[]> {
    const feeds = await this.feeds.status(now)
    const out: ProviderStatus[] = []
    for (const name of this.config.enabled) {
      const feed = feeds.find((status) => status.name === name)
      if (feed) out.push(feed)
      else if (name === SB_UPDATE && this.safeBrowsingUpdate) {
        out.push(await this.safeBrowsingUpdate.status(now))
      } else out.push({ name, label: PROVIDERS[name].label, kind: 'lookup' })
    }
    return out
  }

  private signalFor(name: ProviderName, policyFor: (url: string) => EndpointPolicy): Signal[] {
    const budget = { budgetMs: this.config.budgetMs, onFailure: this.config.onFailure }
    const label = PROVIDERS[name].label
    const signal = this.rawSignal(name, policyFor)
    return signal ? [withBudget(signal, { ...budget, label })] : []
  }

  private rawSignal(name: ProviderName, policyFor: (url: string) => EndpointPolicy) {
    const { safeBrowsing, webRisk } = this.config
    if (isLocalFeed(name)) return this.feeds.signals().find((signal) => signal.name === name)
    if (name === SB_UPDATE) return this.safeBrowsingUpdate?.signal()
    if (name === 'safebrowsing' && safeBrowsing.key) {
      return safeBrowsingLookupSignal({
        ...safeBrowsing,
        key: safeBrowsing.key,
        policy: policyFor(safeBrowsing.url),
      })
    }
    if (name === 'webrisk' && webRisk.key) {
      return webRiskSignal({ ...webRisk, key: webRisk.key, policy: policyFor(webRisk.url) })
    }
    return undefined
  }
}
