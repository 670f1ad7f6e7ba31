/**
 * Builds clickgate for a Worker's bindings: D1 storage, console logs,
 * `waitUntil` for work after the response, CF-Connecting-IP for the client
 * address, and a Cloudflare Queue for background jobs. Built once per
 * isolate and reused, so key import and the app's routes are set up once.
 */

import type { Hono } from 'hono'

import { authStartupNotice } from '../core/auth/startup.js'
import { WORKERS_CAPABILITIES } from '../core/capabilities.js'
import { configFromEnv } from '../core/config.js'
import { InlineJobQueue, type JobQueue } from '../core/jobs.js'
import { type Logger, jsonLogger } from '../core/log.js'
import { type Services, createServices } from '../core/services.js'
import { SqlStore } from '../core/sql-store.js'
import { createApp } from '../http/app.js'
import type { AppEnv, RuntimeHooks } from '../http/env.js'
import type { WorkerEnv } from './bindings.js'
import { CloudflareJobQueue } from './queue.js'
import { workerSandbox } from './sandbox.js'
import { JobScanQueue } from '../core/sandbox/queued.js'

export interface WorkerRuntime {
  services: Services
  app: Hono<AppEnv>
  queue: JobQueue
  logger: Logger
}

/** One JSON object per line on the console, which Workers Logs and `wrangler tail` collect. */
export const consoleLogger: Logger = (level, event, fields) => {
  const write = level === 'error' ? console.error : level === 'warn' ? console.warn : console.log
  jsonLogger(write)(level, event, fields)
}

const runtimes = new WeakMap<WorkerEnv, WorkerRuntime>()

/**
 * The runtime for these bindings. Throws a `TypeError` naming what is
 * missing or invalid; nothing is cached then, so a fixed secret takes effect
 * on the next request.
 */
export function workerRuntime(env: WorkerEnv, logger: Logger = consoleLogger): WorkerRuntime {
  const cached = runtimes.get(env)
  if (cached) return cached

  const runtime = buildRuntime(env, logger)
  runtimes.set(env, runtime)
  return runtime
}

function buildRuntime(env: WorkerEnv, logger: Logger): WorkerRuntime {
  const vars = stringVars(env)
  // Node falls back to http://localhost; a Worker has no origin of its own to fall back to.
  if (!vars.CLICKGATE_BASE_URL?.trim()) throw new TypeError('CLICKGATE_BASE_URL is not set')
  if (!env.DB) throw new TypeError('the D1 binding "DB" is missing')

  const config = configFromEnv(vars, { port: 8787 })
  const store = new SqlStore(env.DB)
  const sandbox = workerSandbox(config.sandbox)
  const scanning = sandbox && sandbox.scanners.length > 0 ? sandbox : null
  // The scan queue sends through the job queue, which (inline) needs the services' registry.
  let jobQueue: JobQueue | null = null
  const jobs = () => {
    if (!jobQueue) throw new TypeError('the job queue is used before it is built')
    return jobQueue
  }
  const services = createServices(config, store, {
    capabilities: WORKERS_CAPABILITIES,
    ...(scanning
      ? {
          scanQueue: new JobScanQueue(store.scans, jobs),
          scanJobs: { scanners: scanning.scanners, scanTimeoutMs: scanning.scanTimeoutMs },
        }
      : {}),
  })
  const queue = env.JOBS
    ? new CloudflareJobQueue(env.JOBS)
    : new InlineJobQueue(services.jobs, { store: services.store, logger, now: services.now })
  jobQueue = queue

  const hooks = { ...workerHooks(logger), rateLimitBinding: env.REWRITE_LIMITER, jobQueue: queue }
  const app = createApp({ ...services, ...hooks })

  // Once per isolate: which sender authentication runs here, and which settings cannot.
  const notice = authStartupNotice({
    config: config.auth,
    capabilities: services.capabilities,
    env: vars,
  })
  logger(notice.level, notice.event, notice.fields)
  if (sandbox) logger(sandbox.notice.level, sandbox.notice.event, sandbox.notice.fields)
  return { services, app, queue, logger }
}

export function workerHooks(logger: Logger): RuntimeHooks {
  return {
    logger,
    defer(c, task) {
      // The response goes out now; the runtime keeps the isolate alive until the task ends.
      c.executionCtx.waitUntil(
        task().catch((err: unknown) => {
          logger('error', 'deferred.failed', {
            error: err instanceof Error ? err.message : 'unknown',
          })
        }),
      )
    },
    // An isolate may be evicted at any time: each click is written within its own request.
    clickFlushThreshold: 1,
    clientIp(c) {
      // Set by Cloudflare's edge for every request; a client cannot forge it.
      return c.req.header('CF-Connecting-IP') ?? null
    },
  }
}

function stringVars(env: WorkerEnv): Record<string, string> {
  const entries = Object.entries(env).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  )
  return Object.fromEntries(entries)
}
