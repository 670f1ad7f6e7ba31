/**
 * Rewrites every message of the shared real-mail corpus and checks, per file:
 *
 * 1. the message comes back (no exception, a Uint8Array; empty in, empty out);
 * 2. raw fidelity: same leaves, every byte outside the leaf bodies unchanged
 *    (but for the Content-Transfer-Encoding of a part re-encoded as QP), and
 *    leaves without a new link byte-identical;
 * 3. decoded fidelity: each output leaf is the input leaf with some values
 *    replaced by our links, and each link leads (token → store) to the target
 *    the classification rules give for the value it replaced;
 * 4. independent discovery: every web href parse5 finds in an HTML leaf
 *    (including Outlook conditional comments) was either rewritten or
 *    reported as skipped.
 *
 * The corpus is live phishing: nothing here fetches any URL, and no corpus
 * byte is copied into the repository.
 */

import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'

import { decodeHTML, decodeHTMLAttribute } from 'entities'
import { type DefaultTreeAdapterTypes, parse, parseFragment } from 'parse5'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { binaryToBytes, bytesToBinary } from '../../src/core/bytes.js'
import { byteDecoder, resolveCharset, strictDecode } from '../../src/core/rewrite/charset.js'
import { leafDocument } from '../../src/core/rewrite/document.js'
import { encodeQueryFor } from '../../src/core/rewrite/url-encoding.js'
import { scanHtml } from '../../src/core/rewrite/html.js'
import { type ParsedMime, parseMime } from '../../src/core/rewrite/mime.js'
import type { TextLeaf } from '../../src/core/rewrite/mime-types.js'
import type { RewriteSummary } from '../../src/core/rewrite/rewriter.js'
import { verifyToken } from '../../src/core/tokens.js'
import { cleanHref, schemeOf, tryParseUrl, WEB_SCHEMES } from '../../src/core/url.js'
import { type Harness, createHarness } from '../support/harness.js'

type P5Node = DefaultTreeAdapterTypes.Node
type P5Element = DefaultTreeAdapterTypes.Element

// The shared corpus sits beside the checkout (see ../shared/corpus/README.md);
// it is read at test time only and never copied into the repository.
const REPO_ROOT = resolve(import.meta.dirname, '../..')
const CORPUS_DIR = process.env.CORPUS_DIR ?? join(REPO_ROOT, '../shared/corpus')
const EML_DIR = join(CORPUS_DIR, 'eml')
const files = existsSync(EML_DIR)
  ? readdirSync(EML_DIR)
      .filter((f) => f.endsWith('.eml'))
      .sort()
  : []

const RECIPIENT = 'corpus@example.com'
/** Longest list of problems printed for one file, and of unaccounted links overall. */
const MAX_REPORTED = 20

// ---------------------------------------------------------------------------
// Totals for the summary line

const totals = {
  messages: 0,
  crashes: 0,
  structure: 0,
  textLost: 0,
  targetMismatches: 0,
  changedOutside: 0,
  found: 0,
  rewritten: 0,
  linksInOutput: 0,
  skipped: new Map<string, number>(),
  flagged: new Map<string, number>(),
  parse5Links: 0,
  /** How parse5's web hrefs were accounted for: `rewritten` or a skip reason. */
  parse5Accounted: new Map<string, number>(),
  /** Where parse5 found them: the document or an Outlook conditional comment. */
  parse5Where: new Map<string, number>(),
  unaccounted: [] as string[],
}

function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by)
}

function formatCounts(map: Map<string, number>): string {
  const rows = [...map].sort(([a], [b]) => a.localeCompare(b))
  return rows.length === 0 ? 'none' : rows.map(([k, n]) => `${k} ${n}`).join(', ')
}

function sumOf(map: Map<string, number>): number {
  return [...map.values()].reduce((a, b) => a + b, 0)
}

// ---------------------------------------------------------------------------
// Shared state: one harness (one in-memory database) for the whole corpus

let h: Harness
/** Our links, global (for matchAll) and not (for test). */
let ourLinks: RegExp
let anyOurLink: RegExp
const targetCache = new Map<string, string | null>()

