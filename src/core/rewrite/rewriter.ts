/**
 * The rewriter's front door: a whole MIME message, or a bare HTML or text
 * body, in; the same with every web link replaced by a signed link, plus a
 * summary, out. Runtime-neutral.
 *
 * A message is planned once (parse, decode, find and classify links, apply
 * the limits), its targets are registered once, and it is then rendered for
 * each recipient with that recipient's signed links: the batch form costs
 * one plan and one registration however many recipients there are.
 */

import { getDomain } from 'tldts'

import { readMessageHeader } from '../auth/header-block.js'
import type { AuthSummary } from '../auth/types.js'
import { type Brand, DEFAULT_BRANDS } from '../brands.js'
import { observeHeaders } from '../heuristics/headers.js'
import { observeSender, senderOf } from '../heuristics/sender.js'
import { observeSenderLinks } from '../heuristics/sender-links.js'
import type { LinkContext, Linker } from '../linker.js'
import type { MessageFinding } from '../store.js'
import { parseWebUrl } from '../url.js'
import type { ClassifyOptions } from './classify.js'
import { type Written, stringDocument } from './document.js'
import { DEFAULT_LIMITS, Deadline, type RewriteLimits } from './limits.js'
import { linkTextsOf } from './link-texts.js'
import { serializeMime } from './mime.js'
import type { MimeFlag, TextLeaf } from './mime-types.js'
import type { Skip } from './plan.js'
import {
  type LeafWork,
  type PlannedMessage,
  type WorkContext,
  messageFindings,
  planBare,
  planMessage,
  replacementsFor,
} from './work.js'

export { notAMessage } from './work.js'

export interface RewriteSummary {
  found: number
  rewritten: number
  skipped: Skip[]
  flagged: { part: string; reason: string }[]
  /** Parts whose links were made unclickable (fail-closed mode, over a limit). */
  defanged: string[]
  /** Findings about the whole message; every link in it is at least warned at click time. */
  findings: MessageFinding[]
  /** Sender authentication, for whole messages (set by the message pipeline). */
  auth?: AuthSummary
}

export interface RewriteResult<T> {
  output: T
  summary: RewriteSummary
}

/** One recipient's copy of a message rewritten in a batch. */
export interface RecipientMessage {
  recipient: string
  output: Uint8Array
}

/** A batch: the summary (the same for every copy) and the copies, produced one at a time. */
export interface BatchResult {
  summary: RewriteSummary
  messages: AsyncIterable<RecipientMessage>
}

export interface RewriterOptions {
  classify: ClassifyOptions
  linker: Linker
  /** Look inside `message/rfc822` attachments; default true. */
  rewriteAttachedMessages?: boolean
  /** Defaults in DEFAULT_LIMITS. */
  limits?: Partial<RewriteLimits>
  /** Milliseconds; also the clock of the time limit. */
  now: () => number
  /** Protected brands, for the sender heuristics; default DEFAULT_BRANDS. */
  brands?: readonly Brand[]
}

/**
 * Changes a text part's decoded body after its links are rewritten (the
 * sender-authentication banner). Called for every text leaf in document
 * order; returning `text` unchanged leaves the part alone.
 */
export type LeafDecorator = (leaf: TextLeaf, text: string) => string

export interface MessageOptions {
  decorate?: LeafDecorator
  /**
   * For a batch: makes a fresh decorator for each copy, since a decorator may
   * keep state (the banner goes into one part of each kind per message).
   * Takes precedence over `decorate`.
   */
  decorator?: () => LeafDecorator
}

export interface Rewriter {
  rewriteMessage(
    input: Uint8Array,
    context?: LinkContext,
    options?: MessageOptions,
  ): Promise<RewriteResult<Uint8Array>>
  /**
   * One message in, one copy per recipient out, each with links signed for
   * that recipient. The message is parsed and planned once.
   */
  rewriteMessageBatch(
    input: Uint8Array,
    recipients: readonly string[],
    context?: Omit<LinkContext, 'recipient'>,
    options?: MessageOptions,
  ): Promise<BatchResult>
  rewriteHtml(input: string, context?: LinkContext): Promise<RewriteResult<string>>
  rewriteText(input: string, context?: LinkContext): Promise<RewriteResult<string>>
}

