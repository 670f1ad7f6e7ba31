/**
 * `npm run bench`: rewrite throughput over the corpus, against the ceilings
 * and peers named in issue 3, in one run on the same inputs:
 *
 * - the htmlparser2 tokenizer alone with empty callbacks (the ceiling for a
 *   byte-preserving rewrite built on it);
 * - lol-html through html-rewriter-wasm doing the same href replacement;
 * - parse5 with source locations;
 * - our HTML rewrite (scan, classify, splice), and the whole pipeline on
 *   whole messages with real SQLite and signed tokens;
 * - the cost of each extra recipient in a batch, against the first;
 * - peak memory while rewriting the largest corpus message (a child process).
 *
 * Reads the corpus from $CORPUS_DIR (default ../shared/corpus). Prints a
 * table and the goal ratios; exits 0 whatever the figures, since timings
 * belong in a report, not in a pass/fail test.
 */

import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'

import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2'
import { HTMLRewriter } from 'html-rewriter-wasm'
import { parse } from 'parse5'

import { binaryToBytes } from '../src/core/bytes.js'
import { parseMime } from '../src/core/rewrite/mime.js'
import { applyEdits, planHtml } from '../src/core/rewrite/plan.js'
import { benchServices } from './services.js'

const ROOT = resolve(import.meta.dirname, '../..')
const CORPUS = resolve(process.env.CORPUS_DIR ?? join(ROOT, '../shared/corpus'), 'eml')
/** Seconds each measurement runs for; enough for a steady figure on two cores. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3)
const LINK = 'https://go.clickgate.example/r/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEf'
const CLASSIFY = { baseUrl: new URL('https://go.clickgate.example'), noRewriteHosts: [] }

interface Inputs {
  messages: Uint8Array[]
  /** HTML parts after transfer decoding, as binary strings (one code unit per byte). */
  html: string[]
  htmlBytes: Uint8Array[]
  /** Parts lol-html refuses (its streaming parser stops on some ambiguous markup). */
  refused: number
}

async function loadCorpus(): Promise<Inputs> {
  const messages = readdirSync(CORPUS)
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((f) => new Uint8Array(readFileSync(join(CORPUS, f))))
  const all = messages.flatMap((bytes) =>
    parseMime(bytes)
      .leaves.filter((leaf) => leaf.contentType === 'text/html')
      .map((leaf) => leaf.decoded),
  )
  // Every tool gets the same inputs: the parts lol-html can rewrite at all.
  const accepted: string[] = []
  for (const doc of all) if (await lolHtmlAccepts(binaryToBytes(doc))) accepted.push(doc)
  return {
    messages,
    html: accepted,
    htmlBytes: accepted.map(binaryToBytes),
    refused: all.length - accepted.length,
  }
}

async function lolHtmlAccepts(doc: Uint8Array): Promise<boolean> {
  try {
    await lolHtmlAll([doc])
    return true
  } catch {
    // lol-html throws on markup its streaming parser finds ambiguous (e.g. `<noframes>` in odd places).
    return false
  }
}

/** Runs `round` (one pass over the inputs) for SECONDS; MB/s over `bytes` per pass. */
async function throughput(bytes: number, round: () => unknown): Promise<number> {
  await round()
  const start = performance.now()
  let passes = 0
  while (performance.now() - start < SECONDS * 1000) {
    await round()
    passes++
  }
  const seconds = (performance.now() - start) / 1000
  return (bytes * passes) / seconds / 1e6
}

const EMPTY: TokenizerCallbacks = {
  onattribdata() {},
  onattribentity() {},
  onattribend() {},
  onattribname() {},
  oncdata() {},
  onclosetag() {},
  oncomment() {},
  ondeclaration() {},
  onend() {},
  onopentagend() {},
  onopentagname() {},
  onprocessinginstruction() {},
  onselfclosingtag() {},
  ontext() {},
  ontextentity() {},
}

function tokenizeAll(html: string[]): void {
  for (const doc of html) {
    const tokenizer = new Tokenizer({ decodeEntities: false }, EMPTY)
    tokenizer.write(doc)
    tokenizer.end()
  }
}

/** Our HTML rewrite without storage: scan, classify, splice one link per target. */
function rewriteAll(html: string[]): void {
  for (const doc of html) {
    const plan = planHtml(doc, (raw) => raw, { classify: CLASSIFY })
    const links = new Map(plan.edits.map((edit) => [edit.target, LINK]))
    applyEdits(doc, plan.edits, links)
  }
}