/** Resolves one of our tokens to its stored target; null when it does not verify. */
async function targetOfToken(token: string): Promise<string | null> {
  const cached = targetCache.get(token)
  if (cached !== undefined) return cached

  const verified = await verifyToken(h.deps.config.ring, token, Math.floor(h.clock.now / 1000))
  const target = verified.ok ? await h.deps.store.getLinkUrl(verified.claims.linkId) : null
  targetCache.set(token, target)
  return target
}

// ---------------------------------------------------------------------------
// What the classification rules make of a value (independently of classify.ts)

type Expectation =
  { web: false } | { web: true; target: string | null /* null: relative with no usable base */ }

/** An href value (already character-decoded) as classify.ts is specified to treat it. */
function expectHref(value: string, base: string | null, encoding: string): Expectation {
  const href = cleanHref(value)

  // With a base every href resolves against it, as in a browser (HTML 4.2.3).
  const baseUrl = base === null ? null : tryParseUrl(cleanHref(base))
  const resolved = baseUrl ? tryParseUrl(href, baseUrl.href) : null
  if (resolved) {
    if (!/^https?:$/.test(resolved.protocol)) return { web: false }
    const standalone = /^https?:\/\//i.test(href) ? tryParseUrl(href) : null
    const target = standalone?.href === resolved.href ? href : resolved.href
    return { web: true, target: encodeQueryFor(target, encoding) }
  }

  if (href === '' || href.startsWith('#')) return { web: false }
  const scheme = schemeOf(href)
  if (scheme !== null) {
    return WEB_SCHEMES.has(scheme)
      ? { web: true, target: encodeQueryFor(href, encoding) }
      : { web: false }
  }
  if (/^[/\\]{2}/.test(href))
    return { web: true, target: encodeQueryFor(`https:${href}`, encoding) }
  return { web: true, target: null }
}

/** The document encoding of an HTML leaf (for query strings), as the rewriter reads its charset. */
function documentEncoding(charset: string | null): string {
  return resolveCharset(charset)?.encoding ?? 'utf-8'
}

/** A charset-and-entity-decoded attribute value, as the rewriter decodes one. */
function decodeAttribute(raw: string, charset: string | null): string | null {
  const chars = byteDecoder(
    resolveCharset(charset) ?? { encoding: null, layout: 'ascii', label: 'unknown' },
  )(raw)
  return decodeHTMLAttribute(chars)
}

/** Decodes a whole leaf for parse5: the leaf charset, utf-8 when absent or unknown. */
function decodeDocument(leaf: TextLeaf): string {
  let decoder: TextDecoder
  try {
    decoder = new TextDecoder(leaf.charset && leaf.charset !== 'us-ascii' ? leaf.charset : 'utf-8')
  } catch {
    decoder = new TextDecoder('utf-8')
  }
  return decoder.decode(binaryToBytes(leaf.decoded))
}

// ---------------------------------------------------------------------------
// Raw-level helpers

interface Range {
  start: number
  end: number
}

/** The source with every range cut out, the cut points marked (so a moved byte still shows). */
function outside(source: string, cuts: Range[], replacements: Map<number, string>): string {
  const sorted = [...cuts].sort((a, b) => a.start - b.start)
  const pieces: string[] = []
  let pos = 0
  for (const cut of sorted) {
    pieces.push(source.slice(pos, cut.start), replacements.get(cut.start) ?? '\u0000<cut>\u0000')
    pos = cut.end
  }
  pieces.push(source.slice(pos))
  return pieces.join('')
}

/** The range of the whole header line holding `at` (its value), line break included. */
function lineAround(source: string, at: Range): Range {
  const start = source.lastIndexOf('\n', at.start - 1) + 1
  const newline = source.indexOf('\n', at.end)
  return { start, end: newline < 0 ? source.length : newline + 1 }
}

/**
 * The message outside its leaf bodies. For a part re-encoded as QP the
 * Content-Transfer-Encoding value is masked in both (or, when the rewriter
 * had to insert the field, the inserted line is dropped from the output).
 */
