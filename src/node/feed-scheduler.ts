/**
 * Keeps the reputation data fresh inside the Node server: every tick it
 * picks up data another process changed (`clickgate feeds sync` from cron),
 * and, unless CLICKGATE_FEEDS_SCHEDULE=off, syncs each provider that is due.
 * Timers are unref'd so they never keep the process alive, and ticks never
 * overlap: a slow download simply delays the next one.
 */

import type { Logger } from '../core/log.js'
import { ProviderError } from '../core/feeds/fetch.js'
import type { ProviderSet, SyncSummary } from '../core/providers/provider-set.js'

/** How often due feeds are looked for; each feed's own refresh period decides when it runs. */
export const FEED_TICK_MS = 60_000

export interface FeedSchedulerOptions {
  logger: Logger
  now: () => number
  /** Sync due providers (CLICKGATE_FEEDS_SCHEDULE); off, only reloads what others synced. */
  sync: boolean
  tickMs?: number
  /** How one provider is synced; the server runs syncs in a worker thread (feed-sync.ts). */
  syncOne?: (name: string) => Promise<SyncSummary>
}

export interface FeedScheduler {
  /** One round now; resolves when it is done (or at once when a round is running). */
  tick(): Promise<void>
  stop(): void
}

export function startFeedScheduler(
  providers: ProviderSet,
  options: FeedSchedulerOptions,
): FeedScheduler {
  let running: Promise<void> | null = null
  let stopped = false

  const tick = (): Promise<void> => {
    if (stopped) return Promise.resolve()
    running ??= round(providers, options).finally(() => {
      running = null
    })
    return running
  }

  const loading = providers.load().catch((err: unknown) => {
    options.logger('warn', 'feeds.load_failed', { error: errorCode(err) })
  })
  const first = setTimeout(() => void loading.then(tick), 0)
  const timer = setInterval(() => void tick(), options.tickMs ?? FEED_TICK_MS)
  first.unref()
  timer.unref()

  return {
    tick: () => loading.then(tick),
    stop() {
      stopped = true
      clearTimeout(first)
      clearInterval(timer)
    },
  }
}

async function round(providers: ProviderSet, options: FeedSchedulerOptions): Promise<void> {
  try {
    await providers.refresh()
    if (!options.sync) return

    for (const name of await providers.due(options.now())) {
      const started = Date.now()
      try {
        const summary = await (options.syncOne ?? ((n: string) => providers.sync(n)))(name)
        options.logger('info', 'feed.synced', { ...summary, durationMs: Date.now() - started })
      } catch (err) {
        options.logger('warn', 'feed.sync_failed', { feed: name, error: errorCode(err) })
      }
    }
  } catch (err) {
    options.logger('error', 'feeds.round_failed', { error: errorCode(err) })
  }
}

/** A stable code for logs: never the error text, which may hold an endpoint with a key. */
function errorCode(err: unknown): string {
  return err instanceof ProviderError ? err.reason : 'internal'
}
