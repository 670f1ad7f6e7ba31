/**
 * The rewriter's front door: a whole MIME message, or a bare HTML or text
 * body, in; the same with every web link replaced by a signed link, plus a
 * summary, out. Runtime-neutral.
 */

import type { AuthSummary } from '../auth/types.js'
import type { LinkContext, Linker } from '../linker.js'
import type { MessageFinding } from '../store.js'
import { partDecoder, textView } from './charset.js'
import type { ClassifyOptions } from './classify.js'
import { type MimeOptions, parseMime, serializeMime } from './mime.js'
import type { MimeFlag, TextLeaf } from './mime-types.js'
import { type Edit, type Plan, type Skip, applyEdits, planHtml, planText } from './plan.js'

export interface RewriteSummary {
  found: number
  rewritten: number
  skipped: Skip[]
  flagged: { part: string; reason: string }[]
  /** Findings about the whole message; every link in it is at least warned at click time. */
  findings: MessageFinding[]
  /** Sender authentication, for whole messages (set by the message pipeline). */
  auth?: AuthSummary
}

export interface RewriteResult<T> {
  output: T
  summary: RewriteSummary
}

export interface RewriterOptions {
  classify: ClassifyOptions
  linker: Linker
  mime?: Partial<MimeOptions>
  now: () => number
}

/**
 * Changes a text part's decoded body after its links are rewritten (the
 * sender-authentication banner). Called for every text leaf in document
 * order; returning `text` unchanged leaves the part alone.
 */
export type LeafDecorator = (leaf: TextLeaf, text: string) => string

export interface MessageOptions {
  decorate?: LeafDecorator
}

export interface Rewriter {
  rewriteMessage(
    input: Uint8Array,
    context?: LinkContext,
    options?: MessageOptions,
  ): Promise<RewriteResult<Uint8Array>>
  rewriteHtml(input: string, context?: LinkContext): Promise<RewriteResult<string>>
  rewriteText(input: string, context?: LinkContext): Promise<RewriteResult<string>>
}

interface LeafPlan {
  leaf: TextLeaf
  plan: Plan
}

export function createRewriter(options: RewriterOptions): Rewriter {
  async function rewriteHtml(input: string, context: LinkContext = {}) {
    return rewriteBare(
      input,
      planHtml(input, (raw) => raw, options.classify),
      context,
    )
  }

  async function rewriteText(input: string, context: LinkContext = {}) {
    return rewriteBare(input, planText(input, options.classify), context)
  }

  async function rewriteBare(input: string, plan: Plan, context: LinkContext) {
    const findings = [...(context.findings ?? []), ...messageFindings([plan], options.now())]
    const links = await options.linker.linksFor(targetsOf([plan]), { ...context, findings })
    return {
      output: applyEdits(input, plan.edits, links),
      summary: summarise([plan], [], findings),
    }
  }

  async function rewriteMessage(
    input: Uint8Array,
    context: LinkContext = {},
    extras: MessageOptions = {},
  ) {
    const message = parseMime(input, options.mime)
    const flags: MimeFlag[] = [...notAMessage(input), ...message.flags]
    const leafPlans = message.leaves.map((leaf) => planLeaf(leaf, options.classify, flags))
    const plans = leafPlans.map((p) => p.plan)

    const findings = [...(context.findings ?? []), ...messageFindings(plans, options.now())]
    const messageContext = {
      ...context,
      messageId: context.messageId ?? message.messageId,
      findings,
    }
    const links = await options.linker.linksFor(targetsOf(plans), messageContext)

    const replacements = new Map<string, string>()
    for (const { leaf, plan } of leafPlans) {
      const linked =
        plan.edits.length > 0 ? applyEdits(leaf.decoded, plan.edits, links) : leaf.decoded
      const text = extras.decorate ? extras.decorate(leaf, linked) : linked
      if (text !== leaf.decoded) replacements.set(leaf.path, text)
    }

    const serialised = serializeMime(message, replacements)
    flags.push(...serialised.flags)
    return { output: serialised.bytes, summary: summarise(plans, flags, findings) }
  }

  return { rewriteMessage, rewriteHtml, rewriteText }
}

/**
 * A bare body sent as a message parses as one long header block and is
 * passed through untouched; the flag tells the caller why nothing changed.
 * RFC 5322 section 2.2: a message starts with a header field `name:`.
 */
export function notAMessage(input: Uint8Array): MimeFlag[] {
  const start = String.fromCharCode(...input.subarray(0, 256))
  if (start.length === 0 || /^([!-9;-~]+[ \t]*:|From )/.test(start)) return []
  return [{ part: '', reason: 'not_a_message' }]
}

function planLeaf(leaf: TextLeaf, classify: ClassifyOptions, flags: MimeFlag[]): LeafPlan {
  const decoder = partDecoder(leaf.charset)
  if (!decoder.known) flags.push({ part: leaf.path, reason: 'unknown_charset' })

  if (leaf.contentType === 'text/html') {
    const plan = planHtml(leaf.decoded, (raw) => decoder.decode(raw), classify)
    return { leaf, plan }
  }
  return planTextLeaf(leaf, classify)
}

/**
 * Plain text is scanned as characters (URLs may hold non-ASCII), then the
 * edits are mapped back to byte offsets so that only the URL bytes change.
 */
function planTextLeaf(leaf: TextLeaf, classify: ClassifyOptions): LeafPlan {
  const view = textView(leaf.decoded, leaf.charset)
  const plan = planText(view.text, classify)
  const edits: Edit[] = plan.edits.map((edit) => ({
    ...edit,
    start: view.byteOffset(edit.start),
    end: view.byteOffset(edit.end),
  }))

  return { leaf, plan: { ...plan, edits } }
}

function targetsOf(plans: readonly Plan[]): string[] {
  return [...new Set(plans.flatMap((plan) => plan.edits.map((edit) => edit.target)))]
}

/**
 * A script or data link cannot be checked at click time (it never reaches
 * us), so its presence marks the whole message as suspect.
 */
function messageFindings(plans: readonly Plan[], now: number): MessageFinding[] {
  const unsafe = plans.flatMap((plan) => plan.skipped).filter((s) => s.reason === 'unsafe_scheme')
  if (unsafe.length === 0) return []

  return [
    {
      verdict: 'warn',
      reason: 'script_link_in_message',
      source: 'rewriter',
      checkedAt: now,
      detail: `the message also contains ${unsafe.length} script or data link(s)`,
    },
  ]
}

function summarise(
  plans: readonly Plan[],
  flags: readonly MimeFlag[],
  findings: MessageFinding[],
): RewriteSummary {
  return {
    found: plans.reduce((sum, plan) => sum + plan.found, 0),
    rewritten: plans.reduce((sum, plan) => sum + plan.edits.length, 0),
    skipped: plans.flatMap((plan) => plan.skipped),
    flagged: flags.map((flag) => ({ part: flag.part, reason: flag.reason })),
    findings,
  }
}
