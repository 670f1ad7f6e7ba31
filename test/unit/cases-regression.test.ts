/**
 * Regression tests for cases 3, 15, 17 and 18 of ../shared/cases/CASES.md and
 * its "Also in the corpus" items, on fixtures written here.
 */

import { generateKeyPairSync } from 'node:crypto'

import { dkimSign } from 'mailauth/lib/dkim/sign.js'
import { dkimVerify } from 'mailauth/lib/dkim/verify.js'
import { describe, expect, it } from 'vitest'

import { binaryToBytes, bytesToBinary } from '../../src/core/bytes.js'
import { decodeQuotedPrintable } from '../../src/core/rewrite/qp.js'
import { createHarness } from '../support/harness.js'
import { signedLinks, targetsIn } from '../support/links.js'
import { bodyOf, message } from '../support/mail.js'

function lines(text: string): string[] {
  return text.split(/\r?\n/)
}

describe('case 3: dots at line starts and lines past 998 octets', () => {
  it('never starts a quoted-printable line with a dot (3a)', async () => {
    const h = createHarness()
    // The original wraps as `https://www.example=\r\n.com/x`; the rewrite re-wraps around it.
    const filler = 'x'.repeat(52)
    const body = `<p>${filler} <a href=3D"https://a.example/1">1</a> https://www.example=\r\n.com/x ${'.'.repeat(200)}</p>\r\n`
    const input = message('text/html; charset=utf-8', 'quoted-printable', body)

    const { output } = await h.deps.rewriter.rewriteMessage(input)
    const written = lines(bodyOf(output)).filter((line) => !lines(body).includes(line))

    expect(written.length).toBeGreaterThan(2)
    for (const line of written) expect(line.startsWith('.')).toBe(false)
    expect(decodeQuotedPrintable(bodyOf(output))).toContain('.'.repeat(200))
  })

  it('re-encodes a 7bit part as quoted-printable when a line would pass 998 octets (3b)', async () => {
    const h = createHarness()
    const link = (i: number) => `<a href="https://a.example/${i}">${i}</a>`
    const line = `<p>${link(1)} ${'y'.repeat(780)} ${link(2)} ${link(3)}</p>`
    const long = 'x'.repeat(200)
    const input = message(
      'text/html; charset=utf-8',
      '7bit',
      line.replace('y'.repeat(780), `${'y'.repeat(580)} ${long}`),
    )

    const { output, summary } = await h.deps.rewriter.rewriteMessage(input)
    const out = bytesToBinary(output)

    expect(summary.rewritten).toBe(3)
    expect(out).toContain('Content-Transfer-Encoding: quoted-printable\r\n')
    for (const physical of lines(out)) expect(physical.length).toBeLessThanOrEqual(998)
    expect(signedLinks(decodeQuotedPrintable(bodyOf(output)), h.deps)).toHaveLength(3)
  })
})

describe('case 3b with a line that was already too long', () => {
  it('still switches the changed part to quoted-printable, so no output line passes 998', async () => {
    const h = createHarness()
    const body = `<p>${'z'.repeat(1200)}</p>\n<a href="https://a.example/1">1</a>\n`
    const input = message('text/html; charset=utf-8', '8bit', body)

    const { output, summary } = await h.deps.rewriter.rewriteMessage(input)

    expect(summary.flagged).toEqual([{ part: '1', reason: 'reencoded_quoted_printable' }])
    for (const physical of lines(bytesToBinary(output)))
      expect(physical.length).toBeLessThanOrEqual(998)
  })

  it('writes only the changed bytes of an 8bit part whose lines stay short', async () => {
    const h = createHarness()
    const body = `<p>caf\xe9</p>\n<a href="https://a.example/1">1</a>\n<p>${'y'.repeat(900)}</p>\n`
    const input = message('text/html; charset=iso-8859-1', '8bit', body)

    const { output, summary } = await h.deps.rewriter.rewriteMessage(input)
    const [link] = signedLinks(bytesToBinary(output), h.deps)

    expect(summary.flagged).toEqual([])
    expect(bytesToBinary(output)).toBe(
      bytesToBinary(input).replace('https://a.example/1', link ?? ''),
    )
  })
})

describe('case 15: DKIM survives when there is nothing to rewrite', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const dnsKey = publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
  const resolver = async (name: string, type: string) => {
    if (type === 'TXT' && name === 'sel._domainkey.alerts.example') {
      return [[`v=DKIM1; k=rsa; p=${dnsKey}`]]
    }
    throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' })
  }

  async function signed(body: string): Promise<Uint8Array> {
    const unsigned = message('text/plain; charset=utf-8', '7bit', body)
    // mailauth reads the keys from signatureData; its typings also ask for them at the top.
    const key = {
      signingDomain: 'alerts.example',
      selector: 'sel',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      algorithm: 'rsa-sha256',
      canonicalization: 'relaxed/relaxed',
    }
    const result = await dkimSign(Buffer.from(unsigned), { ...key, signatureData: [key] })
    return binaryToBytes(result.signatures + bytesToBinary(unsigned))
  }

  async function dkimStatus(bytes: Uint8Array): Promise<string | undefined> {
    const result = await dkimVerify(Buffer.from(bytes), { resolver })
    return result.results[0]?.status.result
  }

  it('returns a signed message without links byte for byte, and it still verifies', async () => {
    const h = createHarness()
    const input = await signed('Your sign-in from a new device was approved.\n')

    const { output } = await h.deps.rewriter.rewriteMessage(input)

    expect(await dkimStatus(input)).toBe('pass')
    expect(bytesToBinary(output) === bytesToBinary(input)).toBe(true)
    expect(await dkimStatus(output)).toBe('pass')
  })

  it('touches only the body when it rewrites, so signed headers stay as they were', async () => {
    const h = createHarness()
    const input = await signed('Review it at https://account.example/activity\n')

    const { output } = await h.deps.rewriter.rewriteMessage(input)
    const head = (bytes: Uint8Array) => bytesToBinary(bytes).split('\r\n\r\n')[0]

    expect(head(output)).toBe(head(input))
    // The body hash cannot survive a changed link: that is why rewriting comes after authentication.
    expect(await dkimStatus(output)).not.toBe('pass')
  })
})

