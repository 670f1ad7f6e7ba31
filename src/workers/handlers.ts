/**
 * The Worker's three entry points. A configuration problem (a missing
 * secret, a bad variable, no D1 binding) never crashes the isolate in a
 * loop: `fetch` answers 503 saying what is missing, and logs it once.
 */

import { ClickgateError } from '../core/errors.js'
import { InlineJobQueue } from '../core/jobs.js'
import { runScheduled } from '../core/maintenance.js'
import type { ExecutionContext, MessageBatch, ScheduledController, WorkerEnv } from './bindings.js'
import { consumeBatch } from './queue.js'
import { consoleLogger, workerRuntime } from './runtime.js'

/** Configuration problems already logged by this isolate, so a broken deployment logs once. */
const reported = new Set<string>()

export async function handleFetch(
  request: Request,
  env: WorkerEnv,
  ctx: ExecutionContext,
): Promise<Response> {
  let runtime
  try {
    runtime = workerRuntime(env)
  } catch (err) {
    if (err instanceof TypeError) return notConfigured(request, err)
    throw err
  }
  return runtime.app.fetch(request, env, ctx)
}

export async function handleQueue(batch: MessageBatch, env: WorkerEnv): Promise<void> {
  // A configuration error throws: the whole batch is retried once the deployment is fixed.
  await consumeBatch(batch, workerRuntime(env))
}

export async function handleScheduled(
  controller: ScheduledController,
  env: WorkerEnv,
): Promise<void> {
  const runtime = workerRuntime(env)
  runtime.logger('info', 'scheduled.started', { cron: controller.cron })

  await runScheduled({
    store: runtime.services.store,
    syncFeeds: runtime.services.syncFeeds,
    clickRetentionDays: runtime.services.config.clickRetentionDays,
    queue: runtime.queue,
    logger: runtime.logger,
    now: runtime.services.now,
  })
  // Without a queue binding the jobs run here, so the invocation waits for them.
  if (runtime.queue instanceof InlineJobQueue) await runtime.queue.idle()
}

function notConfigured(request: Request, err: TypeError): Response {
  if (!reported.has(err.message)) {
    reported.add(err.message)
    consoleLogger('error', 'config.invalid', { error: err.message })
  }

  const error = new ClickgateError('unavailable', `clickgate is not configured: ${err.message}`)
  const headers = { 'Retry-After': '60', 'Cache-Control': 'no-store' }
  if (new URL(request.url).pathname.startsWith('/r/')) {
    // Someone clicked a link: no configuration details for them, and no way through unchecked.
    return new Response(NOT_CONFIGURED_PAGE, {
      status: error.status,
      headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' },
    })
  }
  return Response.json(
    { error: { code: error.code, message: error.message } },
    { status: error.status, headers },
  )
}

const NOT_CONFIGURED_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Link check unavailable · clickgate</title>' +
  '<meta name="robots" content="noindex, nofollow"></head><body><main><h1>This link cannot be checked right now</h1>' +
  '<p>The link checking service is not available. Try again in a few minutes, or contact your IT team.</p>' +
  '</main></body></html>'