function outsideBodies(
  input: ParsedMime,
  output: ParsedMime,
  reencoded: Set<string>,
): { before: string; after: string } {
  const inCuts: Range[] = []
  const outCuts: Range[] = []
  const inMarks = new Map<number, string>()
  const outMarks = new Map<number, string>()

  for (const [path, slot] of input.slots) {
    inCuts.push({ start: slot.bodyStart, end: slot.bodyEnd })
    const outSlot = output.slots.get(path)
    if (outSlot) outCuts.push({ start: outSlot.bodyStart, end: outSlot.bodyEnd })
    if (!reencoded.has(path) || !outSlot?.transferEncodingValue) continue

    const mark = `\u0000<cte ${path}>\u0000`
    if (slot.transferEncodingValue) {
      inCuts.push(slot.transferEncodingValue)
      inMarks.set(slot.transferEncodingValue.start, mark)
      outCuts.push(outSlot.transferEncodingValue)
      outMarks.set(outSlot.transferEncodingValue.start, mark)
    } else {
      const line = lineAround(output.source, outSlot.transferEncodingValue)
      outCuts.push(line)
      outMarks.set(line.start, '')
    }
  }
  return {
    before: outside(input.source, inCuts, inMarks),
    after: outside(output.source, outCuts, outMarks),
  }
}

function firstDifference(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return i
  return n
}

function excerpt(text: string, at: number): string {
  return JSON.stringify(text.slice(Math.max(0, at - 40), at + 40))
}

// ---------------------------------------------------------------------------
// Decoded-level alignment

interface Link {
  /** The link as it appears in the output. */
  link: string
  target: string | null
  /** The input text it replaced. */
  original: string
  /**
   * Token characters that follow the link in the output (it only verified
   * without them). A reader's linkifier takes them as part of the token, so
   * the link is broken.
   */
  glued: string
}

/**
 * Splits the output leaf on our links and aligns the pieces between them with
 * the input leaf: input = seg0 + v1 + seg1 + … + vN + segN. Returns the links
 * with the values they replaced, or a description of where alignment failed.
 */
async function alignLeaf(before: string, after: string): Promise<Link[] | string> {
  const segments: string[] = []
  const tokens: { link: string; target: string | null; glued: string }[] = []
  let pos = 0

  for (const match of after.matchAll(ourLinks)) {
    const index = match.index
    let link = match[0]
    let target = await targetOfToken(tokenOf(link))
    // When token characters follow a link, the match is too long: the longest
    // prefix that verifies is the link, and the rest is reported as glued.
    for (let cut = link.length - 1; target === null && cut > link.length - 12; cut--) {
      const shorter = link.slice(0, cut)
      const t = await targetOfToken(tokenOf(shorter))
      if (t !== null) {
        link = shorter
        target = t
      }
    }
    segments.push(after.slice(pos, index))
    tokens.push({ link, target, glued: match[0].slice(link.length) })
    pos = index + link.length
  }
  segments.push(after.slice(pos))

  const links: Link[] = []
  if (!before.startsWith(segments[0])) {
    const at = firstDifference(before, segments[0])
    return `text before the first link differs at ${at}: ${excerpt(before, at)} vs ${excerpt(segments[0], at)}`
  }

  let cursor = segments[0].length
  for (let i = 0; i < tokens.length; i++) {
    const next = segments[i + 1]
    const last = i === tokens.length - 1
    let end: number
    if (last) {
      end = before.length - next.length
      if (end < cursor || !before.endsWith(next)) {
        return `text after the last link (${tokens[i].link}) not found in the input`
      }
    } else if (next === '') {
      return `links ${tokens[i].link} and ${tokens[i + 1].link} are adjacent: cannot tell their values apart`
    } else {
      end = before.indexOf(next, cursor)
      if (end < 0) {
        return `text after link ${tokens[i].link} not found in the input: ${JSON.stringify(next.slice(0, 80))}`
      }
    }
    links.push({ ...tokens[i], original: before.slice(cursor, end) })
    cursor = end + next.length
  }
  if (tokens.length === 0 && before !== after) {
    const at = firstDifference(before, after)
    return `text changed without a link at ${at}: ${excerpt(before, at)} vs ${excerpt(after, at)}`
  }
  return links
}