/** lol-html: the same replacement of every a/area href. */
async function lolHtmlAll(html: Uint8Array[]): Promise<void> {
  for (const doc of html) {
    const chunks: Uint8Array[] = []
    const rewriter = new HTMLRewriter((chunk) => chunks.push(chunk))
    rewriter.on('a[href], area[href]', {
      element(element) {
        element.setAttribute('href', LINK)
      },
    })
    try {
      await rewriter.write(doc)
      await rewriter.end()
    } finally {
      rewriter.free()
    }
  }
}

function parse5All(html: string[]): void {
  for (const doc of html) parse(doc, { sourceCodeLocationInfo: true, scriptingEnabled: false })
}

const total = (items: { length: number }[]) => items.reduce((sum, item) => sum + item.length, 0)

async function measureThroughput(inputs: Inputs) {
  const htmlBytes = total(inputs.html)
  const { rewriter } = benchServices()

  const tokenizer = await throughput(htmlBytes, () => tokenizeAll(inputs.html))
  const ours = await throughput(htmlBytes, () => rewriteAll(inputs.html))
  const lolHtml = await throughput(htmlBytes, () => lolHtmlAll(inputs.htmlBytes))
  const parse5 = await throughput(htmlBytes, () => parse5All(inputs.html))
  const messages = await throughput(total(inputs.messages), async () => {
    for (const message of inputs.messages) await rewriter.rewriteMessage(message)
  })
  return { htmlBytes, tokenizer, ours, lolHtml, parse5, messages }
}

/**
 * Extra cost per recipient: (T(1 + N recipients) − T(1)) / N against T(1),
 * over the corpus messages with links, each timed with a fresh message id.
 */
async function measureBatch(inputs: Inputs, extra = 100) {
  const { rewriter } = benchServices()
  const recipients = Array.from({ length: extra + 1 }, (_, i) => `user${i}@example.com`)
  let first = 0
  let more = 0

  for (const [i, message] of inputs.messages.entries()) {
    const t0 = performance.now()
    const single = await rewriter.rewriteMessageBatch(message, recipients.slice(0, 1), {
      messageId: `bench-a-${i}@example`,
    })
    for await (const _copy of single.messages) void _copy
    const t1 = performance.now()
    if (single.summary.rewritten === 0) continue

    const batch = await rewriter.rewriteMessageBatch(message, recipients, {
      messageId: `bench-b-${i}@example`,
    })
    for await (const _copy of batch.messages) void _copy
    const t2 = performance.now()
    first += t1 - t0
    more += t2 - t1 - (t1 - t0)
  }
  const perExtra = more / extra
  return { firstMs: first, perExtraMs: perExtra, ratio: perExtra / first }
}

function measureMemory(inputs: Inputs): string {
  const sizes = inputs.messages.map((m) => m.length)
  const largest = sizes.indexOf(Math.max(...sizes))
  const file = readdirSync(CORPUS)
    .filter((f) => f.endsWith('.eml'))
    .sort()[largest]
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', join(import.meta.dirname, 'memory.js'), join(CORPUS, file ?? '')],
    { encoding: 'utf8' },
  )
  return child.status === 0 ? child.stdout.trim() : `memory probe failed: ${child.stderr}`
}

async function main(): Promise<void> {
  const inputs = await loadCorpus()
  const mb = (n: number) => `${n.toFixed(1)} MB/s`
  console.log(
    `corpus: ${inputs.messages.length} messages, ${(total(inputs.messages) / 1e6).toFixed(1)} MB; ` +
      `${inputs.html.length} HTML parts, ${(total(inputs.html) / 1e6).toFixed(1)} MB ` +
      `(${inputs.refused} left out: lol-html refuses them); ${SECONDS} s per figure`,
  )

  const t = await measureThroughput(inputs)
  console.log(`htmlparser2 tokenizer, empty callbacks   ${mb(t.tokenizer)}`)
  console.log(`clickgate HTML rewrite (scan+classify+splice) ${mb(t.ours)}`)
  console.log(`lol-html (html-rewriter-wasm), same hrefs ${mb(t.lolHtml)}`)
  console.log(`parse5 with source locations             ${mb(t.parse5)}`)
  console.log(`clickgate whole messages (SQLite, signed) ${mb(t.messages)}`)
  console.log(
    `ratios: ${(t.ours / t.tokenizer).toFixed(2)}x tokenizer (goal >= 0.5), ` +
      `${(t.ours / t.lolHtml).toFixed(2)}x lol-html (goal >= 2.5)`,
  )

  const b = await measureBatch(inputs)
  console.log(
    `batch: first recipient ${b.firstMs.toFixed(0)} ms over the corpus, each extra ${b.perExtraMs.toFixed(1)} ms ` +
      `= ${(100 * b.ratio).toFixed(1)}% of the first (goal <= 10%)`,
  )
  console.log(measureMemory(inputs))
}

await main()