describe('case 17: very long URLs', () => {
  const real = `https://lure.example/c/${'Ab9_'.repeat(628)}Ab9Z`
  const synthetic = `https://lure.example/q?d=${'z'.repeat(7000)}`

  it.each([
    ['2,539 characters', real],
    ['7,000 characters', synthetic],
  ])('keeps a %s target whole behind a short link', async (_name, target) => {
    const h = createHarness()

    const html = await h.deps.rewriter.rewriteHtml(`<a href="${target}">go</a>`)
    const text = await h.deps.rewriter.rewriteText(`Open ${target} now`)

    for (const output of [html.output, text.output]) {
      const [link] = signedLinks(output, h.deps)
      expect(link?.length).toBeLessThanOrEqual(512)
      expect(await targetsIn(output, h.deps)).toEqual([target])
    }
    expect(real).toHaveLength(2539)
  })
})

describe('case 18: where a URL in plain text ends', () => {
  it('keeps brackets and sentence punctuation out, balanced parentheses in', async () => {
    const h = createHarness()
    const text =
      'See (https://en.wikipedia.org/wiki/Mercury_(planet)) and https://example.com/docs/.\n' +
      'Old page (https://example.com/a/b). Share: https://social.example/share?u=1&href=http://news.example/x!\n'
    const input = message('text/plain; charset=utf-8', '7bit', text)

    const { output } = await h.deps.rewriter.rewriteMessage(input)
    const links = signedLinks(bodyOf(output), h.deps)

    expect(await targetsIn(bodyOf(output), h.deps)).toEqual([
      'https://en.wikipedia.org/wiki/Mercury_(planet)',
      'https://example.com/docs/',
      'https://example.com/a/b',
      'https://social.example/share?u=1&href=http://news.example/x',
    ])
    expect(bodyOf(output)).toBe(
      `See (${links[0]}) and ${links[1]}.\r\nOld page (${links[2]}). Share: ${links[3]}!\r\n`,
    )
  })
})

describe('also in the corpus: malformed MIME, empty and huge input', () => {
  const part = (link: string) => `Content-Type: text/html\r\n\r\n<a href="${link}">x</a>\r\n`
  const head = 'From: a@example.com\r\nContent-Type: multipart/alternative; boundary="bb"\r\n\r\n'

  it.each([
    ['a missing start boundary', `${head}${part('https://a.example/')}--bb--\r\n`],
    ['a missing close boundary', `${head}--bb\r\n${part('https://a.example/')}`],
    [
      'a transfer encoding on a multipart',
      head.replace('\r\n\r\n', '\r\nContent-Transfer-Encoding: base64\r\n\r\n') +
        `--bb\r\n${part('https://a.example/')}--bb--\r\n`,
    ],
    [
      'an invalid CTE (hexa)',
      `${head}--bb\r\nContent-Transfer-Encoding: hexa\r\n${part('https://a.example/')}--bb--\r\n`,
    ],
    [
      'an invalid CTE (8bit+)',
      `${head}--bb\r\nContent-Transfer-Encoding: 8bit+\r\n${part('https://a.example/')}--bb--\r\n`,
    ],
  ])('never loses a part with %s', async (_name, raw) => {
    const h = createHarness()
    const input = binaryToBytes(raw)

    const { output, summary } = await h.deps.rewriter.rewriteMessage(input)
    const restored = bytesToBinary(output).replace(
      /https:\/\/go\.clickgate\.example\/r\/[\w-]+/,
      'https://a.example/',
    )

    expect(restored).toBe(raw)
    expect(summary.rewritten + summary.flagged.length).toBeGreaterThan(0)
  })

  it('returns an empty file unchanged', async () => {
    const h = createHarness()

    const { output, summary } = await h.deps.rewriter.rewriteMessage(new Uint8Array(0))

    expect(output).toHaveLength(0)
    expect(summary.found).toBe(0)
  })

  it('rewrites a 3 MB message with deeply nested HTML (mailparser htmllargecallstack shape)', async () => {
    const h = createHarness()
    const depth = 60_000
    const html =
      '<div><span>'.repeat(depth) +
      '<a href="https://deep.example/">x</a>' +
      '</span></div>'.repeat(depth)
    const input = message('text/html; charset=utf-8', '7bit', html.replace(/(.{900})/g, '$1\n'))

    const { summary } = await h.deps.rewriter.rewriteMessage(input)

    expect(input.length).toBeGreaterThan(1_400_000)
    expect(summary.rewritten).toBe(1)
  })
})
