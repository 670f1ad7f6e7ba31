import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { CLI, requireBuild, startServer } from '../support/server.js'

describe('starting with nothing configured', () => {
  it('creates a development key ring, tokens and database under ./data and says where', async () => {
    const server = await startServer()
    try {
      const secretsFile = join(server.dir, 'data', 'dev-secrets.json')
      const secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, string>
      const devLog = server.logs.find((l) => l.event === 'dev.defaults')

      expect(Object.keys(secrets).sort()).toEqual([
        'CLICKGATE_ADMIN_TOKEN',
        'CLICKGATE_HASH_SECRET',
        'CLICKGATE_KEYS',
        'CLICKGATE_REWRITE_TOKEN',
      ])
      expect(statSync(secretsFile).mode & 0o077).toBe(0)
      expect(devLog).toMatchObject({ secretsFile })
      expect(JSON.stringify(server.logs)).not.toContain(secrets.CLICKGATE_ADMIN_TOKEN)

      const health = await fetch(`${server.baseUrl}/healthz`, {
        headers: { Authorization: `Bearer ${secrets.CLICKGATE_ADMIN_TOKEN}` },
      })
      expect(await health.json()).toMatchObject({ status: 'ok', keyIds: ['dev1'] })
    } finally {
      await server.stop()
    }
  })

  it('reports a busy port clearly instead of crashing', async () => {
    const first = await startServer()
    try {
      const port = new URL(first.baseUrl).port
      const cwd = mkdtempSync(join(tmpdir(), 'clickgate-busy-'))

      const second = spawnSync(process.execPath, [CLI, 'serve'], {
        cwd,
        env: { PATH: process.env.PATH ?? '', PORT: port },
        encoding: 'utf8',
        timeout: 15_000,
      })

      expect(second.status).toBe(1)
      expect(second.stderr).toContain(`cannot listen on 127.0.0.1:${port} (EADDRINUSE)`)
      expect(second.stderr).not.toContain('    at ')
    } finally {
      await first.stop()
    }
  })

  it('refuses to start in production and names every missing setting', () => {
    requireBuild()

    const cwd = mkdtempSync(join(tmpdir(), 'clickgate-prod-'))
    const result = spawnSync(process.execPath, [CLI, 'serve'], {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        CLICKGATE_BASE_URL: 'http://x.example',
      },
      encoding: 'utf8',
    })

    expect(result.status).toBe(1)
    for (const name of [
      'CLICKGATE_BASE_URL (an https URL)',
      'CLICKGATE_KEYS',
      'CLICKGATE_HASH_SECRET',
      'CLICKGATE_ADMIN_TOKEN',
      'CLICKGATE_REWRITE_TOKEN',
      'CLICKGATE_DB',
    ]) {
      expect(result.stderr).toContain(name)
    }
    expect(existsSync(join(cwd, 'data'))).toBe(false)
  })
})