function tokenOf(link: string): string {
  return link.slice(link.lastIndexOf('/') + 1)
}

/** Checks one replaced value against the target its link leads to; returns a problem or null. */
function checkLinkTarget(leaf: TextLeaf, link: Link, base: string | null): string | null {
  if (link.target === null) return `link ${link.link} does not verify or has no stored target`
  if (link.glued !== '') {
    return `link ${link.link} is followed by ${JSON.stringify(link.glued)} in the output, so it reads as a different (invalid) token; it replaced ${JSON.stringify(link.original)}`
  }

  if (leaf.contentType === 'text/html') {
    const value = decodeAttribute(link.original, leaf.charset)
    if (value === null)
      return `value ${JSON.stringify(link.original)} is undecodable but was rewritten`
    const expected = expectHref(value, base, documentEncoding(leaf.charset))
    // A URL written in the text (which mail clients link) is rewritten like plain text.
    if (isTextUrlTarget(value, link.target)) return null
    if (!expected.web || expected.target !== link.target) {
      return `value ${JSON.stringify(value)} leads to ${JSON.stringify(link.target)}, expected ${JSON.stringify(expected.web ? expected.target : 'no rewrite')}`
    }
    return null
  }

  const value = plainTextValue(leaf, link.original)
  const matches =
    link.target === value || (/^www\./i.test(value) && link.target === `http://${value}`)
  return matches
    ? null
    : `text URL ${JSON.stringify(value)} leads to ${JSON.stringify(link.target)}`
}

/** True when `target` is what the text URL `value` (character references decoded) leads to. */
function isTextUrlTarget(value: string, target: string): boolean {
  const text = decodeHTML(value)
  return /^https?:\/\//i.test(text) ? target === text : target === `http://${text}`
}

/** The URL text as the plain-text scanner saw it: the leaf's charset view, if it has one. */
function plainTextValue(leaf: TextLeaf, original: string): string {
  const charset = resolveCharset(leaf.charset)
  const doc = charset && leafDocument(leaf.decoded, 'text', charset)
  if (!doc || typeof doc === 'string' || doc.text === leaf.decoded) return original
  const encoding =
    charset.encoding ??
    (strictDecode('utf-8', binaryToBytes(leaf.decoded)) === null ? 'windows-1252' : 'utf-8')
  return strictDecode(encoding, binaryToBytes(original)) ?? original
}

// ---------------------------------------------------------------------------
// Independent discovery with parse5

interface FoundHref {
  href: string
  where: 'document' | 'conditional'
}

const CONDITIONAL = /^\[if [^\]]*\]>([\s\S]*)<!\[endif\]$/i

function hrefOf(element: P5Element): string | null {
  return element.attrs.find((attr) => attr.name === 'href' && !attr.prefix)?.value ?? null
}

/** Every node below `root`, in tree order, without recursion (some documents are very deep). */
function* walk(root: P5Node): Generator<P5Node> {
  const stack: P5Node[] = [root]
  for (let node = stack.pop(); node; node = stack.pop()) {
    yield node
    const children: P5Node[] = []
    if ('content' in node && node.content) children.push(node.content)
    if ('childNodes' in node) children.push(...node.childNodes)
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i])
  }
}

function isElement(node: P5Node): node is P5Element {
  return 'tagName' in node
}

