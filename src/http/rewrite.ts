/**
 * POST /api/v1/rewrite — the body is a whole message (message/rfc822) or a
 * bare text/html or text/plain body; the answer is the same kind of body with
 * its links rewritten, and the counts in the Clickgate-Summary header.
 *
 * A whole message is authenticated first when the caller passes the SMTP
 * connection facts in Clickgate-Client-Ip, Clickgate-Helo and
 * Clickgate-Mail-From, or when a trusted relay is configured.
 */

import type { Context } from 'hono'

import { parseConnectionFacts } from '../core/auth/facts.js'
import { requireFeature } from '../core/capabilities.js'
import type { ConnectionFacts } from '../core/auth/types.js'
import { bytesToBinary } from '../core/bytes.js'
import { ClickgateError } from '../core/errors.js'
import type { LinkContext } from '../core/linker.js'
import type { RewriteSummary } from '../core/rewrite/rewriter.js'
import type { AppDeps, AppEnv } from './env.js'

export type BodyKind = 'message' | 'html' | 'text'

const MEDIA_TYPES: Record<string, BodyKind> = {
  'message/rfc822': 'message',
  'text/html': 'html',
  'text/plain': 'text',
}

export function rewriteHandler(deps: AppDeps) {
  return async function rewriteBody(c: Context<AppEnv>): Promise<Response> {
    const { kind, charset } = bodyKindOf(c.req.header('Content-Type'))
    const context = contextOf(c)
    const facts = factsOf(c, kind)
    // Verifying them takes DKIM (Node only); elsewhere only a trusted relay's results count.
    if (facts) requireFeature(deps.capabilities, 'dkim')
    const bytes = new Uint8Array(await c.req.arrayBuffer())

    const result = await rewrite(deps, kind, bytes, charset, context, facts)
    deps.logger('info', 'rewrite', {
      kind,
      principal: c.get('principal'),
      bytes: bytes.length,
      ...counts(result.summary),
    })
    return respond(c, kind, result.output, result.summary)
  }
}

function bodyKindOf(header: string | undefined): { kind: BodyKind; charset: string } {
  const [type = '', ...params] = (header ?? '').split(';')
  const kind = MEDIA_TYPES[type.trim().toLowerCase()]
  if (!kind) {
    throw new ClickgateError(
      'unsupported_media_type',
      'Content-Type must be message/rfc822, text/html or text/plain',
    )
  }

  const charsetParam = params
    .map((p) => p.trim())
    .find((p) => p.toLowerCase().startsWith('charset='))
  const charset = charsetParam ? charsetParam.slice(8).replace(/"/g, '').trim() : 'utf-8'
  return { kind, charset }
}

function contextOf(c: Context<AppEnv>): LinkContext {
  return {
    recipient: c.req.header('Clickgate-Recipient')?.trim() || null,
    messageId: c.req.header('Clickgate-Message-Id')?.trim().replace(/^<|>$/g, '') || null,
  }
}

const FACT_HEADERS = {
  clientIp: 'Clickgate-Client-Ip',
  helo: 'Clickgate-Helo',
  mailFrom: 'Clickgate-Mail-From',
}

/** Connection facts only make sense for a whole message as it arrived over SMTP. */
export function factsOf(c: Context<AppEnv>, kind: BodyKind): ConnectionFacts | null {
  const facts = parseConnectionFacts(
    {
      clientIp: c.req.header(FACT_HEADERS.clientIp),
      helo: c.req.header(FACT_HEADERS.helo),
      mailFrom: c.req.header(FACT_HEADERS.mailFrom),
    },
    FACT_HEADERS,
  )
  if (facts && kind !== 'message') {
    throw new ClickgateError(
      'bad_request',
      'connection facts need a whole message (message/rfc822)',
    )
  }
  return facts
}

async function rewrite(
  deps: AppDeps,
  kind: BodyKind,
  bytes: Uint8Array,
  charset: string,
  context: LinkContext,
  facts: ConnectionFacts | null,
): Promise<{ output: Uint8Array; summary: RewriteSummary }> {
  if (kind === 'message') return deps.mail.process(bytes, context, facts)

  const text = decodeBody(bytes, charset)
  const result =
    kind === 'html'
      ? await deps.rewriter.rewriteHtml(text, context)
      : await deps.rewriter.rewriteText(text, context)
  return { output: new TextEncoder().encode(result.output), summary: result.summary }
}

function decodeBody(bytes: Uint8Array, charset: string): string {
  try {
    // ignoreBOM: a byte-order mark is part of the body and must come back.
    return new TextDecoder(charset, { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    throw new ClickgateError('bad_request', `body is not valid ${charset}`)
  }
}

/** The counts, and when authentication ran, its source, DMARC result and message findings. */
function counts(summary: RewriteSummary) {
  const auth = summary.auth && summary.auth.source !== 'off' ? summary.auth : null
  return {
    found: summary.found,
    rewritten: summary.rewritten,
    skipped: summary.skipped.length,
    flagged: summary.flagged.length,
    ...(auth
      ? { auth: auth.source, dmarc: auth.dmarc ?? null, findings: summary.findings.length }
      : {}),
  }
}

function respond(c: Context<AppEnv>, kind: BodyKind, output: Uint8Array, summary: RewriteSummary) {
  c.header('Clickgate-Summary', JSON.stringify(counts(summary)))
  c.header('Cache-Control', 'no-store')

  if ((c.req.header('Accept') ?? '').includes('application/json')) {
    return c.json({ ...messageField(output), summary })
  }

  const type =
    kind === 'message'
      ? 'message/rfc822'
      : `text/${kind === 'html' ? 'html' : 'plain'}; charset=utf-8`
  return c.body(output.slice().buffer, 200, { 'Content-Type': type })
}

/** JSON strings are Unicode; a message with raw 8-bit bytes in another charset goes as base64. */
function messageField(output: Uint8Array) {
  try {
    return { message: new TextDecoder('utf-8', { fatal: true }).decode(output) }
  } catch {
    return { message: null, messageBase64: btoa(bytesToBinary(output)) }
  }
}
