/**
 * A whole message through sender authentication and the rewriter, in the
 * order RFC 8617 needs: authenticate the message as received, rewrite it
 * (links, banner, our Authentication-Results), DKIM-sign it, then ARC-seal
 * it, so that a downstream receiver can trust our changes.
 *
 * With authentication off (no connection facts, no trusted relay) and no
 * signing key, this is the rewriter alone: a message with nothing to rewrite
 * comes out byte-identical.
 */

import type { Brand } from '../brands.js'
import { binaryToBytes, bytesToBinary } from '../bytes.js'
import type { LinkContext } from '../linker.js'
import {
  type MessageOptions,
  type RecipientMessage,
  type RewriteResult,
  type RewriteSummary,
  type Rewriter,
  notAMessage,
} from '../rewrite/rewriter.js'
import { formatAuthResults } from './auth-results.js'
import { bannerDecorator, bannerFor } from './banner.js'
import type { AuthConfig } from './config.js'
import { type HeaderBlock, fieldValues, readMessageHeader } from './header-block.js'
import { relayAuth, statementsOf, verifiedAuth } from './outcome.js'
import { arcOverride, authFindings } from './policy.js'
import { relayResults } from './relay.js'
import type {
  ArcOutcome,
  AuthSummary,
  ConnectionFacts,
  MailAuthenticator,
  MessageAuth,
  SealRequest,
} from './types.js'

export interface MessagePipelineOptions {
  rewriter: Rewriter
  config: AuthConfig
  brands: readonly Brand[]
  /** The runtime's verifier, sealer and signer; null where there is none (Workers). */
  mailAuth: MailAuthenticator | null
  now: () => number
}

export interface ProcessedSummary extends RewriteSummary {
  auth: AuthSummary
}

export interface MessagePipeline {
  /**
   * Authenticates (when `facts` are given, or a trusted relay is configured),
   * rewrites, signs and seals one message.
   */
  process(
    input: Uint8Array,
    context?: LinkContext,
    facts?: ConnectionFacts | null,
  ): Promise<{ output: Uint8Array; summary: ProcessedSummary }>
  /**
   * The same for many recipients: authenticated and planned once, then each
   * copy rewritten with its recipient's links, signed and sealed.
   */
  processBatch(
    input: Uint8Array,
    recipients: readonly string[],
    context?: Omit<LinkContext, 'recipient'>,
    facts?: ConnectionFacts | null,
  ): Promise<{ summary: ProcessedSummary; messages: AsyncIterable<RecipientMessage> }>
}

/** RFC 8617 section 4.2.1: an ARC chain has at most 50 sets. */
export const MAX_ARC_INSTANCE = 50