/** The hrefs parse5 finds in an HTML document, and its `<base href>`. */
function parse5Links(html: string): { hrefs: FoundHref[]; base: string | null } {
  const document = parse(html, { scriptingEnabled: false, sourceCodeLocationInfo: false })
  const hrefs: FoundHref[] = []
  let base: string | null = null
  // Exception: parse5 clones formatting elements such as `<a>` when it
  // reconstructs the active formatting elements or runs the adoption agency
  // (HTML §13.2.4.3, §13.2.6.4.7): `<p><a href=x><h2>…</h2></a>` gives two
  // `a` elements for one tag in the source, which the scanner rightly counts
  // once. The clones share the token's attribute list, so each start tag is
  // counted once by that identity.
  const seenTags = new WeakSet<object>()

  for (const node of walk(document)) {
    if (isElement(node)) {
      if (seenTags.has(node.attrs)) continue
      seenTags.add(node.attrs)
      const href = hrefOf(node)
      if (href === null) continue
      if (node.tagName === 'a' || node.tagName === 'area') hrefs.push({ href, where: 'document' })
      if (node.tagName === 'base' && base === null && node.namespaceURI.endsWith('xhtml')) {
        base = href
      }
      continue
    }
    if (node.nodeName !== '#comment' || !('data' in node)) continue

    const inner = CONDITIONAL.exec(node.data)
    if (!inner) continue
    const fragment = parseFragment(inner[1], { scriptingEnabled: false })
    for (const child of walk(fragment)) {
      if (!isElement(child) || seenTags.has(child.attrs)) continue
      seenTags.add(child.attrs)
      const href = hrefOf(child)
      const linkish =
        child.tagName === 'a' || child.tagName === 'area' || child.tagName.startsWith('v:')
      if (href !== null && linkish) hrefs.push({ href, where: 'conditional' })
    }
  }
  return { hrefs, base }
}

/** The key a skipped entry and a parse5 href are compared by. */
function skipKey(url: string): string {
  return cleanHref(url)
}

/**
 * Skip reasons that may account for a web href parse5 found: when the rules
 * give it a target, only reasons about the target itself; when they give
 * none (relative, no usable base), only that.
 */
const SKIPS_WITH_TARGET = new Set(['own_link', 'no_rewrite_host', 'url_too_long'])
const SKIPS_WITHOUT_TARGET = new Set(['relative_without_base'])

/** Skipped entries of one message, consumed as parse5's hrefs are matched to them. */
class SkipPool {
  private readonly exact = new Map<string, string[]>()
  private readonly truncated: { prefix: string; reason: string }[] = []

  constructor(summary: RewriteSummary) {
    for (const skip of summary.skipped) {
      // The summary cuts URLs over 2048 characters and marks the cut with `…`.
      if (skip.url.length > 2048 && skip.url.endsWith('…')) {
        this.truncated.push({ prefix: skipKey(skip.url.slice(0, -1)), reason: skip.reason })
        continue
      }
      // Values are decoded as a browser decodes them (invalid bytes become U+FFFD), as parse5 sees them.
      const key = skipKey(skip.url)
      this.exact.set(key, [...(this.exact.get(key) ?? []), skip.reason])
    }
  }

  /** Consumes an entry for `href` with one of the `allowed` reasons; returns its reason or null. */
  take(href: string, allowed: ReadonlySet<string>): string | null {
    const key = skipKey(href)
    const reasons = this.exact.get(key) ?? []
    const at = reasons.findIndex((reason) => allowed.has(reason))
    if (at >= 0) return reasons.splice(at, 1)[0]

    const cut = this.truncated.findIndex((t) => key.startsWith(t.prefix) && allowed.has(t.reason))
    if (cut < 0) return null
    return this.truncated.splice(cut, 1)[0].reason
  }

  /** The reasons still recorded for `href`, for a failure message. */
  reasonsFor(href: string): string[] {
    return this.exact.get(skipKey(href)) ?? []
  }
}

// ---------------------------------------------------------------------------
// The test

interface FileResult {
  problems: string[]
  unaccounted: string[]
}

