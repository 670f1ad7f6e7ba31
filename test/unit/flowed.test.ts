/**
 * format=flowed (RFC 3676): a URL cut at a soft line break is found whole,
 * and the link written in its place holds no space.
 */

import { describe, expect, it } from 'vitest'

import { bytesToBinary } from '../../src/core/bytes.js'
import { unflow } from '../../src/core/rewrite/flowed.js'
import { decodeQuotedPrintable } from '../../src/core/rewrite/qp.js'
import { createHarness } from '../support/harness.js'
import { signedLinks, targetsIn } from '../support/links.js'
import { bodyOf, message } from '../support/mail.js'

describe('unflow', () => {
  it('joins soft breaks, deleting the space with delsp=yes', () => {
    const physical = 'one two \r\nthree\r\n> q1 \r\n> q2\r\n-- \r\nsig\r\n'

    expect(unflow(physical, true).text).toBe('one twothree\r\n> q1q2\r\n-- \r\nsig\r\n')
    expect(unflow(physical, false).text).toBe('one two three\r\n> q1 q2\r\n-- \r\nsig\r\n')
  })

  it('removes space-stuffing on continuation lines and maps offsets back', () => {
    const physical = 'ab \r\n cd\r\n'
    const view = unflow(physical, true)

    expect(view.text).toBe('abcd\r\n')
    expect(view.start(2)).toBe(physical.indexOf('cd'))
    expect(view.end(2)).toBe(2)
    expect(view.end(4)).toBe(physical.indexOf('cd') + 2)
  })

  it('does not join lines of different quote depth (RFC 3676 4.5)', () => {
    expect(unflow('> a \r\nb\r\n', true).text).toBe('> a\r\nb\r\n'.replace('> a\r\n', '> a'))
  })
})

describe('format=flowed messages', () => {
  it('finds a URL cut by a soft break with delsp=yes and writes it on one line', async () => {
    const h = createHarness()
    const body = 'Reset here: https://login.example/reset?token=abc \r\ndef123 now.\r\n'
    const input = message('text/plain; charset=utf-8; format=flowed; delsp=yes', '7bit', body)

    const { output } = await h.deps.rewriter.rewriteMessage(input)
    const [link] = signedLinks(bytesToBinary(output), h.deps)

    expect(await targetsIn(bodyOf(output), h.deps)).toEqual([
      'https://login.example/reset?token=abcdef123',
    ])
    expect(bodyOf(output)).toBe(`Reset here: ${link} now.\r\n`)
    expect(link).not.toContain(' ')
  })

  it('with delsp=no, keeps the soft-break space outside the URL', async () => {
    const h = createHarness()
    const body = 'See https://a.example/long/path \r\nfor the details.\r\n'
    const input = message('text/plain; format=flowed', '7bit', body)

    const { output } = await h.deps.rewriter.rewriteMessage(input)
    const [link] = signedLinks(bodyOf(output), h.deps)

    expect(await targetsIn(bodyOf(output), h.deps)).toEqual(['https://a.example/long/path'])
    expect(bodyOf(output)).toBe(`See ${link} \r\nfor the details.\r\n`)
  })

  it('joins a quoted URL across two soft breaks in a quoted-printable part', async () => {
    const h = createHarness()
    const body = '> https://a.example/ver=20\r\n> y/long=20\r\n> /path end\r\n'
    const input = message('text/plain; format=Flowed; DelSp="Yes"', 'quoted-printable', body)

    const { output } = await h.deps.rewriter.rewriteMessage(input)
    const decoded = decodeQuotedPrintable(bodyOf(output))
    const [link] = signedLinks(decoded, h.deps)

    expect(await targetsIn(decoded, h.deps)).toEqual(['https://a.example/very/long/path'])
    expect(decoded).toBe(`> ${link} end\r\n`)
  })
})
