#!/usr/bin/env node
/**
 * Builds the Worker exactly as `wrangler deploy` would upload it
 * (`--dry-run --outdir`), gzips its modules and fails when they exceed the
 * project's budget of 512 KiB gzipped: far below Cloudflare's script size
 * limits, and small enough that an isolate starts fast on a cold click.
 * Prints one JSON line: {"rawBytes", "gzipBytes", "limitBytes", "modules"}.
 */

import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const DEFAULT_LIMIT_BYTES = 512 * 1024

/** `--limit BYTES` overrides the budget, so a test can see the check fail. */
function limitBytes(args) {
  const at = args.indexOf('--limit')
  if (at === -1) return DEFAULT_LIMIT_BYTES
  const value = Number(args[at + 1])
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error('--limit takes a positive byte count')
  return value
}
const root = dirname(dirname(fileURLToPath(import.meta.url)))

function build(outdir) {
  const wrangler = join(root, 'node_modules/wrangler/bin/wrangler.js')
  const result = spawnSync(
    process.execPath,
    [wrangler, 'deploy', '--dry-run', '--outdir', outdir],
    {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        WRANGLER_SEND_ERROR_REPORTS: 'false',
        WRANGLER_HIDE_BANNER: 'true',
      },
    },
  )
  if (result.status !== 0)
    throw new Error(`wrangler deploy --dry-run failed:\n${result.stdout}${result.stderr}`)
}

function measure(outdir, limit) {
  // Source maps and wrangler's README are not uploaded as code.
  const modules = readdirSync(outdir).filter((name) => /\.(m?js|wasm)$/.test(name))
  const bytes = modules.map((name) => readFileSync(join(outdir, name)))
  return {
    rawBytes: bytes.reduce((sum, b) => sum + b.length, 0),
    gzipBytes: bytes.reduce((sum, b) => sum + gzipSync(b, { level: 9 }).length, 0),
    limitBytes: limit,
    modules,
  }
}

const outdir = mkdtempSync(join(tmpdir(), 'clickgate-bundle-'))
try {
  const limit = limitBytes(process.argv.slice(2))
  build(outdir)
  const size = measure(outdir, limit)
  process.stdout.write(JSON.stringify(size) + '\n')
  if (size.gzipBytes > limit) {
    process.stderr.write(`the Worker bundle is ${size.gzipBytes} bytes gzipped, over ${limit}\n`)
    process.exitCode = 1
  }
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : err}\n`)
  process.exitCode = 2
} finally {
  rmSync(outdir, { recursive: true, force: true })
}
