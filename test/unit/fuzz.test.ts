/**
 * A small fixed-seed slice of the fuzzing run (the full run, 10,000+ mutated
 * corpus messages, is in test/corpus/fuzz.test.ts): mutated copies of this
 * project's own fixtures, plus the first corpus files when the corpus is there.
 */

import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { HAS_CORPUS, corpusFiles, readCorpus } from '../corpus/support.js'
import { checkOne, fuzzRewriter, mutate } from '../support/fuzz.js'

const FIXTURES = join(import.meta.dirname, '../fixtures')
const SEED = 20261203
const PER_MESSAGE = 40
const BUDGETS = [2, 30, 100_000]

function inputs(): [string, Uint8Array][] {
  const own = ['sample-alert.eml', ...readdirSync(join(FIXTURES, 'mime')).map((f) => `mime/${f}`)]
  const mine = own.map((name): [string, Uint8Array] => [
    name,
    new Uint8Array(readFileSync(join(FIXTURES, name))),
  ])
  // The first few small corpus files: the slice must stay quick.
  const corpus = HAS_CORPUS
    ? corpusFiles()
        .filter((name) => readCorpus(name).length < 40_000)
        .slice(0, 4)
    : []
  return [...mine, ...corpus.map((name): [string, Uint8Array] => [name, readCorpus(name)])]
}

describe('fuzzing slice (fixed seed)', () => {
  const rewriters = BUDGETS.map((budget) => ({ budget, fuzz: fuzzRewriter(budget) }))
  const rewriterFor = (i: number) => {
    const entry = rewriters[i % rewriters.length]
    if (entry === undefined) throw new RangeError('no rewriter')
    return entry
  }

  it.each(inputs())('%s: mutated copies never throw and always come back', async (_name, input) => {
    let timedOut = 0
    for (let i = 0; i < PER_MESSAGE; i++) {
      const { bytes } = mutate(input, SEED, i)
      const { budget, fuzz } = rewriterFor(i)
      if (await checkOne(fuzz, budget, bytes)) timedOut++
    }
    expect(timedOut).toBeLessThan(PER_MESSAGE)
  })
})
