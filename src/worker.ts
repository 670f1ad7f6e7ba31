/**
 * The Cloudflare Workers entry: the same Hono app as on Node, over D1, with
 * a Queue consumer for background jobs and a Cron Trigger for upkeep. See
 * wrangler.toml for the bindings and README "Deploying to Workers".
 */

import type {
  ExecutionContext,
  MessageBatch,
  ScheduledController,
  WorkerEnv,
} from './workers/bindings.js'
import { handleFetch, handleQueue, handleScheduled } from './workers/handlers.js'

export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    return handleFetch(request, env, ctx)
  },
  queue(batch: MessageBatch, env: WorkerEnv): Promise<void> {
    return handleQueue(batch, env)
  },
  scheduled(controller: ScheduledController, env: WorkerEnv): Promise<void> {
    return handleScheduled(controller, env)
  },
}
