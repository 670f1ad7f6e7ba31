/**
 * POST /api/v1/rewrite/batch — one message in, one rewritten copy per
 * recipient out. The request is `multipart/form-data` with a `message` field
 * (the message/rfc822 bytes) and a `recipients` field (one address a line).
 * The answer streams NDJSON, one line per recipient in the order given:
 * `{"recipient", "message"}`, or `"messageBase64"` for a copy that is not
 * UTF-8. The message is authenticated, parsed and planned once, with the
 * same connection-fact headers as POST /api/v1/rewrite; each copy is signed
 * and sealed like a single rewrite. The summary, the same for every copy, is
 * in the Clickgate-Summary header.
 */

import type { Context } from 'hono'

import { bytesToBinary } from '../core/bytes.js'
import { requireFeature } from '../core/capabilities.js'
import { ClickgateError } from '../core/errors.js'
import type { RecipientMessage } from '../core/rewrite/rewriter.js'
import type { AppDeps, AppEnv } from './env.js'
import { factsOf } from './rewrite.js'

/**
 * Most recipients in one request. Each copy is a full message in the
 * response, so the bound keeps one request's output (and signing work) sane;
 * larger lists are split by the caller.
 */
export const MAX_BATCH_RECIPIENTS = 10_000

/** Longest recipient address accepted (RFC 5321 4.5.3.1.3: a path is at most 256 octets). */
const MAX_ADDRESS_LENGTH = 256

export function rewriteBatchHandler(deps: AppDeps) {
  return async function rewriteBatch(c: Context<AppEnv>): Promise<Response> {
    const facts = factsOf(c, 'message')
    if (facts) requireFeature(deps.capabilities, 'dkim')
    const { message, recipients } = await readForm(c)
    const messageId = c.req.header('Clickgate-Message-Id')?.trim().replace(/^<|>$/g, '') || null

    const batch = await deps.mail.processBatch(message, recipients, { messageId }, facts)
    deps.logger('info', 'rewrite.batch', {
      principal: c.get('principal'),
      bytes: message.length,
      recipients: recipients.length,
      found: batch.summary.found,
      rewritten: batch.summary.rewritten,
      flagged: batch.summary.flagged.length,
    })

    const summary = {
      found: batch.summary.found,
      rewritten: batch.summary.rewritten,
      skipped: batch.summary.skipped.length,
      flagged: batch.summary.flagged.length,
    }
    return c.body(ndjson(batch.messages), 200, {
      'Content-Type': 'application/x-ndjson',
      'Cache-Control': 'no-store',
      'Clickgate-Summary': JSON.stringify(summary),
    })
  }
}

async function readForm(
  c: Context<AppEnv>,
): Promise<{ message: Uint8Array; recipients: string[] }> {
  const type = c.req.header('Content-Type') ?? ''
  if (!type.toLowerCase().startsWith('multipart/form-data')) {
    throw new ClickgateError('unsupported_media_type', 'Content-Type must be multipart/form-data')
  }

  let form: FormData
  try {
    form = await c.req.formData()
  } catch {
    throw new ClickgateError('bad_request', 'the multipart body could not be read')
  }
  const message = await fieldBytes(form.get('message'), 'message')
  const recipients = parseRecipients(
    new TextDecoder().decode(await fieldBytes(form.get('recipients'), 'recipients')),
  )
  return { message, recipients }
}

async function fieldBytes(value: FormDataEntryValue | null, name: string): Promise<Uint8Array> {
  if (value === null) throw new ClickgateError('bad_request', `the "${name}" field is missing`)
  if (typeof value === 'string') return new TextEncoder().encode(value)
  return new Uint8Array(await value.arrayBuffer())
}

/** One address a line; blank lines and surrounding blanks ignored. */
export function parseRecipients(text: string): string[] {
  const recipients = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')

  if (recipients.length === 0) throw new ClickgateError('bad_request', 'no recipients given')
  if (recipients.length > MAX_BATCH_RECIPIENTS) {
    throw new ClickgateError(
      'bad_request',
      `at most ${MAX_BATCH_RECIPIENTS} recipients per request`,
    )
  }
  if (recipients.some((r) => r.length > MAX_ADDRESS_LENGTH)) {
    throw new ClickgateError(
      'bad_request',
      `a recipient is longer than ${MAX_ADDRESS_LENGTH} characters`,
    )
  }
  return recipients
}

/** Streams one JSON line per copy, produced only as the client reads. */
function ndjson(messages: AsyncIterable<RecipientMessage>): ReadableStream<Uint8Array> {
  const iterator = messages[Symbol.asyncIterator]()
  const encoder = new TextEncoder()

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next()
      if (next.done) {
        controller.close()
        return
      }
      const { recipient, output } = next.value
      controller.enqueue(
        encoder.encode(JSON.stringify({ recipient, ...messageField(output) }) + '\n'),
      )
    },
  })
}

function messageField(output: Uint8Array): { message: string } | { messageBase64: string } {
  try {
    return { message: new TextDecoder('utf-8', { fatal: true }).decode(output) }
  } catch {
    // Raw 8-bit bytes in another charset cannot travel in a JSON string.
    return { messageBase64: btoa(bytesToBinary(output)) }
  }
}
