/**
 * The README's "Deploying to Workers" steps in their local form, against the
 * real `wrangler dev`: fresh secrets from `clickgate keygen --env`, the
 * migrations applied to local D1 by `wrangler d1 migrations apply --local`,
 * then the sample alert rewritten, one domain blocked and every link clicked.
 */

import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import PostalMime from 'postal-mime'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { CLI, freePort, requireBuild } from '../support/server.js'
import { type DevServer, wrangler, wranglerDev } from '../support/wrangler.js'
import { EXPECTED_HTML_CLICKS, SAMPLE_ALERT } from '../shared/http/alert.js'

let dir: string
let dev: DevServer
let base: string
let secrets: Record<string, string>

function linksIn(text: string): string[] {
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return [...text.matchAll(new RegExp(`${escaped}/r/[A-Za-z0-9_-]+`, 'g'))].map((m) => m[0])
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return
    await new Promise((done) => setTimeout(done, 50))
  }
  throw new Error(`never happened: ${what}\n${dev.output()}`)
}

beforeAll(async () => {
  requireBuild()
  dir = mkdtempSync(join(tmpdir(), 'clickgate-wrangler-'))
  const port = await freePort()
  base = `http://127.0.0.1:${port}`

  const generated = spawnSync(process.execPath, [CLI, 'keygen', '--env', '--id', 'e2e'], {
    encoding: 'utf8',
  })
  writeFileSync(join(dir, 'secrets.env'), generated.stdout, { mode: 0o600 })
  secrets = Object.fromEntries(
    generated.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/=(.*)/s, 2)),
  )

  const state = join(dir, 'state')
  wrangler(['d1', 'migrations', 'apply', 'clickgate', '--local', '--persist-to', state])
  dev = await wranglerDev([
    ...['--ip', '127.0.0.1', '--port', String(port), '--persist-to', state],
    ...['--env-file', join(dir, 'secrets.env'), '--var', `CLICKGATE_BASE_URL:${base}`],
    '--show-interactive-dev-session=false',
  ])
}, 180_000)

afterAll(async () => {
  await dev?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('wrangler dev with the README steps', () => {
  it('runs the Worker over the migrated local D1', async () => {
    const admin = { Authorization: `Bearer ${secrets.CLICKGATE_ADMIN_TOKEN}` }
    const health = (await (await fetch(`${base}/healthz`, { headers: admin })).json()) as Record<
      string,
      unknown
    >

    expect(health).toMatchObject({ status: 'ok', runtime: 'workers', keyIds: ['e2e'] })
  })

  it('rewrites the sample alert and clicks through it as on Node', async () => {
    const admin = { Authorization: `Bearer ${secrets.CLICKGATE_ADMIN_TOKEN}` }
    const rule = await fetch(`${base}/api/v1/rules`, {
      method: 'POST',
      headers: { ...admin, 'Content-Type': 'application/json' },
      body: JSON.stringify({ action: 'block', type: 'domain', value: 'contoso-security.example' }),
    })
    const rewritten = await fetch(`${base}/api/v1/rewrite`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${secrets.CLICKGATE_REWRITE_TOKEN}`,
        'Content-Type': 'message/rfc822',
        'Clickgate-Recipient': 'a.user@contoso.example',
      },
      body: SAMPLE_ALERT,
    })
    const links = linksIn((await PostalMime.parse(await rewritten.text())).html ?? '')

    const answers = []
    for (const link of links) {
      const response = await fetch(link, { redirect: 'manual' })
      answers.push([response.status, response.headers.get('Location')])
    }

    expect(rule.status).toBe(201)
    expect(rewritten.status).toBe(200)
    expect(answers).toEqual(EXPECTED_HTML_CLICKS)
    await until(() => (dev.output().match(/"event":"click"/g) ?? []).length === 7, 'clicks logged')
    expect(dev.output()).not.toContain('a.user@contoso.example')
  })

  it('answers a tampered link with the 404 page', async () => {
    const response = await fetch(`${base}/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAA`)

    expect(response.status).toBe(404)
    expect(await response.text()).toContain('This link is not valid')
  })

  it('takes the same secrets file for wrangler deploy --secrets-file', () => {
    const out = join(dir, 'bundle')

    const output = wrangler([
      'deploy',
      '--dry-run',
      '--outdir',
      out,
      '--secrets-file',
      join(dir, 'secrets.env'),
    ])

    for (const name of Object.keys(secrets)) {
      expect(output).toMatch(new RegExp(`env\\.${name} \\("\\(hidden\\)"\\)`))
    }
    expect(Object.keys(secrets).sort()).toEqual([
      'CLICKGATE_ADMIN_TOKEN',
      'CLICKGATE_HASH_SECRET',
      'CLICKGATE_KEYS',
      'CLICKGATE_REWRITE_TOKEN',
    ])
  })

  it('runs the cron upkeep through the local queue', async () => {
    const trigger = await fetch(`${base}/cdn-cgi/handler/scheduled?cron=17+*+*+*+*`)

    expect(trigger.status).toBe(200)
    await until(
      () => dev.output().includes('"event":"job.done","kind":"prune_clicks"'),
      'prune job',
    )
    expect(dev.output()).toContain('"event":"feeds.synced"')
  })
})
