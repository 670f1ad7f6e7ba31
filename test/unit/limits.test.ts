/**
 * The rewriter's limits with tiny configured values: by default whatever is
 * over a limit passes through unchanged and the summary says so; with
 * CLICKGATE_FAIL_CLOSED=true over-limit parts are defanged. The time limit
 * runs on an injected clock, never on wall-clock time.
 */

import { describe, expect, it } from 'vitest'

import { bytesToBinary } from '../../src/core/bytes.js'
import { configFromEnv } from '../../src/core/config.js'
import { Deadline } from '../../src/core/rewrite/limits.js'
import { scanHtml } from '../../src/core/rewrite/html.js'
import { scanText } from '../../src/core/rewrite/text.js'
import { createServices } from '../../src/core/services.js'
import { SqlStore } from '../../src/core/sql-store.js'
import { migrationsDir } from '../../src/node/paths.js'
import { migrate, openSqlite } from '../../src/node/sqlite.js'
import { createHarness, testConfig, testEnv } from '../support/harness.js'
import { signedLinks } from '../support/links.js'
import { bodyOf, message, multipart } from '../support/mail.js'

const HTML_PART = [
  'Content-Type: text/html; charset=utf-8',
  '',
  '<html><body class="x"><a href="https://a.example/1">1</a><a href="https://a.example/2">2</a><a href="https://a.example/3">3</a></body></html>',
].join('\r\n')
const TEXT_PART = ['Content-Type: text/plain', '', 'Go to https://b.example/x now'].join('\r\n')

function rewriterWith(env: Record<string, string>, now: () => number = () => 0) {
  const db = openSqlite(':memory:')
  migrate(db, migrationsDir())
  const config = configFromEnv(testEnv(env), { port: 8787 })
  return createServices(config, new SqlStore(db), { now }).rewriter
}

/** A clock that moves one millisecond every time it is read. */
function steppingClock(): () => number {
  let t = 0
  return () => t++
}

function expectDefangedHtml(out: string): void {
  expect(out).not.toContain('https://a.example/')
  expect(out).toContain('href="#clickgate-defanged"')
  expect(out).toMatch(/<body class="x"><div style="[^"]*">clickgate disabled the links/)
}

describe('configuration', () => {
  it('reads every limit and the fail-closed switch from the environment', () => {
    const config = testConfig({
      CLICKGATE_MAX_MESSAGE_BYTES: '100',
      CLICKGATE_MAX_MIME_DEPTH: '3',
      CLICKGATE_MAX_LINKS: '4',
      CLICKGATE_MAX_URL_LENGTH: '50',
      CLICKGATE_REWRITE_TIME_MS: '6',
      CLICKGATE_FAIL_CLOSED: 'TRUE',
      CLICKGATE_REWRITE_ATTACHED_MESSAGES: 'false',
    })

    expect(config.rewriteLimits).toEqual({
      maxMessageBytes: 100,
      maxMimeDepth: 3,
      maxLinks: 4,
      maxUrlLength: 50,
      maxTimeMs: 6,
      failClosed: true,
    })
    expect(config.rewriteAttachedMessages).toBe(false)
  })

  it('names the variable when a value is wrong', () => {
    expect(() => testConfig({ CLICKGATE_FAIL_CLOSED: 'maybe' })).toThrow(/CLICKGATE_FAIL_CLOSED/)
    expect(() => testConfig({ CLICKGATE_MAX_LINKS: '0' })).toThrow(/CLICKGATE_MAX_LINKS/)
  })
})

