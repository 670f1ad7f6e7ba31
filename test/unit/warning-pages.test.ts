/**
 * What the warning and block pages say about where a link leads: a wrapped
 * link shows the address inside it, names the wrapper as the way there, and
 * never presents the wrapper's domain as the destination.
 */

import { describe, expect, it } from 'vitest'

import { humanClick, linkFor } from '../support/clicks.js'
import { createHarness } from '../support/harness.js'
import { testConfig } from '../support/harness-core.js'

const safeLinks = (url: string) =>
  `https://eur01.safelinks.protection.outlook.com/?url=${encodeURIComponent(url)}&data=x`

async function pageFor(target: string, h = createHarness()) {
  const response = await humanClick(h, await linkFor(h, target))
  return { status: response.status, html: await response.text() }
}

function hrefOf(target: string): string {
  return `href="${target.replace(/&/g, '&amp;')}"`
}

describe('wrapped links on the warning and block pages', () => {
  it('shows the address inside Safe Links, and continues to the link as authored', async () => {
    const target = safeLinks('http://203.0.113.9/x')

    const { status, html } = await pageFor(target)

    expect(status).toBe(200)
    expect(html).toContain('<mark>203.0.113.9</mark>')
    expect(html).toContain('IP address: <strong>203.0.113.9</strong>')
    expect(html).toContain(
      'through Microsoft Safe Links (<code>eur01.safelinks.protection.outlook.com</code>)',
    )
    expect(html).not.toContain('<mark>outlook.com</mark>')
    expect(html).toContain(hrefOf(target))
    expect(html).toContain('Continue to 203.0.113.9 through eur01.safelinks.protection.outlook.com')
  })

  it('blocks a look-alike behind Google’s redirect and names it, not google.com', async () => {
    const { status, html } = await pageFor('https://www.google.com/url?q=https://paypa1.com/')

    expect(status).toBe(403)
    expect(html).toContain('<mark>paypa1.com</mark>')
    expect(html).toContain('Registered domain: <strong>paypa1.com</strong>')
    expect(html).toContain('Google’s redirect page (<code>www.google.com</code>)')
    expect(html).not.toContain('<strong>google.com</strong>')
  })

  it('says a redirect parameter on an unknown site only appears to lead on', async () => {
    const target = 'https://example.org/redirect?url=https://other.example/'

    const { status, html } = await pageFor(target)

    expect(status).toBe(200)
    expect(html).toContain('The link you clicked appears to lead to:')
    expect(html).toContain('<mark>other.example</mark>')
    expect(html).toContain('cannot be known without opening it')
    expect(html).toContain('Continue to other.example through example.org')
    expect(html).toContain(hrefOf(target))
    expect(html).toContain('gives another address, on other.example, in its url= parameter')
    expect(html).not.toContain('public redirector')
    expect(html).not.toContain('Continue to example.org')
  })

  it('shows the punycode of a mixed-script address inside a wrapper', async () => {
    const { html } = await pageFor(safeLinks('https://gооgle-docs.example/s'))

    expect(html).toContain('<mark>xn--ggle-docs-02ha.example</mark>')
    expect(html).toContain('mixes letters from different alphabets')
  })

  it('keeps the link itself as the destination when a URL is only carried in it', async () => {
    const { html } = await pageFor('https://news.example/article?ref=http://203.0.113.9/x')

    expect(html).toContain('<mark>news.example</mark>')
    expect(html).toContain('Registered domain: <strong>news.example</strong>')
    expect(html).toContain('though the link may not lead there')
    expect(html).not.toContain('It goes there through')
  })

  it('names the destination alone when policy redirects to the unwrapped address', async () => {
    const h = createHarness(testConfig({ CLICKGATE_REDIRECT_UNWRAPPED: 'true' }))

    const { html } = await pageFor('https://www.google.com/url?q=http://203.0.113.9/x', h)

    expect(html).toContain(hrefOf('http://203.0.113.9/x'))
    expect(html).toContain('>Continue to 203.0.113.9</a>')
  })
})

describe('pages with no way on', () => {
  for (const target of ['https://x.example:99999/', 'javascript:alert(1)']) {
    it(`gives ${target} a 403 "cannot be opened" page, not a warning`, async () => {
      const { status, html } = await pageFor(target)

      expect(status).toBe(403)
      expect(html).toContain('<title>This link cannot be opened · clickgate</title>')
      expect(html).not.toContain('Check this link before you go on')
      expect(html).not.toContain('class="continue"')
    })
  }
})

describe('footers', () => {
  it('claims no more about when the checks ran than the findings show', async () => {
    const { html } = await pageFor('http://203.0.113.9/x')
    const missing = await createHarness().app.request('/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')

    expect(html).toContain(
      '<footer>Judged by clickgate when you clicked; each finding shows when it was checked.</footer>',
    )
    expect(html).not.toContain('at the moment you clicked')
    expect(await missing.text()).not.toContain('Checked by clickgate')
  })
})
