/**
 * The rewriter's front door: a whole MIME message, or a bare HTML or text
 * body, in; the same with every web link replaced by a signed link, plus a
 * summary, out. Runtime-neutral.
 */

import type { LinkContext, Linker } from '../linker.js'
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
}

export interface RewriteResult<T> {
  output: T
  summary: RewriteSummary
}

export interface RewriterOptions {
  classify: ClassifyOptions
  linker: Linker
  mime?: Partial<MimeOptions>
}

export interface Rewriter {
  rewriteMessage(input: Uint8Array, context?: LinkContext): Promise<RewriteResult<Uint8Array>>
  rewriteHtml(input: string, context?: LinkContext): Promise<RewriteResult<string>>
  rewriteText(input: string, context?: LinkContext): Promise<RewriteResult<string>>
}

interface LeafPlan {
  leaf: TextLeaf
  plan: Plan
}

export function createRewriter(options: RewriterOptions): Rewriter {
  async function rewriteHtml(input: string, context: LinkContext = {}) {
    const plan = planHtml(input, (raw) => raw, options.classify)
    const links = await options.linker.linksFor(targetsOf([plan]), context)
    return { output: applyEdits(input, plan.edits, links), summary: summarise([plan], []) }
  }

  async function rewriteText(input: string, context: LinkContext = {}) {
    const plan = planText(input, options.classify)
    const links = await options.linker.linksFor(targetsOf([plan]), context)
    return { output: applyEdits(input, plan.edits, links), summary: summarise([plan], []) }
  }

  async function rewriteMessage(input: Uint8Array, context: LinkContext = {}) {
    const message = parseMime(input, options.mime)
    const flags: MimeFlag[] = [...message.flags]
    const leafPlans = message.leaves.map((leaf) => planLeaf(leaf, options.classify, flags))
    const plans = leafPlans.map((p) => p.plan)

    const messageContext = { ...context, messageId: context.messageId ?? message.messageId }
    const links = await options.linker.linksFor(targetsOf(plans), messageContext)

    const replacements = new Map<string, string>()
    for (const { leaf, plan } of leafPlans) {
      if (plan.edits.length > 0)
        replacements.set(leaf.path, applyEdits(leaf.decoded, plan.edits, links))
    }

    const serialised = serializeMime(message, replacements)
    flags.push(...serialised.flags)
    return { output: serialised.bytes, summary: summarise(plans, flags) }
  }

  return { rewriteMessage, rewriteHtml, rewriteText }
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

function summarise(plans: readonly Plan[], flags: readonly MimeFlag[]): RewriteSummary {
  return {
    found: plans.reduce((sum, plan) => sum + plan.found, 0),
    rewritten: plans.reduce((sum, plan) => sum + plan.edits.length, 0),
    skipped: plans.flatMap((plan) => plan.skipped),
    flagged: flags.map((flag) => ({ part: flag.part, reason: flag.reason })),
  }
}