async function checkFile(file: string): Promise<FileResult> {
  const problems: string[] = []
  const unaccounted: string[] = []
  const bytes = new Uint8Array(readFileSync(join(EML_DIR, file)))

  // 1. The message comes back.
  let summary: RewriteSummary
  let outBytes: Uint8Array
  try {
    const result = await h.deps.rewriter.rewriteMessage(bytes, { recipient: RECIPIENT })
    summary = result.summary
    outBytes = result.output
  } catch (error) {
    totals.crashes++
    return { problems: [`rewriteMessage threw: ${(error as Error).stack ?? error}`], unaccounted }
  }
  if (!(outBytes instanceof Uint8Array)) {
    totals.crashes++
    return { problems: ['output is not a Uint8Array'], unaccounted }
  }

  totals.found += summary.found
  totals.rewritten += summary.rewritten
  for (const skip of summary.skipped) bump(totals.skipped, skip.reason)
  for (const flag of summary.flagged) bump(totals.flagged, flag.reason)

  if (bytes.length === 0) {
    if (outBytes.length !== 0) problems.push('empty input did not come back empty')
    return { problems, unaccounted }
  }

  // 2. Raw-level fidelity.
  const input = parseMime(bytes)
  const output = parseMime(outBytes)
  const shape = (m: ParsedMime) => m.leaves.map((l) => `${l.path} ${l.contentType}`).join('\n')
  if (shape(input) !== shape(output)) {
    totals.structure++
    problems.push(`leaves differ:\n${shape(input)}\n  vs\n${shape(output)}`)
    return { problems, unaccounted }
  }

  // README: a message with nothing to rewrite comes out byte-identical.
  if (summary.rewritten === 0 && bytesToBinary(outBytes) !== input.source) {
    totals.changedOutside++
    problems.push('nothing was rewritten, yet the output differs from the input')
  }

  const reencoded = new Set(
    summary.flagged.filter((f) => f.reason === 'reencoded_quoted_printable').map((f) => f.part),
  )
  for (const path of reencoded) {
    const encoding = output.slots.get(path)?.transferEncoding
    if (encoding !== 'quoted-printable') {
      problems.push(
        `part ${path} is flagged reencoded_quoted_printable but its encoding is ${encoding}`,
      )
    }
  }
  const { before, after } = outsideBodies(input, output, reencoded)
  if (before !== after) {
    totals.changedOutside++
    const at = firstDifference(before, after)
    problems.push(
      `bytes outside leaf bodies changed at ${at}: ${excerpt(before, at)} vs ${excerpt(after, at)}`,
    )
  }

  // 3. Decoded-level fidelity, leaf by leaf.
  let outputLinkCount = 0
  /** The targets of each HTML leaf's rewritten links, consumed by step 4. */
  const leafPools = new Map<string, Map<string, number>>()
  for (let i = 0; i < input.leaves.length; i++) {
    const inLeaf = input.leaves[i]
    const outLeaf = output.leaves[i]
    const where = `part ${inLeaf.path} (${inLeaf.contentType})`

    if (anyOurLink.test(inLeaf.decoded)) {
      problems.push(
        `${where}: the input already holds links under our base URL; the checks below cannot tell them apart`,
      )
    }
    const aligned = await alignLeaf(inLeaf.decoded, outLeaf.decoded)
    if (typeof aligned === 'string') {
      totals.textLost++
      problems.push(`${where}: ${aligned}`)
      continue
    }
    totals.linksInOutput += aligned.length
    outputLinkCount += aligned.length

    if (aligned.length === 0) {
      const inSlot = input.slots.get(inLeaf.path)
      const outSlot = output.slots.get(inLeaf.path)
      const raw = (m: ParsedMime, s: typeof inSlot) =>
        s ? m.source.slice(s.bodyStart, s.bodyEnd) : ''
      if (raw(input, inSlot) !== raw(output, outSlot)) {
        totals.changedOutside++
        problems.push(`${where}: no link rewritten, but its raw body changed`)
      }
    }

    const base = inLeaf.contentType === 'text/html' ? htmlBase(inLeaf) : null
    for (const link of aligned) {
      const problem = checkLinkTarget(inLeaf, link, base)
      if (problem !== null) {
        totals.targetMismatches++
        problems.push(`${where}: ${problem}`)
      }
    }

    // 4. Independent discovery (HTML only).
    if (inLeaf.contentType !== 'text/html') continue
    const rewrittenTargets = new Map<string, number>()
    for (const link of aligned) if (link.target !== null) bump(rewrittenTargets, link.target)
    leafPools.set(inLeaf.path, rewrittenTargets)
  }

  if (outputLinkCount !== summary.rewritten) {
    problems.push(
      `summary says ${summary.rewritten} rewritten, the output holds ${outputLinkCount} of our links`,
    )
  }

  // The summary's skipped list is per message, so it is shared by the leaves.
  const skips = new SkipPool(summary)
  for (const inLeaf of input.leaves) {
    const rewrittenTargets = leafPools.get(inLeaf.path)
    if (inLeaf.contentType !== 'text/html' || !rewrittenTargets) continue

    const found = parse5Links(decodeDocument(inLeaf))
    for (const { href, where } of found.hrefs) {
      const expected = expectHref(href, found.base, documentEncoding(inLeaf.charset))
      if (!expected.web) continue
      totals.parse5Links++
      bump(totals.parse5Where, where)

      const target = expected.target
      const left = target === null ? 0 : (rewrittenTargets.get(target) ?? 0)
      if (target !== null && left > 0) {
        rewrittenTargets.set(target, left - 1)
        bump(totals.parse5Accounted, 'rewritten')
        continue
      }
      const reason = skips.take(href, target === null ? SKIPS_WITHOUT_TARGET : SKIPS_WITH_TARGET)
      if (reason !== null) {
        bump(totals.parse5Accounted, reason)
        continue
      }
      const other = skips.reasonsFor(href)
      unaccounted.push(
        `${file} part ${inLeaf.path} (${where}): ${JSON.stringify(href.slice(0, 300))}` +
          ` expected ${target === null ? 'a relative_without_base skip' : JSON.stringify(target.slice(0, 300))}` +
          (other.length > 0 ? `, skipped as ${other.join(', ')}` : ''),
      )
    }
  }

  return { problems, unaccounted }
}

