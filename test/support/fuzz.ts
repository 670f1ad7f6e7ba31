/**
 * Fuzzing the rewriter with mutated messages: flipped bytes, truncations,
 * damaged boundaries, wrong transfer encodings and swapped charsets. Every
 * run uses a fixed seed, so a failure names the case that reproduces it.
 */

import { expect } from 'vitest'

import { binaryToBytes, bytesToBinary } from '../../src/core/bytes.js'
import { configFromEnv } from '../../src/core/config.js'
import { parseMime } from '../../src/core/rewrite/mime.js'
import type { Rewriter } from '../../src/core/rewrite/rewriter.js'
import { createServices } from '../../src/core/services.js'
import { SqlStore } from '../../src/core/sql-store.js'
import { migrationsDir } from '../../src/node/paths.js'
import { migrate, openSqlite } from '../../src/node/sqlite.js'
import { testEnv } from './harness.js'

/** mulberry32: small, fast and good enough to pick mutations reproducibly. */
export function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const CHARSETS = ['utf-16', 'iso-2022-jp', 'utf-7', 'shift_jis', 'x-bogus', 'utf-8 junk', 'koi8-r']
const ENCODINGS = ['base64', 'quoted-printable', '7bit', 'hexa', 'binary']

type Mutation = (input: string, rnd: () => number) => string

const MUTATIONS: [string, Mutation][] = [
  ['flip', flipBytes],
  ['truncate', (input, rnd) => input.slice(0, Math.floor(rnd() * input.length))],
  ['boundary', damageBoundary],
  [
    'encoding',
    (input, rnd) =>
      swapParam(input, /(Content-Transfer-Encoding:[ \t]*)([^\r\n;]*)/gi, ENCODINGS, rnd),
  ],
  ['charset', (input, rnd) => swapParam(input, /(charset=)("?[^;\s"]*"?)/gi, CHARSETS, rnd)],
  [
    'line-ends',
    (input, rnd) => (rnd() < 0.5 ? input.replace(/\r\n/g, '\n') : input.replace(/\r?\n/g, '\r\n')),
  ],
  [
    'splice',
    (input, rnd) =>
      insertAt(input, rnd, pick(['=\r\n', '\x00', '<!--', '<script>', '--', '\x1b$B'], rnd)),
  ],
]

function pick<T>(items: readonly T[], rnd: () => number): T {
  const item = items[Math.floor(rnd() * items.length)]
  if (item === undefined) throw new RangeError('pick from an empty list')
  return item
}

function flipBytes(input: string, rnd: () => number): string {
  const chars = input.split('')
  const flips = 1 + Math.floor(rnd() * 20)
  for (let i = 0; i < flips && chars.length > 0; i++) {
    const at = Math.floor(rnd() * chars.length)
    chars[at] = String.fromCharCode(Math.floor(rnd() * 256))
  }
  return chars.join('')
}

function damageBoundary(input: string, rnd: () => number): string {
  const starts = [...input.matchAll(/\n--[^\r\n]+/g)].map((m) => m.index)
  if (starts.length === 0) return flipBytes(input, rnd)
  const at = pick(starts, rnd) + 1
  const end = input.indexOf('\n', at)
  const line = input.slice(at, end < 0 ? undefined : end)
  const damaged = pick(
    [line.slice(0, -1), line + '-', '', line + line, line.replace('--', '-')],
    rnd,
  )
  return input.slice(0, at) + damaged + input.slice(at + line.length)
}

function swapParam(input: string, pattern: RegExp, values: string[], rnd: () => number): string {
  const matches = [...input.matchAll(pattern)]
  if (matches.length === 0) return insertAt(input, rnd, pick(values, rnd))
  const match = pick(matches, rnd)
  const head = match[1] ?? ''
  const at = match.index + head.length
  return input.slice(0, at) + pick(values, rnd) + input.slice(at + (match[2] ?? '').length)
}

function insertAt(input: string, rnd: () => number, text: string): string {
  const at = Math.floor(rnd() * (input.length + 1))
  return input.slice(0, at) + text + input.slice(at)
}

/** The `index`-th mutation of a message for a seed: reproducible from (seed, index). */
export function mutate(
  input: Uint8Array,
  seed: number,
  index: number,
): { name: string; bytes: Uint8Array } {
  const rnd = random(seed * 100_003 + index)
  const [name, mutation] = pick(MUTATIONS, rnd)
  const twice = rnd() < 0.3
  const first = mutation(bytesToBinary(input), rnd)
  const out = twice ? pick(MUTATIONS, rnd)[1](first, rnd) : first
  return { name, bytes: binaryToBytes(out) }
}

/** A rewriter on in-memory SQLite whose clock moves one tick per read, with a tick budget. */
export function fuzzRewriter(budget: number): { rewriter: Rewriter; reads: () => number } {
  const db = openSqlite(':memory:')
  migrate(db, migrationsDir())
  const config = configFromEnv(testEnv({ CLICKGATE_REWRITE_TIME_MS: String(budget) }), {
    port: 8787,
  })
  let ticks = 0
  const services = createServices(config, new SqlStore(db), { now: () => ticks++ })
  return { rewriter: services.rewriter, reads: () => ticks }
}

/**
 * Rewrites one mutated message and checks what must always hold: no
 * exception, a message back, a re-parsable result, the input unchanged
 * when nothing was rewritten or defanged, and no look at the clock once the
 * time budget is spent (beyond the two reads that stamp findings and links).
 */
export async function checkOne(
  fuzz: ReturnType<typeof fuzzRewriter>,
  budget: number,
  bytes: Uint8Array,
) {
  const before = fuzz.reads()
  const { output, summary } = await fuzz.rewriter.rewriteMessage(bytes)

  expect(output).toBeInstanceOf(Uint8Array)
  expect(() => parseMime(output)).not.toThrow()
  if (summary.rewritten === 0 && summary.defanged.length === 0) {
    expect(bytesToBinary(output) === bytesToBinary(bytes)).toBe(true)
  }
  expect(fuzz.reads() - before).toBeLessThanOrEqual(budget + 4)
  return summary.flagged.some((flag) => flag.reason === 'time_limit')
}
