/**
 * `clickgate feeds sync [NAME]` and `clickgate feeds status`. A sync shows a
 * progress bar on standard error when it is a terminal, and prints one JSON
 * summary line per provider on standard output either way.
 */

import { Presets, SingleBar } from 'cli-progress'

import { ProviderError } from '../core/feeds/fetch.js'
import type { SyncProgress } from '../core/feeds/sync.js'
import type { ProviderSet } from '../core/providers/provider-set.js'
import { syncInWorker } from '../node/feed-sync.js'
import { openRuntime } from '../node/runtime.js'
import { UsageError, parse, settings } from './shared.js'

/** Exit code when a provider could not be synced (bad usage is 1, unreadable input 2). */
export const EXIT_PROVIDER = 3

export async function feedsCommand(args: string[]): Promise<void> {
  const { positionals } = parse(args)
  const [sub, ...rest] = positionals
  if (sub !== 'sync' && sub !== 'status') throw new UsageError('feeds takes sync or status', true)
  if (rest.length > 1) throw new UsageError(`feeds ${sub} takes at most one NAME`, true)

  const current = settings()
  const { services, db } = openRuntime(current)
  try {
    if (sub === 'status') {
      const status = await services.providers.status(services.now())
      process.stdout.write(JSON.stringify({ feeds: status }, null, 2) + '\n')
      return
    }
    await syncAll(services.providers, rest[0], current.dbPath)
  } finally {
    db.close()
  }
}

async function syncAll(
  providers: ProviderSet,
  only: string | undefined,
  dbPath: string,
): Promise<void> {
  const names = only === undefined ? providers.syncable : [only]
  if (names.length === 0) {
    throw new UsageError('no feed is enabled: list feeds in CLICKGATE_PROVIDERS')
  }
  for (const name of names) {
    if (!providers.syncable.includes(name)) {
      throw new UsageError(
        `"${name}" is not an enabled feed (enabled: ${providers.syncable.join(', ') || 'none'})`,
      )
    }
  }

  let failed = false
  for (const name of names) failed = !(await syncOne(name, dbPath)) || failed
  if (failed) process.exitCode = EXIT_PROVIDER
}

async function syncOne(name: string, dbPath: string): Promise<boolean> {
  const started = Date.now()
  const bar = progressBar(name)
  try {
    const { summary } = await syncInWorker({ dbPath, env: { ...process.env }, name }, bar.update)
    bar.stop()
    const seconds = Math.round((Date.now() - started) / 100) / 10
    process.stdout.write(JSON.stringify({ ...summary, seconds }) + '\n')
    return true
  } catch (err) {
    bar.stop()
    // The code, never the message's endpoint: a URL may hold an application key.
    const reason = err instanceof ProviderError ? err.reason : 'internal'
    const message = err instanceof ProviderError ? err.message : 'unexpected error'
    process.stderr.write(`clickgate: ${name}: sync failed (${reason}): ${message}\n`)
    return false
  }
}

/** A bar over the download's bytes when its size is known; a running count otherwise. */
function progressBar(name: string) {
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: `${name} [{bar}] {percentage}% | {mb} MB | {entries} entries`,
      hideCursor: true,
      clearOnComplete: false,
    },
    Presets.shades_classic,
  )
  let started = false

  return {
    update(progress: SyncProgress) {
      const total = progress.totalBytes ?? Math.max(progress.receivedBytes, 1)
      const payload = {
        mb: (progress.receivedBytes / 1_048_576).toFixed(1),
        entries: progress.entries.toLocaleString('en'),
      }
      if (!started) {
        bar.start(total, progress.receivedBytes, payload)
        started = true
      }
      bar.setTotal(total)
      bar.update(progress.receivedBytes, payload)
    },
    stop() {
      if (started) bar.stop()
    },
  }
}
