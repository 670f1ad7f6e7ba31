/**
 * Background work, the same on every runtime. A job is a small JSON message
 * (`kind` picks the handler, `payload` is the handler's own data). Producers
 * put jobs on a `JobQueue`; a consumer hands each one to `runJob`, which looks
 * the handler up in a `JobRegistry`. On Workers the queue is a Cloudflare
 * Queue and the consumer is the Worker's `queue()` handler; without a queue
 * binding, or on Node, `InlineJobQueue` runs jobs in-process. Other features
 * (sandbox scans) register their own kinds.
 */

import { ClickgateError } from './errors.js'
import type { Logger } from './log.js'
import type { Store } from './store.js'

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

export interface Job {
  kind: string
  payload: JsonValue
}

export interface JobQueue {
  /** Queues one job; `delaySeconds` postpones it (Cloudflare Queues allow up to 12 hours). */
  enqueue(job: Job, options?: { delaySeconds?: number }): Promise<void>
}

/** What a handler may use. `queue` lets a job continue itself in a later run. */
export interface JobContext {
  store: Store
  queue: JobQueue
  logger: Logger
  now: () => number
  /** 1 on the first delivery, higher on retries. */
  attempt: number
}

/**
 * Does the job's work. Throw `ClickgateError('bad_request')` for a payload
 * that can never succeed (it is dropped and logged); any other error means
 * "try again later".
 */
export type JobHandler = (payload: JsonValue, ctx: JobContext) => Promise<void>

/** Longest kind name: kinds are short identifiers, and they end up in logs. */
const MAX_KIND_LENGTH = 64

export class JobRegistry {
  private readonly handlers = new Map<string, JobHandler>()

  register(kind: string, handler: JobHandler): this {
    if (!/^[a-z][a-z0-9_]*$/.test(kind) || kind.length > MAX_KIND_LENGTH) {
      throw new TypeError(`job kind "${kind}" must be lower-case letters, digits and _`)
    }
    if (this.handlers.has(kind)) throw new TypeError(`job kind "${kind}" is already registered`)
    this.handlers.set(kind, handler)
    return this
  }

  get(kind: string): JobHandler | undefined {
    return this.handlers.get(kind)
  }

  get kinds(): string[] {
    return [...this.handlers.keys()]
  }
}

/** A message body as a job, or null when it does not have the job shape. */
export function parseJob(body: unknown): Job | null {
  if (typeof body !== 'object' || body === null || !('kind' in body) || !('payload' in body)) {
    return null
  }
  const { kind, payload } = body
  if (typeof kind !== 'string' || kind.length === 0 || kind.length > MAX_KIND_LENGTH) return null
  return isJson(payload) ? { kind, payload } : null
}

function isJson(value: unknown): value is JsonValue {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return true
  if (Array.isArray(value)) return value.every(isJson)
  return typeof value === 'object' && value !== null && Object.values(value).every(isJson)
}

/**
 * `done`: finished. `rejected`: can never succeed (bad payload): drop it.
 * `unknown_kind`: no handler here, perhaps only in a newer deployment: retry.
 * `failed`: a transient error: retry.
 */
export type JobOutcome = 'done' | 'rejected' | 'unknown_kind' | 'failed'

export async function runJob(
  registry: JobRegistry,
  job: Job,
  ctx: JobContext,
): Promise<JobOutcome> {
  const handler = registry.get(job.kind)
  if (!handler) {
    ctx.logger('error', 'job.unknown_kind', { kind: job.kind, attempt: ctx.attempt })
    return 'unknown_kind'
  }

  try {
    await handler(job.payload, ctx)
    ctx.logger('info', 'job.done', { kind: job.kind, attempt: ctx.attempt })
    return 'done'
  } catch (err) {
    const rejected = err instanceof ClickgateError && err.code === 'bad_request'
    ctx.logger('error', rejected ? 'job.rejected' : 'job.failed', {
      kind: job.kind,
      attempt: ctx.attempt,
      error: err instanceof Error ? err.message : 'unknown',
    })
    return rejected ? 'rejected' : 'failed'
  }
}

/** Runs each job in-process, one at a time, after the current task. For Node and for tests. */
export class InlineJobQueue implements JobQueue {
  private tail: Promise<void> = Promise.resolve()

  constructor(
    private readonly registry: JobRegistry,
    private readonly context: Omit<JobContext, 'queue' | 'attempt'>,
  ) {}

  async enqueue(job: Job): Promise<void> {
    // Delays are not honoured in-process: the work is due now or never.
    this.tail = this.tail.then(async () => {
      await runJob(this.registry, job, { ...this.context, queue: this, attempt: 1 })
    })
  }

  /** Resolves when every queued job has run. */
  async idle(): Promise<void> {
    let seen: Promise<void> | null = null
    while (seen !== this.tail) {
      seen = this.tail
      await seen
    }
  }
}
