/**
 * The full fuzzing run: at least 10,000 mutated copies of corpus messages
 * (flipped bytes, truncations, damaged boundaries, wrong transfer encodings,
 * swapped charsets, line-end changes, spliced junk). The rewriter never
 * throws, always returns a message, and stops looking at its clock once the
 * per-message time budget is spent. Fixed seed: a failure is reproducible
 * from the file name and the mutation index.
 */

import { afterAll, describe, expect, it } from 'vitest'

import { checkOne, fuzzRewriter, mutate } from '../support/fuzz.js'
import { HAS_CORPUS, corpusFiles, readCorpus } from './support.js'

const SEED = 3
const TOTAL = 10_240
const BUDGETS = [2, 40, 1_000_000]
/** Messages above this size get PER_LARGE mutations, so the run stays a few minutes long. */
const LARGE_BYTES = 300_000
const PER_LARGE = 6

describe.skipIf(!HAS_CORPUS)('fuzzing the rewriter with mutated corpus messages', () => {
  const files = corpusFiles()
  const sizes = new Map(files.map((file) => [file, readCorpus(file).length]))
  const large = files.filter((file) => (sizes.get(file) ?? 0) > LARGE_BYTES).length
  // Large messages get a few mutations each; the small ones make up the count.
  const perSmall = Math.ceil((TOTAL - large * PER_LARGE) / Math.max(1, files.length - large))
  const perFile = (file: string) => ((sizes.get(file) ?? 0) > LARGE_BYTES ? PER_LARGE : perSmall)
  const rewriters = BUDGETS.map((budget) => ({ budget, fuzz: fuzzRewriter(budget) }))
  const totals = { messages: 0, timedOut: 0, kinds: new Map<string, number>() }

  afterAll(() => {
    const kinds = [...totals.kinds].map(([k, n]) => `${k} ${n}`).join(', ')
    console.log(
      `fuzz: ${totals.messages} mutated messages (${kinds}), 0 crashes, ${totals.timedOut} stopped by the time limit`,
    )
  })

  it.each(files)('%s', async (file) => {
    const input = readCorpus(file)
    for (let i = 0; i < perFile(file); i++) {
      const { name, bytes } = mutate(input, SEED, i)
      const entry = rewriters[i % rewriters.length]
      if (entry === undefined) throw new RangeError('no rewriter')

      if (await checkOne(entry.fuzz, entry.budget, bytes)) totals.timedOut++
      totals.messages++
      totals.kinds.set(name, (totals.kinds.get(name) ?? 0) + 1)
    }
    expect(totals.messages).toBeGreaterThan(0)
  })

  it('ran at least 10,000 messages', () => {
    expect(totals.messages).toBeGreaterThanOrEqual(10_000)
  })
})
