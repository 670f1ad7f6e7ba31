/**
 * Background jobs on Cloudflare Queues. The producer puts `Job` messages on
 * the `JOBS` queue; the Worker's `queue()` handler runs each message through
 * the job registry and acknowledges or retries it.
 */

import { type Job, type JobQueue, parseJob, runJob } from '../core/jobs.js'
import type { MessageBatch, QueueBinding } from './bindings.js'
import type { WorkerRuntime } from './runtime.js'

/** First retry after this many seconds, doubling per attempt. */
const RETRY_BASE_SECONDS = 30

/** Longest wait between retries, so a failing job is retried at least hourly until max_retries. */
const RETRY_MAX_SECONDS = 3_600

export class CloudflareJobQueue implements JobQueue {
  constructor(private readonly binding: QueueBinding<Job>) {}

  async enqueue(job: Job, options: { delaySeconds?: number } = {}): Promise<void> {
    await this.binding.send(job, { contentType: 'json', ...options })
  }
}

export function retryDelaySeconds(attempts: number): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 16)
  return Math.min(RETRY_BASE_SECONDS * 2 ** exponent, RETRY_MAX_SECONDS)
}

/**
 * Runs a batch one message at a time (each job may write to D1, which has a
 * single writer). A finished or hopeless job is acknowledged; a failed one,
 * or one whose kind this deployment does not know (a newer deployment may),
 * is retried with backoff until the queue's max_retries sends it to the
 * dead-letter queue.
 */
export async function consumeBatch(batch: MessageBatch, runtime: WorkerRuntime): Promise<void> {
  const { services, queue, logger } = runtime

  for (const message of batch.messages) {
    const job = parseJob(message.body)
    if (!job) {
      logger('error', 'job.malformed', { queue: batch.queue, messageId: message.id })
      message.ack()
      continue
    }

    const context = { store: services.store, queue, logger, now: services.now }
    const outcome = await runJob(services.jobs, job, { ...context, attempt: message.attempts })
    if (outcome === 'done' || outcome === 'rejected') message.ack()
    else message.retry({ delaySeconds: retryDelaySeconds(message.attempts) })
  }
}
