/** `clickgate serve`: the Node HTTP server with retention pruning. */

import { serve } from '@hono/node-server'

import { authStartupNotice } from '../core/auth/startup.js'
import { jsonLogger, type Logger } from '../core/log.js'
import type { ScanReport } from '../core/sandbox/types.js'
import { createApp } from '../http/app.js'
import { startFeedScheduler } from './feed-scheduler.js'
import { syncInWorker } from './feed-sync.js'
import { flushClicks } from '../http/resolve.js'
import { nodeHooks, openRuntime, startSandbox } from './runtime.js'
import type { NodeSettings } from './settings.js'

/** How often old clicks are pruned. Retention is in days; a few checks a day are plenty. */
const PRUNE_INTERVAL_MS = 6 * 60 * 60 * 1000

/**
 * Log lines are gathered for one turn of the event loop and written in one
 * go: under load every click is a log line, and one write per line would
 * cost more than the click itself.
 */
let pendingLines: string[] = []

export function flushLogs(): void {
  if (pendingLines.length === 0) return
  const out = pendingLines.join('\n') + '\n'
  pendingLines = []
  process.stdout.write(out)
}

/** Queues lines (one or more, without a final newline) for the next write to stdout. */
export function writeLogLines(lines: string): void {
  if (pendingLines.push(lines) === 1) setImmediate(flushLogs)
}

export const stdoutLogger: Logger = jsonLogger(writeLogLines)

/**
 * `logger` takes the server's events; `writeLines` the `click` lines that the
 * click writer thread has already formatted as `jsonLogger` does.
 */
export function startServer(
  settings: NodeSettings,
  logger: Logger = stdoutLogger,
  writeLines: (lines: string) => void = writeLogLines,
) {
  const runtime = openRuntime(
    settings,
    {
      onError: (err, url) =>
        logger('error', 'scan.error', {
          host: url ? hostOf(url) : null,
          error: err instanceof Error ? err.message : 'unknown',
        }),
      onOutcome: (url, outcome) =>
        logger('info', 'scan.finished', {
          host: hostOf(url),
          outcome: outcome.kind,
          reasons: outcome.kind === 'skipped' ? [outcome.reason] : reasonsOf(outcome.reports),
        }),
    },
    { clickThread: true, writeClickLog: writeLines },
  )
  const deps = { ...runtime.services, ...nodeHooks(logger) }
  const app = createApp(deps)
  const flush = () =>
    flushClicks(deps).catch((err: unknown) => {
      logger('error', 'clicks.flush_failed', {
        error: err instanceof Error ? err.message : 'unknown',
        queued: deps.clicks.pending,
      })
      return 0
    })
  const flushTimer = setInterval(flush, settings.clickFlushMs)
  flushTimer.unref()
  startSandbox(runtime)
  if (runtime.sandbox) {
    logger('info', 'sandbox.started', {
      scanners: runtime.sandbox.scanners.map((scanner) => scanner.name),
      concurrency: settings.config.sandbox.concurrency,
      testAllowance: settings.sandboxTestAllowance !== null,
    })
  }

  if (settings.devData) {
    logger('info', 'dev.defaults', {
      dataDir: settings.devData.dir,
      secretsFile: settings.devData.secretsFile,
      db: settings.dbPath,
      note: 'development key ring and API tokens are in secretsFile',
    })
  }

  const notice = authStartupNotice({
    config: settings.config.auth,
    capabilities: runtime.services.capabilities,
    sealing: settings.mailAuth.seal !== null,
    signing: settings.mailAuth.sign !== null,
    env: process.env,
  })
  logger(notice.level, notice.event, notice.fields)
  if (settings.mailAuth.testZone) {
    logger('warn', 'auth.test_dns_zone', { note: 'DNS answers come from CLICKGATE_TEST_DNS_ZONE' })
  }

  const prune = () => pruneClicks(runtime.services, logger)
  void prune()
  const timer = setInterval(prune, PRUNE_INTERVAL_MS)
  timer.unref()

  const { providers, config, now } = runtime.services
  const feeds = startFeedScheduler(providers, {
    logger,
    now,
    sync: config.providers.schedule,
    syncOne: async (name) => {
      const { summary, index } = await syncInWorker({
        dbPath: settings.dbPath,
        env: { ...process.env },
        name,
      })
      if (index) providers.feeds.adoptIndex(name, index.version, index.values)
      return summary
    },
  })

  const server = serve(
    { fetch: app.fetch, port: settings.port, hostname: settings.host },
    (info) => {
      logger('info', 'server.started', {
        address: info.address,
        port: info.port,
        baseUrl: settings.config.baseUrl.href,
        keyIds: settings.config.ring.ids,
      })
    },
  )

  // A busy port or a refused bind is a configuration problem: say which, and stop.
  server.once('error', (err: NodeJS.ErrnoException) => {
    logger('error', 'server.failed', {
      code: err.code ?? null,
      host: settings.host,
      port: settings.port,
    })
    process.stderr.write(
      `clickgate: cannot listen on ${settings.host}:${settings.port} (${err.code ?? err.message})\n`,
    )
    process.exit(1)
  })

  // A clean stop answers the requests in flight, stops the sandbox, then writes every queued click.
  const stop = () => {
    clearInterval(timer)
    feeds.stop()
    clearInterval(flushTimer)
    server.close(() => {
      void (runtime.sandbox?.close() ?? Promise.resolve()).finally(async () => {
        const written = await flush()
        await runtime.clickWriter?.close()
        runtime.db.close()
        logger('info', 'server.stopped', {
          clicksWritten: written,
          clicksDropped: deps.clicks.dropped,
        })
        // Writes to pipes and files are synchronous on Linux, so nothing is lost to the exit.
        flushLogs()
        process.exit(0)
      })
    })
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  return server
}

async function pruneClicks(services: ReturnType<typeof openRuntime>['services'], logger: Logger) {
  const days = services.config.clickRetentionDays
  const removed = await services.store.pruneClicks(services.now() - days * 86_400_000)
  if (removed > 0) logger('info', 'clicks.pruned', { removed, retentionDays: days })
}

/** Logs name the host only: a full URL can carry personal data in its query. */
function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname
  } catch {
    // Not a URL: nothing to name.
    return null
  }
}

function reasonsOf(reports: readonly ScanReport[]): string[] {
  return reports.flatMap((report) => report.findings.map((f) => `${report.scanner}:${f.reason}`))
}