/** The document's base URL as the rewriter reads it: the first `<base href>` the scanner finds. */
function htmlBase(leaf: TextLeaf): string | null {
  const raw = scanHtml(leaf.decoded).baseHref
  return raw === null ? null : decodeAttribute(raw, leaf.charset)
}

describe.skipIf(files.length === 0)('rewriting the shared corpus', () => {
  let started = 0

  beforeAll(() => {
    started = Date.now()
    h = createHarness()
    const base = h.deps.config.baseUrl.href.replace(/\/$/, '')
    const pattern = `${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/r/[A-Za-z0-9_-]+`
    ourLinks = new RegExp(pattern, 'g')
    anyOurLink = new RegExp(pattern)
  })

  afterAll(() => {
    const lost = totals.structure + totals.textLost + totals.targetMismatches
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    console.log(
      `corpus: ${totals.messages} messages in ${seconds} s, ${totals.crashes} crashes, ` +
        `${lost} lost (${totals.structure} structure, ${totals.textLost} text, ${totals.targetMismatches} link targets), ` +
        `${totals.changedOutside} changed bytes outside links, ` +
        `${totals.found} links found, ${totals.rewritten} rewritten (${totals.linksInOutput} in output), ` +
        `${sumOf(totals.skipped)} skipped (${formatCounts(totals.skipped)}), ` +
        `${sumOf(totals.flagged)} parts flagged (${formatCounts(totals.flagged)}), ` +
        `parse5 links ${totals.parse5Links} (${formatCounts(totals.parse5Where)}; ${formatCounts(totals.parse5Accounted)}), ` +
        `unaccounted ${totals.unaccounted.length}` +
        (totals.unaccounted.length > 0
          ? `\n  ${totals.unaccounted.slice(0, MAX_REPORTED).join('\n  ')}`
          : ''),
    )
  })

  it('gives an empty input back as it was', async () => {
    const result = await h.deps.rewriter.rewriteMessage(new Uint8Array(0), { recipient: RECIPIENT })
    expect(result.output).toBeInstanceOf(Uint8Array)
    expect(result.output.length).toBe(0)
  })

  it.each(files)('%s', async (file) => {
    totals.messages++
    const { problems, unaccounted } = await checkFile(file)
    totals.unaccounted.push(...unaccounted)

    const report = [...problems, ...unaccounted.map((u) => `unaccounted link: ${u}`)]
    expect(report.slice(0, MAX_REPORTED), `${file}: ${report.length} problems`).toEqual([])
  })
})
