/** The Worker bundle stays within its 512 KiB gzipped budget (scripts/bundle-size.mjs). */

import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { ROOT } from '../support/server.js'
import { OFFLINE_ENV } from '../support/wrangler.js'

interface BundleSize {
  rawBytes: number
  gzipBytes: number
  limitBytes: number
  modules: string[]
}

function checkBundle(args: string[] = []) {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts/bundle-size.mjs'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? ROOT, ...OFFLINE_ENV },
  })
  const size = JSON.parse(result.stdout) as BundleSize
  return { status: result.status, stderr: result.stderr, size }
}

describe('the Worker bundle', () => {
  it('builds with wrangler deploy --dry-run and gzips to at most 512 KiB', () => {
    const { status, stderr, size } = checkBundle()

    expect(stderr).toBe('')
    expect(status).toBe(0)
    expect(size.limitBytes).toBe(512 * 1024)
    expect(size.modules).toEqual(['worker.js'])
    expect(size.gzipBytes).toBeGreaterThan(10_000)
    expect(size.gzipBytes).toBeLessThanOrEqual(size.limitBytes)
  })

  it('fails the check when the bundle is over the limit', () => {
    const { status, stderr, size } = checkBundle(['--limit', '1000'])

    expect(status).toBe(1)
    expect(stderr).toBe(`the Worker bundle is ${size.gzipBytes} bytes gzipped, over 1000\n`)
  })
})