export function createRewriter(options: RewriterOptions): Rewriter {
  const limits: RewriteLimits = { ...DEFAULT_LIMITS, ...options.limits }
  const attached = options.rewriteAttachedMessages ?? true
  const brands = options.brands ?? DEFAULT_BRANDS

  function workContext(): WorkContext {
    return {
      classify: options.classify,
      limits,
      deadline: new Deadline(options.now, limits.maxTimeMs),
    }
  }

  /** `input` is the whole message, whose From field the sender heuristics read; absent for bare bodies. */
  async function prepare(planned: PlannedMessage, context: LinkContext, input?: Uint8Array) {
    const now = options.now()
    const sender = input === undefined ? [] : senderFindings(input, planned.targets, brands, now)
    const findings = [
      ...(context.findings ?? []),
      ...messageFindings(planned.works, planned.flags, now),
      ...sender,
    ]
    const messageId = context.messageId ?? planned.message?.messageId ?? null
    const linkTexts = linkTextsOf(planned.works.map((work) => work.plan))
    const links = await options.linker.prepare(planned.targets, {
      ...context,
      messageId,
      findings,
      linkTexts,
    })
    return { findings, links }
  }

  async function rewriteMessage(
    input: Uint8Array,
    context: LinkContext = {},
    extras: MessageOptions = {},
  ) {
    const planned = planMessage(input, workContext(), attached)
    const { findings, links } = await prepare(planned, context, input)
    const rendered = renderMessage(
      input,
      planned,
      await links.forRecipient(context.recipient ?? null),
      extras.decorator?.() ?? extras.decorate,
    )
    return { output: rendered.output, summary: summarise(planned, rendered.flags, findings) }
  }

  async function rewriteMessageBatch(
    input: Uint8Array,
    recipients: readonly string[],
    context: Omit<LinkContext, 'recipient'> = {},
    extras: MessageOptions = {},
  ): Promise<BatchResult> {
    const planned = planMessage(input, workContext(), attached)
    const { findings, links } = await prepare(planned, context, input)
    const render = async (recipient: string) =>
      renderMessage(
        input,
        planned,
        await links.forRecipient(recipient),
        extras.decorator?.() ?? extras.decorate,
      )
    const first = recipients[0] === undefined ? null : await render(recipients[0])

    return {
      summary: summarise(planned, first?.flags ?? [], findings),
      messages: copies(recipients, render, first?.output ?? null),
    }
  }

  async function rewriteBare(input: string, kind: 'html' | 'text', context: LinkContext) {
    const doc = stringDocument(input)
    const planned = planBare(doc, kind, input.length, workContext())
    const { findings, links } = await prepare(planned, context)
    const map = await links.forRecipient(context.recipient ?? null)

    const work = planned.works[0]
    const output = work ? (work.doc.write(replacementsFor(work, map))?.body() ?? input) : input
    return { output, summary: summarise(planned, [], findings) }
  }

  return {
    rewriteMessage,
    rewriteMessageBatch,
    rewriteHtml: (input, context = {}) => rewriteBare(input, 'html', context),
    rewriteText: (input, context = {}) => rewriteBare(input, 'text', context),
  }
}

/**
 * What the From field and the other header fields say about the message
 * (heuristics/sender.ts, headers.ts), as message findings.
 */
function senderFindings(
  input: Uint8Array,
  targets: readonly string[],
  brands: readonly Brand[],
  now: number,
): MessageFinding[] {
  const block = readMessageHeader(input)
  const sender = senderOf(block)
  const observed = [
    ...(sender === null
      ? []
      : [
          ...observeSender(sender, brands),
          ...observeSenderLinks(sender, linkDomains(targets), brands),
        ]),
    ...observeHeaders(block, sender, brands),
  ]
  return observed.map((o) => ({ ...o, source: 'heuristics', checkedAt: now }))
}

/** The distinct registrable domains of the message's web links. */
function linkDomains(targets: readonly string[]): string[] {
  const domains = new Set<string>()
  for (const target of targets) {
    const domain = getDomain(parseWebUrl(target)?.hostname ?? '')
    if (domain) domains.add(domain.toLowerCase())
  }
  return [...domains]
}

async function* copies(
  recipients: readonly string[],
  render: (recipient: string) => Promise<Rendered>,
  first: Uint8Array | null,
): AsyncGenerator<RecipientMessage> {
  for (const [i, recipient] of recipients.entries()) {
    const output = i === 0 && first !== null ? first : (await render(recipient)).output
    yield { recipient, output }
  }
}

interface Rendered {
  output: Uint8Array
  /** Flags raised while writing (re-encoding, an unprovable charset splice). */
  flags: MimeFlag[]
}

/**
 * Writes each planned part with these links; parts that cannot be written
 * stay as they were. `decorate` then sees every text leaf, in document order.
 */
function renderMessage(
  input: Uint8Array,
  planned: PlannedMessage,
  links: ReadonlyMap<string, string>,
  decorate?: LeafDecorator,
): Rendered {
  const message = planned.message
  if (message === null) return { output: input, flags: [] }

  const flags: MimeFlag[] = []
  const bodies = new Map<string, Written | string>()
  for (const work of planned.works) {
    const replacements = replacementsFor(work, links)
    if (replacements.length === 0) continue

    const written = work.doc.write(replacements)
    if (written === null) {
      flags.push({ part: work.path, reason: 'charset_roundtrip_failed' })
      continue
    }
    bodies.set(work.path, written)
  }
  if (decorate) decorateLeaves(message.leaves, bodies, decorate)

  const serialised = serializeMime(message, bodies)
  return { output: serialised.bytes, flags: [...flags, ...serialised.flags] }
}

/** Applies the decorator (the authentication banner) on top of the rewritten text. */
function decorateLeaves(
  leaves: readonly TextLeaf[],
  bodies: Map<string, Written | string>,
  decorate: LeafDecorator,
): void {
  for (const leaf of leaves) {
    const current = bodies.get(leaf.path)
    const linked =
      current === undefined ? leaf.decoded : typeof current === 'string' ? current : current.body()
    const text = decorate(leaf, linked)
    if (text !== linked) bodies.set(leaf.path, text)
  }
}

function summarise(
  planned: PlannedMessage,
  renderFlags: readonly MimeFlag[],
  findings: MessageFinding[],
): RewriteSummary {
  const failed = new Set(
    renderFlags.filter((f) => f.reason === 'charset_roundtrip_failed').map((f) => f.part),
  )
  const written = (work: LeafWork) => !work.defang && !failed.has(work.path)
  const plans = planned.works.map((work) => work.plan)

  return {
    found: plans.reduce((sum, plan) => sum + plan.found, 0),
    rewritten: planned.works.filter(written).reduce((sum, w) => sum + w.plan.edits.length, 0),
    skipped: plans.flatMap((plan) => plan.skipped),
    flagged: [...planned.flags, ...renderFlags].map(({ part, reason }) => ({ part, reason })),
    defanged: planned.works.filter((work) => work.defang).map((work) => work.path),
    findings,
  }
}
