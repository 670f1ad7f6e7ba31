/**
 * Planning a whole message once: parse it, turn each text part into a
 * document, find and classify its links within the limits, and decide which
 * parts pass through or are defanged. The result is rendered once per
 * recipient without being planned again.
 */

import type { MessageFinding } from '../store.js'
import { cleanHref, schemeOf } from '../url.js'
import { resolveCharset } from './charset.js'
import { defangReplacements } from './defang.js'
import { type LeafDocument, type Replacement, leafDocument } from './document.js'
import { flowedDocument } from './flowed.js'
import { Deadline, type LimitReason, type RewriteLimits } from './limits.js'
import { type ParsedMime, parseMime } from './mime.js'
import type { MimeFlag, TextLeaf } from './mime-types.js'
import { type Plan, type PlanOptions, planHtml, planText, writtenLink } from './plan.js'
import type { ClassifyOptions } from './classify.js'

/** One text part (or a bare body) on its way through the rewriter. */
export interface LeafWork {
  /** MIME part path; '' for a bare body. */
  path: string
  kind: 'html' | 'text'
  doc: LeafDocument
  plan: Plan
  /** Limits this part is over, in the order they were found. */
  overLimit: LimitReason[]
  /** Fail-closed and over a limit: links made unclickable, notice added. */
  defang: boolean
  lineEnding: string
}

export interface WorkContext {
  classify: ClassifyOptions
  limits: RewriteLimits
  deadline: Deadline
}

/** A message parsed and planned, ready to render for any number of recipients. */
export interface PlannedMessage {
  message: ParsedMime | null
  works: LeafWork[]
  flags: MimeFlag[]
  targets: string[]
}

/** Parses and plans a message within the limits. */
export function planMessage(
  input: Uint8Array,
  context: WorkContext,
  rewriteAttachedMessages: boolean,
): PlannedMessage {
  const { limits, deadline } = context
  const flags: MimeFlag[] = [...notAMessage(input)]
  const tooLarge = input.length > limits.maxMessageBytes
  if (tooLarge) {
    flags.push({ part: '', reason: 'message_too_large' })
    if (!limits.failClosed) return { message: null, works: [], flags, targets: [] }
  }

  const message = parseMime(input, {
    maxDepth: limits.maxMimeDepth,
    rewriteAttachedMessages,
    walkPastDepth: limits.failClosed,
    deadline,
  })
  flags.push(...message.flags)

  const works: LeafWork[] = []
  for (const leaf of message.leaves) {
    const preset: LimitReason | null = tooLarge
      ? 'message_too_large'
      : leaf.overDepth
        ? 'max_depth'
        : null
    const doc = leafDocumentFor(leaf, flags)
    if (doc !== null) works.push(planWork(leaf.path, kindOf(leaf), doc, preset, context))
  }

  return finishPlanning(message, works, flags, context)
}

/** Plans a bare HTML or text body held as a string. */
export function planBare(
  doc: LeafDocument,
  kind: 'html' | 'text',
  size: number,
  context: WorkContext,
): PlannedMessage {
  const flags: MimeFlag[] = []
  const tooLarge = size > context.limits.maxMessageBytes
  if (tooLarge) flags.push({ part: '', reason: 'message_too_large' })
  if (tooLarge && !context.limits.failClosed)
    return { message: null, works: [], flags, targets: [] }

  const work = planWork('', kind, doc, tooLarge ? 'message_too_large' : null, context)
  return finishPlanning(null, [work], flags, context)
}

