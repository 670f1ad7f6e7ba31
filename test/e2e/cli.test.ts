/** The `clickgate` command as a user runs it: the built binary, a temporary data directory. */

import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { CLI, ROOT, requireBuild } from '../support/server.js'

const ALERT = join(ROOT, 'test/fixtures/sample-alert.eml')
let cwd: string

function run(args: string[], input?: string | Buffer) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    input,
    env: { PATH: process.env.PATH ?? '', CLICKGATE_BASE_URL: 'https://go.example.net' },
  })
  return {
    status: result.status,
    stdout: result.stdout.toString('latin1'),
    stderr: result.stderr.toString(),
  }
}

beforeAll(() => {
  requireBuild()
  cwd = mkdtempSync(join(tmpdir(), 'clickgate-cli-'))
})

afterAll(() => {
  rmSync(cwd, { recursive: true, force: true })
})

describe('clickgate CLI', () => {
  it('rewrites a message from a file: message on stdout, summary on stderr', () => {
    const { status, stdout, stderr } = run(['rewrite', ALERT, '--recipient', 'a@contoso.example'])

    expect(status).toBe(0)
    expect(stdout).toContain(
      'Message-ID: <alert-5521.20261203001241@accountprotection.microsoft.example>',
    )
    expect(JSON.parse(stderr)).toMatchObject({ found: 14, rewritten: 11, flagged: [] })
  })

  it('reads standard input and gives the same summary', () => {
    const { status, stderr } = run(['rewrite'], readFileSync(ALERT))

    expect(status).toBe(0)
    expect(JSON.parse(stderr)).toMatchObject({ found: 14, rewritten: 11 })
  })

  it('takes bare HTML and text bodies', () => {
    const html = run(['rewrite', '--html'], '<a href="https://a.example/">a</a>')
    const text = run(['rewrite', '--text'], 'see https://a.example/.')

    expect(html.stdout).toMatch(/^<a href="https:\/\/go\.example\.net\/r\/[\w-]+">a<\/a>$/)
    expect(text.stdout).toMatch(/^see https:\/\/go\.example\.net\/r\/[\w-]+\.$/)
  })

  it('decodes a link it wrote, and lists the links of a rewritten message', () => {
    const rewritten = run(
      ['rewrite', '--html', '--message-id', 'm@x.example', '--recipient', 'b@x.example'],
      '<a href="https://a.example/p?q=1">a</a>',
    )
    const link = /https:\/\/go\.example\.net\/r\/[\w-]+/.exec(rewritten.stdout)?.[0] ?? ''

    const decoded = run(['decode', link])
    const listed = run(['links', '-'], rewritten.stdout)

    expect(decoded.status).toBe(0)
    expect(JSON.parse(decoded.stdout)).toMatchObject({
      target: 'https://a.example/p?q=1',
      keyId: 'dev1',
      messageRef: expect.any(Number),
      recipientRef: expect.stringMatching(/^[0-9a-f]{12}$/),
    })
    expect(JSON.parse(decoded.stdout).issuedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/)
    expect(listed.stdout).toBe(`${link}\thttps://a.example/p?q=1\n`)
  })

  it('exits 1 with an error for an invalid link', () => {
    const { status, stderr, stdout } = run([
      'decode',
      'https://go.example.net/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ])

    expect(status).toBe(1)
    expect(stderr).toContain('invalid link')
    expect(stdout).toBe('')
  })

  it('says so when bare HTML is rewritten as a message', () => {
    const { status, stdout, stderr } = run(['rewrite'], '<a href="https://evil.example/">x</a>')

    expect(status).toBe(0)
    expect(stdout).toBe('<a href="https://evil.example/">x</a>')
    expect(stderr).toContain('use --html or --text')
  })

  it('prints help for a subcommand and the version', () => {
    expect(run(['rewrite', '--help']).stdout).toContain('usage: clickgate')
    expect(run(['--version']).stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
  })

  it('prints a full production secret set', () => {
    const { stdout } = run(['keygen', '--env', '--id', 'p1'])

    expect(stdout).toMatch(/^CLICKGATE_KEYS=p1:[\w-]{43}\nCLICKGATE_HASH_SECRET=[\w-]{43}\n/)
    expect(stdout).toContain('CLICKGATE_ADMIN_TOKEN=')
  })

  it('exits 1 for bad usage and 2 for unreadable input', () => {
    expect(run(['frobnicate']).status).toBe(1)
    expect(run(['rewrite', '--html', '--text']).status).toBe(1)
    expect(run(['rewrite', '--bogus']).status).toBe(1)
    const missing = run(['rewrite', join(cwd, 'no-such.eml')])
    expect(missing.status).toBe(2)
    expect(missing.stderr).toContain('no such file or directory')
  })

  it('prints a key-ring entry', () => {
    const { status, stdout } = run(['keygen', '--id', 'k2026'])

    expect(status).toBe(0)
    expect(stdout).toMatch(/^k2026:[A-Za-z0-9_-]{43}\n$/)
    expect(run(['keygen', '--id', 'far-too-long']).status).toBe(1)
  })

  it('adds, lists and removes rules', () => {
    const added = run([
      'rules',
      'add',
      '--action',
      'block',
      '--type',
      'domain',
      '--value',
      'Evil.Example',
      '--note',
      'x',
    ])
    const rule = JSON.parse(added.stdout) as { id: string; value: string }

    expect(rule.value).toBe('evil.example')
    expect(JSON.parse(run(['rules', 'list']).stdout).rules).toHaveLength(1)
    const removed = run(['rules', 'remove', rule.id])
    expect(removed.status).toBe(0)
    expect(run(['rules', 'remove', rule.id]).status).toBe(1)
    // Each change is an audit event on standard error, as the API logs it.
    const audit = [added, removed].map((r) => JSON.parse(r.stderr) as Record<string, unknown>)
    expect(audit).toMatchObject([
      {
        event: 'rule.added',
        id: rule.id,
        action: 'block',
        value: 'evil.example',
        principal: 'cli',
      },
      { event: 'rule.removed', id: rule.id, principal: 'cli' },
    ])
    expect(
      run(['rules', 'add', '--action', 'nuke', '--type', 'domain', '--value', 'a.example']).status,
    ).toBe(1)
  })

  it('applies migrations idempotently', () => {
    const { status, stdout } = run(['migrate'])

    expect(status).toBe(0)
    expect(JSON.parse(stdout)).toEqual({ applied: [] })
  })
})
