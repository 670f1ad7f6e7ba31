/**
 * Attacker-written text on the warning and block pages: format characters
 * (bidi overrides, zero-width) are shown as code points, never applied.
 */

import { describe, expect, it } from 'vitest'

import { BROWSER, humanClick, linkFor } from '../support/clicks.js'
import { createHarness } from '../support/harness.js'
import { signedLinks } from '../support/links.js'

const RLO = '\u202e'

describe('format characters on our pages', () => {
  it('shows a bidi override in a damaged destination as its code point', async () => {
    const h = createHarness()

    const page = await humanClick(h, await linkFor(h, `https://exa${RLO}mple.com/gpj.exe`))
    const html = await page.text()

    expect(html).toContain('unparseable_url')
    expect(html).not.toContain(RLO)
    expect(html).toContain('https://exa[U+202E]mple.com/gpj.exe')
  })

  it('keeps link text from reversing the sentence that names the real site', async () => {
    const h = createHarness()
    const { output } = await h.deps.rewriter.rewriteHtml(
      `<a href="https://evil.example/">https://paypal.com/&#x202E;&#x200B;nigol</a>`,
    )
    const [link] = signedLinks(output, h.deps)

    h.clock.now += 60_000
    const html = await (
      await h.app.request(new URL(link ?? '').pathname, { headers: BROWSER })
    ).text()

    expect(html).toContain('link_text_brand_mismatch')
    expect(html).not.toMatch(/[\u202e\u200b]/)
    expect(html).toContain('https://paypal.com/[U+202E][U+200B]nigol')
  })
})