describe('maximum message size', () => {
  it('passes an oversized message through unchanged, flagged', async () => {
    const rewriter = rewriterWith({ CLICKGATE_MAX_MESSAGE_BYTES: '100' })
    const input = multipart([HTML_PART, TEXT_PART])

    const { output, summary } = await rewriter.rewriteMessage(input)

    expect(bytesToBinary(output) === bytesToBinary(input)).toBe(true)
    expect(summary.flagged).toEqual([{ part: '', reason: 'message_too_large' }])
    expect(summary.rewritten).toBe(0)
  })

  it('defangs every part of an oversized message when fail-closed', async () => {
    const rewriter = rewriterWith({
      CLICKGATE_MAX_MESSAGE_BYTES: '100',
      CLICKGATE_FAIL_CLOSED: 'true',
    })

    const { output, summary } = await rewriter.rewriteMessage(multipart([HTML_PART, TEXT_PART]))
    const out = bytesToBinary(output)

    expectDefangedHtml(out)
    expect(out).toContain('Go to hxxps://b[.]example/x now')
    expect(out).toMatch(/Content-Type: text\/plain\r\n\r\n\[clickgate disabled the links/)
    expect(summary.defanged).toEqual(['1', '2'])
    expect(summary.rewritten).toBe(0)
  })
})

describe('MIME depth', () => {
  const deep = multipart([
    ['Content-Type: multipart/mixed; boundary=in', '', '--in', HTML_PART, '--in--'].join('\r\n'),
    TEXT_PART,
  ])

  it('passes parts below the depth limit through, flagged', async () => {
    const rewriter = rewriterWith({ CLICKGATE_MAX_MIME_DEPTH: '1' })

    const { output, summary } = await rewriter.rewriteMessage(deep)

    expect(bytesToBinary(output)).toContain('<a href="https://a.example/1">')
    expect(summary.flagged).toEqual([{ part: '1', reason: 'max_depth' }])
    expect(summary.rewritten).toBe(1)
  })

  it('defangs them when fail-closed', async () => {
    const rewriter = rewriterWith({ CLICKGATE_MAX_MIME_DEPTH: '1', CLICKGATE_FAIL_CLOSED: 'true' })

    const { output, summary } = await rewriter.rewriteMessage(deep)

    expectDefangedHtml(bytesToBinary(output))
    expect(summary.defanged).toEqual(['1.1'])
    expect(summary.rewritten).toBe(1)
  })
})

describe('links per message', () => {
  it('rewrites up to the limit and leaves the rest unchanged, flagged', async () => {
    const rewriter = rewriterWith({ CLICKGATE_MAX_LINKS: '2' })

    const { output, summary } = await rewriter.rewriteMessage(multipart([HTML_PART, TEXT_PART]))
    const out = bytesToBinary(output)

    expect(out).not.toContain('https://a.example/1')
    expect(out).not.toContain('https://a.example/2')
    expect(out).toContain('<a href="https://a.example/3">')
    expect(out).toContain('Go to https://b.example/x now')
    expect(summary.rewritten).toBe(2)
    expect(summary.flagged).toEqual([
      { part: '1', reason: 'too_many_links' },
      { part: '2', reason: 'too_many_links' },
    ])
  })

  it('defangs the parts over the limit when fail-closed', async () => {
    const rewriter = rewriterWith({ CLICKGATE_MAX_LINKS: '2', CLICKGATE_FAIL_CLOSED: 'true' })

    const { output, summary } = await rewriter.rewriteMessage(multipart([TEXT_PART, HTML_PART]))
    const out = bytesToBinary(output)

    expect(out).toContain('Go to https://go.clickgate.example/r/')
    expectDefangedHtml(out)
    expect(summary.defanged).toEqual(['2'])
  })
})

describe('URL length', () => {
  const long = `https://a.example/${'x'.repeat(60)}`
  const html = `<body class="x"><a href="${long}">l</a><a href="https://a.example/s">s</a></body>`

  it('leaves an over-long link unchanged and rewrites the others', async () => {
    const rewriter = rewriterWith({ CLICKGATE_MAX_URL_LENGTH: '50' })

    const { output, summary } = await rewriter.rewriteMessage(message('text/html', '7bit', html))

    expect(bodyOf(output)).toContain(`href="${long}"`)
    expect(summary.rewritten).toBe(1)
    expect(summary.skipped).toEqual([{ url: long, reason: 'url_too_long' }])
    expect(summary.flagged).toEqual([{ part: '1', reason: 'url_too_long' }])
  })

  it('defangs the part when fail-closed', async () => {
    const rewriter = rewriterWith({ CLICKGATE_MAX_URL_LENGTH: '50', CLICKGATE_FAIL_CLOSED: 'true' })

    const { output } = await rewriter.rewriteMessage(message('text/html', '7bit', html))

    expect(bodyOf(output)).not.toContain('https://a.example/')
    expect(bodyOf(output).match(/#clickgate-defanged/g)).toHaveLength(2)
  })

  it('defangs a URL in the HTML text and keeps it escaped', async () => {
    const rewriter = rewriterWith({ CLICKGATE_MAX_URL_LENGTH: '50', CLICKGATE_FAIL_CLOSED: 'true' })
    const text = `<body class="x"><p>https://t.example/?a=1&amp;lt;=${'y'.repeat(60)}</p></body>`

    const { output } = await rewriter.rewriteMessage(message('text/html', '7bit', text))

    // Found decoded (`&lt;=`), the URL is escaped again when written back defanged,
    // or the reader would see `<=` where the message said `&lt;=`.
    expect(bodyOf(output)).toContain(`<p>hxxps://t[.]example/?a=1&amp;lt;=${'y'.repeat(60)}</p>`)
  })
})

describe('time per message', () => {
  // 2,000 links: the scanner looks at the clock every 256 tags.
  const many = Array.from({ length: 2000 }, (_, i) => `<a href="https://a.example/${i}">${i}</a>`)
  const big = `<html><body class="x">${many.join('\n')}</body></html>`

  it('stops a scan once the deadline has passed', () => {
    const clock = steppingClock()

    const scan = scanHtml(big, new Deadline(clock, 3))

    expect(scan.complete).toBe(false)
    expect(scan.links.length).toBeGreaterThan(0)
    expect(scan.links.length).toBeLessThan(2000)
    expect(scanText('https://a.example/\n'.repeat(10_000), new Deadline(clock, 0)).complete).toBe(
      false,
    )
  })

  it('passes a part it ran out of time on through unchanged, flagged', async () => {
    const rewriter = rewriterWith({ CLICKGATE_REWRITE_TIME_MS: '5' }, steppingClock())
    const input = multipart([`Content-Type: text/html\r\n\r\n${big}`, TEXT_PART])

    const { output, summary } = await rewriter.rewriteMessage(input)

    expect(bytesToBinary(output) === bytesToBinary(input)).toBe(true)
    expect(summary.rewritten).toBe(0)
    expect(summary.flagged).toEqual([
      { part: '1', reason: 'time_limit' },
      { part: '2', reason: 'time_limit' },
    ])
  })

  it('defangs what it ran out of time on when fail-closed', async () => {
    const clock = steppingClock()
    const rewriter = rewriterWith(
      { CLICKGATE_REWRITE_TIME_MS: '5', CLICKGATE_FAIL_CLOSED: 'true' },
      clock,
    )

    const { output, summary } = await rewriter.rewriteMessage(
      multipart([`Content-Type: text/html\r\n\r\n${big}`]),
    )

    expectDefangedHtml(bytesToBinary(output))
    expect(bytesToBinary(output).match(/#clickgate-defanged/g)).toHaveLength(2000)
    expect(summary.defanged).toEqual(['1'])
  })

  it('rewrites everything with a budget the clock does not exhaust', async () => {
    const rewriter = rewriterWith({ CLICKGATE_REWRITE_TIME_MS: '100000' }, steppingClock())

    const { summary } = await rewriter.rewriteMessage(
      multipart([`Content-Type: text/html\r\n\r\n${big}`]),
    )

    expect(summary.rewritten).toBe(2000)
    expect(summary.flagged).toEqual([])
  })
})

describe('deep HTML nesting', () => {
  it('finds a link under 200,000 nested elements without overflowing the stack', async () => {
    const h = createHarness()
    const depth = 200_000
    const html =
      '<div>'.repeat(depth) + '<a href="https://deep.example/">x</a>' + '</div>'.repeat(depth)

    const { output, summary } = await h.deps.rewriter.rewriteHtml(html)

    expect(summary.rewritten).toBe(1)
    expect(signedLinks(output, h.deps)).toHaveLength(1)
  })
})
