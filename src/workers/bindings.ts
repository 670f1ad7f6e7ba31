/**
 * The slice of the Workers runtime API that clickgate uses, declared here
 * (as `core/sql.ts` does for D1) so the whole source type-checks with one
 * configuration. The real objects satisfy these shapes structurally.
 */

import type { Job } from '../core/jobs.js'
import type { SqlDatabase } from '../core/sql.js'
import type { RateLimitBinding } from '../http/env.js'

/** A Queue producer binding. */
export interface QueueBinding<Body> {
  send(body: Body, options?: { delaySeconds?: number; contentType?: 'json' }): Promise<void>
}

/** One delivered message of a Queue batch. */
export interface QueueMessage<Body = unknown> {
  readonly id: string
  readonly body: Body
  readonly attempts: number
  ack(): void
  retry(options?: { delaySeconds?: number }): void
}

export interface MessageBatch<Body = unknown> {
  readonly queue: string
  readonly messages: readonly QueueMessage<Body>[]
}

/** Hono declares the same shape for `app.fetch`'s third argument. */
export type { ExecutionContext } from 'hono'

export interface ScheduledController {
  readonly cron: string
  readonly scheduledTime: number
}

/**
 * The Worker's bindings (wrangler.toml). `DB` is required; without `JOBS` the
 * jobs run inside the invocation that queued them; without `REWRITE_LIMITER`
 * the rewrite rate limit counts per isolate. Settings arrive as string vars
 * and secrets named like the Node environment variables (CLICKGATE_*).
 */
export interface WorkerEnv {
  DB?: SqlDatabase
  JOBS?: QueueBinding<Job>
  REWRITE_LIMITER?: RateLimitBinding
  [name: string]: unknown
}