function finishPlanning(
  message: ParsedMime | null,
  works: LeafWork[],
  flags: MimeFlag[],
  context: WorkContext,
): PlannedMessage {
  applyLinkBudget(works, context.limits)
  for (const work of works) {
    for (const reason of work.overLimit) flags.push({ part: work.path, reason })
  }

  const targets = new Set<string>()
  for (const work of works) {
    if (!work.defang) for (const edit of work.plan.edits) targets.add(edit.target)
  }
  return { message, works, flags, targets: [...targets] }
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

function kindOf(leaf: TextLeaf): 'html' | 'text' {
  return leaf.contentType === 'text/html' ? 'html' : 'text'
}

/** The document a part is scanned as, or null (flagged) when its charset cannot be handled. */
function leafDocumentFor(leaf: TextLeaf, flags: MimeFlag[]): LeafDocument | null {
  const charset = resolveCharset(leaf.charset)
  if (charset === null) {
    flags.push({ part: leaf.path, reason: 'unsupported_charset' })
    return null
  }
  if (charset.label === 'unknown') flags.push({ part: leaf.path, reason: 'unknown_charset' })
  if (charset.label === 'repaired') flags.push({ part: leaf.path, reason: 'repaired_charset' })

  const kind = kindOf(leaf)
  const doc = leafDocument(leaf.decoded, kind, charset)
  if (typeof doc === 'string') {
    flags.push({ part: leaf.path, reason: doc })
    return null
  }
  return kind === 'text' && leaf.format === 'flowed' ? flowedDocument(doc, leaf.delSp) : doc
}

/** Plans one part; over-limit parts are planned in full only when they will be defanged. */
function planWork(
  path: string,
  kind: 'html' | 'text',
  doc: LeafDocument,
  preset: LimitReason | null,
  context: WorkContext,
): LeafWork {
  const { limits, deadline } = context
  const overLimit: LimitReason[] = preset === null ? [] : [preset]
  let plan: Plan | null = null

  if (preset === null && deadline.expired()) overLimit.push('time_limit')
  if (overLimit.length === 0) {
    plan = planDocument(doc, kind, context, deadline)
    if (!plan.complete) overLimit.push('time_limit')
  }

  const defang = overLimit.length > 0 && limits.failClosed
  // A defang must see every link, so it scans without the deadline (one linear pass).
  if (defang && (plan === null || !plan.complete)) {
    plan = planDocument(doc, kind, context, Deadline.never())
  }
  plan ??= planDocument('', kind, context, Deadline.never())
  if (overLimit.length > 0 && !defang) plan.edits = []

  if (plan.skipped.some((skip) => skip.reason === 'url_too_long')) overLimit.push('url_too_long')
  const work = { path, kind, doc, plan, overLimit, lineEnding: lineEndingOf(doc.text) }
  return { ...work, defang: overLimit.length > 0 && limits.failClosed }
}

function planDocument(
  doc: LeafDocument | string,
  kind: 'html' | 'text',
  context: WorkContext,
  deadline: Deadline,
): Plan {
  const text = typeof doc === 'string' ? doc : doc.text
  const options: PlanOptions = {
    classify: context.classify,
    urlEncoding: typeof doc === 'string' ? 'utf-8' : doc.urlEncoding,
    deadline,
  }
  if (kind === 'html') {
    const decode = typeof doc === 'string' ? (raw: string) => raw : doc.decodeValue
    return planHtml(text, decode, options)
  }
  return planText(text, options)
}

/**
 * MAX_LINKS_PER_MESSAGE, counted over link occurrences in document order.
 * The part where the budget runs out keeps its first links (or is defanged
 * when fail-closed), and later parts with links are over the limit too.
 */
function applyLinkBudget(works: LeafWork[], limits: RewriteLimits): void {
  let budget = limits.maxLinks
  for (const work of works) {
    if (work.defang) continue
    const count = work.plan.edits.length
    if (count <= budget) {
      budget -= count
      continue
    }

    work.overLimit.push('too_many_links')
    if (limits.failClosed) work.defang = true
    else work.plan.edits = work.plan.edits.slice(0, budget)
    budget = 0
  }
}

function lineEndingOf(text: string): string {
  const newline = text.indexOf('\n')
  return newline > 0 && text[newline - 1] === '\r' ? '\r\n' : '\n'
}

/** The replacements for one part with these links; empty when nothing changes. */
export function replacementsFor(work: LeafWork, links: ReadonlyMap<string, string>): Replacement[] {
  if (work.defang) {
    return defangReplacements(
      work.plan,
      work.kind,
      work.overLimit[0] ?? 'time_limit',
      work.lineEnding,
    )
  }
  const replacements: Replacement[] = []
  for (const edit of work.plan.edits) {
    const link = links.get(edit.target)
    if (link !== undefined)
      replacements.push({ start: edit.start, end: edit.end, text: writtenLink(edit, link) })
  }
  return replacements
}

/** `data:, javascript:` for the warning page: which kinds were seen, not the links themselves. */
function unsafeSchemes(skips: readonly { url: string }[]): string {
  const schemes = skips.map((s) => schemeOf(cleanHref(s.url)) ?? 'script')
  return [...new Set(schemes)]
    .sort()
    .map((scheme) => `${scheme}:`)
    .join(', ')
}

/**
 * Parts passed through unread because the sender wrapped them in something
 * mail does not allow or we cannot decode: a Content-Transfer-Encoding that
 * RFC 2045 section 6 does not define on a message/rfc822 entity (a text
 * part with one is read as raw text instead), a transfer encoding
 * on a multipart or message/rfc822 entity (forbidden by RFC 2045 section 6.4
 * and RFC 2046 section 5.2.1), or a charset such as UTF-7 that cannot be
 * handled byte-exactly. Lenient clients still show such parts, so their
 * links reach the reader unchecked; filters that follow the RFCs skip them,
 * which is why phishing uses them.
 */
const UNREADABLE_PART_FLAGS: ReadonlySet<string> = new Set([
  'unknown_transfer_encoding',
  'encoded_multipart',
  'encoded_message',
  'unsupported_charset',
])

/**
 * Findings about the whole message. A script or data link cannot be checked
 * at click time (it never reaches us), a form sends what the reader types
 * straight to its target, and a part we could not read may hold links we
 * never saw: each marks every link of the message, since a link we cannot
 * judge must not make the others look safe.
 */
export function messageFindings(
  works: readonly LeafWork[],
  flags: readonly MimeFlag[],
  now: number,
): MessageFinding[] {
  const plans = works.map((work) => work.plan)
  const unsafe = plans.flatMap((plan) => plan.skipped).filter((s) => s.reason === 'unsafe_scheme')
  const forms = [...new Set(plans.flatMap((plan) => plan.formTargets).map(hostOf))]
  const findings: MessageFinding[] = []

  if (unsafe.length > 0) {
    findings.push({
      verdict: 'warn',
      reason: 'script_link_in_message',
      source: 'rewriter',
      checkedAt: now,
      detail: `the message also contains ${unsafe.length} link(s) that run a script or carry hidden content (${unsafeSchemes(unsafe)})`,
    })
  }
  if (forms.length > 0) {
    findings.push({
      verdict: 'warn',
      reason: 'form_in_message',
      source: 'rewriter',
      checkedAt: now,
      detail: `the message contains a form that sends what you type to ${forms.slice(0, 5).join(', ')}`,
    })
  }
  const tooLong = plans.flatMap((plan) => plan.skipped).filter((s) => s.reason === 'url_too_long')
  if (tooLong.length > 0) {
    // Padding a link past the length limit must not be a way around the click-time check.
    findings.push({
      verdict: 'warn',
      reason: 'long_link_in_message',
      source: 'rewriter',
      checkedAt: now,
      detail: `the message also contains ${tooLong.length} link(s) too long to check, left as they were`,
    })
  }
  const unreadable = new Set(
    flags.filter((f) => UNREADABLE_PART_FLAGS.has(f.reason)).map((f) => f.part),
  )
  if (unreadable.size > 0) {
    findings.push({
      verdict: 'warn',
      reason: 'unreadable_part_in_message',
      source: 'rewriter',
      checkedAt: now,
      detail: unreadableDetail(unreadable.size),
    })
  }
  const disguised = flags.filter((f) => f.reason === 'invalid_transfer_encoding').length
  if (disguised > 0) {
    // No mail software writes an undefined encoding by mistake; kits do it to
    // hide a part from filters that follow RFC 2045 while clients still show it.
    findings.push({
      verdict: 'warn',
      reason: 'disguised_transfer_encoding',
      source: 'rewriter',
      checkedAt: now,
      detail: `${disguised === 1 ? 'one part' : `${disguised} parts`} of the message ${disguised === 1 ? 'is' : 'are'} labelled with a transfer encoding that mail does not define, a way to hide links from filters; they were read as mail clients show them`,
    })
  }
  return findings
}

function unreadableDetail(count: number): string {
  const parts = count === 1 ? 'one part of the message uses' : `${count} parts of the message use`
  const links = count === 1 ? 'its links were' : 'their links were'
  return `${parts} an invalid encoding or an unsupported character set, so ${links} not checked`
}

function hostOf(target: string): string {
  try {
    return new URL(target).host
  } catch {
    // Unparseable targets are still named, shortened, so the warning says something.
    return target.slice(0, 100)
  }
}
