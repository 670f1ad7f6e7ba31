/**
 * Peak memory while rewriting one message, in a process of its own so that
 * nothing else inflates the figure. Baseline: resident memory after loading
 * the code, warming up on a small message and collecting garbage. Peak: the
 * kernel's high-water mark (VmHWM), reset just before the rewrite.
 *
 * Usage: node --expose-gc dist/bench/memory.js FILE
 */

import { readFileSync, writeFileSync } from 'node:fs'

import { benchServices } from './services.js'

function highWaterMark(): number {
  const status = readFileSync('/proc/self/status', 'utf8')
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1]
  return Number(kb ?? 0) * 1024
}

async function main(file: string): Promise<void> {
  const message = new Uint8Array(readFileSync(file))
  const { rewriter } = benchServices()
  await rewriter.rewriteMessage(
    new TextEncoder().encode('Content-Type: text/html\r\n\r\n<a href="https://a.example/">a</a>'),
  )

  globalThis.gc?.()
  const baseline = process.memoryUsage().rss
  // Writing 5 to clear_refs resets the high-water mark to the current resident size (Linux).
  writeFileSync('/proc/self/clear_refs', '5')

  const { summary } = await rewriter.rewriteMessage(message)
  const peak = highWaterMark()
  const mib = (n: number) => (n / 1024 / 1024).toFixed(1)
  console.log(
    `memory: rewriting ${(message.length / 1e6).toFixed(2)} MB (${summary.rewritten} links) peaked ` +
      `${mib(peak - baseline)} MiB above a ${mib(baseline)} MiB baseline (goal < 64 MiB)`,
  )
}

await main(process.argv[2] ?? '')
