import type { Context } from 'hono'

import type { JobQueue } from '../core/jobs.js'
import type { Logger } from '../core/log.js'
import type { Services } from '../core/services.js'

/** Which API token a request presented. */
export type Principal = 'admin' | 'rewrite'

export type AppEnv = { Variables: { principal: Principal } }

/** What a runtime adapter supplies besides the services. */
export interface RuntimeHooks {
  logger: Logger
  /** Runs work after the response is sent (setImmediate on Node, waitUntil on Workers). */
  defer: (c: Context<AppEnv>, task: () => Promise<void>) => void
  /** The client's IP address as this runtime knows it, or null. */
  clientIp: (c: Context<AppEnv>) => string | null
  /**
   * Queued clicks at which a request also flushes them (through `defer`).
   * 1 writes after every click (Workers, tests); Node batches and also
   * flushes on a timer and at shutdown.
   */
  clickFlushThreshold: number
  /**
   * A Workers Rate Limiting binding for the rewrite API. When set it replaces
   * the in-memory counter, which on Workers only counts within one isolate.
   */
  rateLimitBinding?: RateLimitBinding
  /**
   * Where routes put background jobs (kinds registered in `services.jobs`):
   * the Cloudflare Queue on Workers. Unset where the runtime runs no jobs
   * from requests.
   */
  jobQueue?: JobQueue
}

/** The one method of Cloudflare's Rate Limiting binding that we use. */
export interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>
}

export interface AppDeps extends Services, RuntimeHooks {}