export function createMessagePipeline(options: MessagePipelineOptions): MessagePipeline {
  const { config, mailAuth } = options

  async function process(
    input: Uint8Array,
    context: LinkContext = {},
    facts: ConnectionFacts | null = null,
  ) {
    const prepared = await prepareMessage(input, context, facts)
    const rewritten = await options.rewriter.rewriteMessage(
      input,
      prepared.context,
      prepared.extras,
    )
    return prepared.complete(rewritten)
  }

  async function processBatch(
    input: Uint8Array,
    recipients: readonly string[],
    context: Omit<LinkContext, 'recipient'> = {},
    facts: ConnectionFacts | null = null,
  ) {
    const prepared = await prepareMessage(input, context, facts)
    const batch = await options.rewriter.rewriteMessageBatch(
      input,
      recipients,
      prepared.context,
      prepared.extras,
    )
    const complete = (output: Uint8Array) => prepared.complete({ output, summary: batch.summary })

    // The first copy is finished now, so that the summary can say whether it was signed and sealed.
    const iterator = batch.messages[Symbol.asyncIterator]()
    const first = await iterator.next()
    const firstDone = first.done ? null : await complete(first.value.output)
    const summary = firstDone?.summary ?? { ...batch.summary, auth: off([]) }

    async function* copies(): AsyncGenerator<RecipientMessage> {
      if (first.done || firstDone === null) return
      yield { recipient: first.value.recipient, output: firstDone.output }
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        yield {
          recipient: next.value.recipient,
          output: (await complete(next.value.output)).output,
        }
      }
    }
    return { summary, messages: copies() }
  }

  /**
   * Authentication and what follows from it, once per message: the context
   * and banner for the rewriter, and how to finish each rewritten copy.
   */
  async function prepareMessage<C extends LinkContext>(
    input: Uint8Array,
    context: C,
    facts: ConnectionFacts | null,
  ) {
    const notes: string[] = []
    const block = readMessageHeader(input)
    // A bare body is passed through by the rewriter; it has no sender to authenticate.
    const message = notAMessage(input).length === 0
    const auth = message ? await authenticate(input, block, facts, notes) : null
    if (auth === null) {
      const complete = async (rewritten: RewriteResult<Uint8Array>) =>
        // Nothing to add: the rewriter's bytes go out as they are.
        !message || !mailAuth?.signing
          ? { ...rewritten, summary: { ...rewritten.summary, auth: off(notes) } }
          : finish(rewritten, notes)
      return { context, extras: {} satisfies MessageOptions, complete }
    }

    auth.arcOverride = arcOverride(auth, config.trustedArcSealers)
    const policy = { brands: options.brands, trustedArcSealers: config.trustedArcSealers }
    const findings = authFindings(auth, policy, options.now())
    const banner: string[] = []
    // A decorator inserts the banner once per part kind, so each copy of a batch gets its own.
    const decorator =
      config.banner && findings.length > 0
        ? () => bannerDecorator(bannerFor(config.bannerText, findings), banner)
        : undefined

    const messageContext = {
      ...context,
      findings: [...(context.findings ?? []), ...findings],
      auth,
    }
    const complete = (rewritten: RewriteResult<Uint8Array>) =>
      finish(rewritten, notes, { auth, block, facts, banner })
    return { context: messageContext, extras: { decorator } satisfies MessageOptions, complete }
  }

  /** Our own check from the connection facts, else the trusted relay's results, else null. */
  async function authenticate(
    input: Uint8Array,
    block: HeaderBlock,
    facts: ConnectionFacts | null,
    notes: string[],
  ): Promise<MessageAuth | null> {
    const now = options.now()
    if (facts && mailAuth) {
      const withSender = { ...facts, mailFrom: facts.mailFrom ?? returnPath(block) }
      return verifiedAuth(await mailAuth.verify(input, withSender), block, config.authservId, now)
    }
    if (facts) notes.push('verification_unavailable')
    if (config.trustedRelays.length === 0) return null

    const auth = relayAuth(relayResults(block, config.trustedRelays), block, now)
    // The relay cannot tell us whether the chain as it reaches us will still verify.
    if (mailAuth?.sealing) {
      auth.arc = await mailAuth.verifyArc(input)
      auth.notes.push('arc_verified_here')
    }
    return auth
  }

  async function finish(
    rewritten: RewriteResult<Uint8Array>,
    notes: string[],
    authenticated?: {
      auth: MessageAuth
      block: HeaderBlock
      facts: ConnectionFacts | null
      banner: string[]
    },
  ) {
    const summary: AuthSummary = {
      source: authenticated?.auth.source ?? 'off',
      sealed: false,
      signed: false,
      // Every copy of a batch adds the same parts: each is named once.
      banner: [...new Set(authenticated?.banner ?? [])],
      notes: [...notes, ...(authenticated?.auth.notes ?? [])],
    }
    let message = bytesToBinary(rewritten.output)

    if (authenticated) {
      const { auth, block, facts } = authenticated
      const value = formatAuthResults(
        config.authservId,
        statementsOf(auth, facts),
        block.lineEnding,
      )
      message = `Authentication-Results: ${value}${block.lineEnding}` + message
      summary.dmarc = auth.dmarc?.result ?? null
      summary.arc = auth.arc?.result ?? null
      message = await signAndSeal(message, block.lineEnding, summary, sealRequest(auth, value))
    } else {
      message = await signAndSeal(message, lineEndingOf(message), summary, null)
    }

    return { output: binaryToBytes(message), summary: { ...rewritten.summary, auth: summary } }
  }

  /**
   * The DKIM signature first, the ARC set last and on top: RFC 8617 section
   * 5.1 has a sealer add its set when it is done with the message.
   */
  async function signAndSeal(
    message: string,
    eol: string,
    summary: AuthSummary,
    seal: SealRequest | null,
  ): Promise<string> {
    if (!mailAuth) return message
    let out = message

    const signature = await tryHeader(
      () => mailAuth.sign(binaryToBytes(out)),
      summary,
      'dkim_sign_failed',
    )
    if (signature) {
      out = withLineEnding(signature, eol) + out
      summary.signed = true
    }

    if (seal === null) return out
    const arcSet = await tryHeader(
      () => mailAuth.seal(binaryToBytes(out), seal),
      summary,
      'arc_seal_failed',
    )
    if (arcSet) {
      out = withLineEnding(arcSet, eol) + out
      summary.sealed = true
    }
    return out
  }

  return { process, processBatch }
}

function off(notes: string[]): AuthSummary {
  return { source: 'off', sealed: false, signed: false, banner: [], notes }
}

/**
 * RFC 8617 section 5.1: the chain status as the message reached us; no new
 * set after a recorded `cv=fail` or past 50 sets, and none without our own
 * knowledge of the chain.
 */
function sealRequest(auth: MessageAuth, authResults: string): SealRequest | null {
  const arc: ArcOutcome | null = auth.arc
  if (!arc || !arc.sealable || arc.instance >= MAX_ARC_INSTANCE) return null

  const cv = arc.result === 'pass' ? 'pass' : arc.result === 'none' ? 'none' : 'fail'
  return { cv, authResults: authResults.replace(/\r?\n/g, '\r\n') }
}

/** A header produced on the way must never stop the mail: it goes out without it, noted. */
async function tryHeader(
  produce: () => Promise<string | null>,
  summary: AuthSummary,
  note: string,
): Promise<string | null> {
  try {
    return await produce()
  } catch {
    // The reason is the runtime's (a key, a library failure); the note tells the caller.
    summary.notes.push(note)
    return null
  }
}

/** mailauth writes CRLF; an LF-only message keeps LF throughout. */
function withLineEnding(fields: string, eol: string): string {
  const crlf = fields.replace(/\r?\n/g, '\r\n')
  const terminated = crlf.endsWith('\r\n') ? crlf : crlf + '\r\n'
  return eol === '\r\n' ? terminated : terminated.replace(/\r\n/g, '\n')
}

function lineEndingOf(message: string): string {
  const newline = message.indexOf('\n')
  return newline > 0 && message[newline - 1] === '\r' ? '\r\n' : newline < 0 ? '\r\n' : '\n'
}

/** RFC 5321 4.4: the delivering MTA records MAIL FROM in Return-Path; the last one added is on top. */
function returnPath(block: HeaderBlock): string | null {
  const [value] = fieldValues(block, 'return-path')
  if (value === undefined) return null
  const match = /<([^>]*)>/.exec(value)
  const address = (match ? match[1] : value).trim()
  return /^[\x21-\x7e]*$/.test(address) ? address : null
}
