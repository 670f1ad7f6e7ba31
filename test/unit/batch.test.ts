/**
 * Many recipients: one message in, one copy per recipient out, each with its
 * own click context, from the library, the API and the CLI. The message is
 * parsed once however many recipients there are.
 */

import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, it, vi } from 'vitest'

import { bytesToBinary } from '../../src/core/bytes.js'
import * as mime from '../../src/core/rewrite/mime.js'
import { verifyToken } from '../../src/core/tokens.js'
import { REWRITE_TOKEN, bearer, createHarness, testEnv } from '../support/harness.js'
import { signedLinks, targetsIn } from '../support/links.js'
import { message } from '../support/mail.js'
import { CLI, requireBuild } from '../support/server.js'

vi.mock('../../src/core/rewrite/mime.js', { spy: true })

const ALERT = message(
  'text/html; charset=utf-8',
  'quoted-printable',
  '<a href=3D"https://a.example/one">1</a> <a href=3D"https://b.example/two?x=3D1">2</a>\n',
)
const RECIPIENTS = ['ann@example.com', 'bob@example.com', 'cy@example.com']

async function recipientRefs(text: string, h: ReturnType<typeof createHarness>) {
  const refs = new Set<string | undefined>()
  for (const link of signedLinks(text, h.deps)) {
    const result = await verifyToken(h.deps.config.ring, link.split('/r/')[1] ?? '', 2e9)
    refs.add(result.ok ? result.claims.recipientRef : 'invalid')
  }
  return [...refs]
}

describe('Rewriter.rewriteMessageBatch', () => {
  it('writes one copy per recipient from one parse and one registration', async () => {
    const h = createHarness()
    vi.mocked(mime.parseMime).mockClear()

    const batch = await h.deps.rewriter.rewriteMessageBatch(ALERT, RECIPIENTS)
    const copies = []
    for await (const copy of batch.messages) copies.push(copy)

    expect(mime.parseMime).toHaveBeenCalledTimes(1)
    expect(copies.map((c) => c.recipient)).toEqual(RECIPIENTS)
    expect(batch.summary).toMatchObject({ found: 2, rewritten: 2 })
    expect(await h.deps.store.counts()).toMatchObject({ links: 2, messages: 1 })

    for (const [i, copy] of copies.entries()) {
      const text = bytesToBinary(copy.output)
      expect(await targetsIn(text.replace(/=\r\n/g, ''), h.deps)).toEqual([
        'https://a.example/one',
        'https://b.example/two?x=1',
      ])
      const refs = await recipientRefs(text.replace(/=\r\n/g, ''), h)
      expect(refs).toEqual([await h.deps.hasher.recipientRef(RECIPIENTS[i] ?? '')])
    }
  })

  it('gives the same copy as rewriting for that recipient alone', async () => {
    const h = createHarness()

    const batch = await h.deps.rewriter.rewriteMessageBatch(ALERT, ['ann@example.com'])
    const single = await h.deps.rewriter.rewriteMessage(ALERT, { recipient: 'ann@example.com' })
    const copies = []
    for await (const copy of batch.messages) copies.push(copy)
    const [copy] = copies

    expect(copy && bytesToBinary(copy.output)).toBe(bytesToBinary(single.output))
  })
})

describe('POST /api/v1/rewrite/batch', () => {
  function form(recipients: string) {
    const body = new FormData()
    body.set('message', new Blob([new Uint8Array(ALERT)], { type: 'message/rfc822' }))
    body.set('recipients', recipients)
    return body
  }

  it('streams one NDJSON line per recipient', async () => {
    const h = createHarness()

    const res = await h.app.request('/api/v1/rewrite/batch', {
      method: 'POST',
      headers: bearer(REWRITE_TOKEN),
      body: form(RECIPIENTS.join('\n') + '\n\n'),
    })
    const lines = (await res.text()).trim().split('\n')
    const copies = lines.map((line) => JSON.parse(line) as { recipient: string; message: string })

    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('application/x-ndjson')
    expect(JSON.parse(res.headers.get('Clickgate-Summary') ?? '')).toMatchObject({ rewritten: 2 })
    expect(copies.map((c) => c.recipient)).toEqual(RECIPIENTS)
    for (const copy of copies)
      expect(signedLinks(copy.message.replace(/=\r\n/g, ''), h.deps)).toHaveLength(2)
  })

  it('rejects a request without recipients or with too many', async () => {
    const h = createHarness()
    const send = (recipients: string) =>
      h.app.request('/api/v1/rewrite/batch', {
        method: 'POST',
        headers: bearer(REWRITE_TOKEN),
        body: form(recipients),
      })

    expect((await send('\n')).status).toBe(400)
    expect((await send('a@example.com\n'.repeat(10_001))).status).toBe(400)
  })
})

describe('POST /r/:token (a submitted form)', () => {
  it('answers 303 to the same link without reading the form', async () => {
    const h = createHarness()

    const res = await h.app.request('/r/abc_DEF-1', { method: 'POST', body: 'password=hunter2' })

    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('https://go.clickgate.example/r/abc_DEF-1')
  })
})

describe('clickgate rewrite --recipients', () => {
  it('writes one .eml per recipient and an index', () => {
    requireBuild()
    const dir = mkdtempSync(join(tmpdir(), 'clickgate-batch-'))
    writeFileSync(join(dir, 'alert.eml'), ALERT)
    writeFileSync(join(dir, 'list.txt'), RECIPIENTS.join('\n'))
    const env = { PATH: process.env.PATH ?? '', CLICKGATE_DB: join(dir, 'db.sqlite'), ...testEnv() }

    const result = spawnSync(
      process.execPath,
      [CLI, 'rewrite', 'alert.eml', '--recipients', 'list.txt', '--out-dir', 'out'],
      { cwd: dir, env, encoding: 'utf8' },
    )

    expect(result.status).toBe(0)
    expect(JSON.parse(result.stderr)).toMatchObject({ rewritten: 2 })
    expect(readFileSync(join(dir, 'out/index.tsv'), 'utf8')).toBe(
      '00001.eml\tann@example.com\n00002.eml\tbob@example.com\n00003.eml\tcy@example.com\n',
    )
    const copy = readFileSync(join(dir, 'out/00002.eml'), 'latin1')
    expect(copy).toContain('https://go.clickgate.example/r/')
    expect(copy).not.toContain('https://a.example/one')
  })
})
