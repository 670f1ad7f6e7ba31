/**
 * The README walkthrough in-process: rewrite the sample alert over the API,
 * block the lure's domain, and click every rewritten link.
 */

import PostalMime from 'postal-mime'
import { describe, expect, it } from 'vitest'

import SAMPLE_ALERT from '../../fixtures/sample-alert.eml?raw'
import {
  ADMIN_TOKEN,
  BASE_URL,
  type Harness,
  type HarnessFactory,
  REWRITE_TOKEN,
  bearer,
} from '../../support/harness-core.js'
import { signedLinks } from '../../support/links.js'

export { SAMPLE_ALERT }

/**
 * What each link of the alert's HTML part answers once contoso-security.example
 * is blocked. The alert's "Microsoft" domains are not Microsoft's, so the
 * brand heuristic warns on them (200, the warning page); and its sender
 * calls itself "Microsoft account team" from microsoft.example, so every
 * other link is warned too (`sender_name_brand_mismatch`).
 */
export const EXPECTED_HTML_CLICKS: [number, string | null][] = [
  [200, null],
  [200, null],
  [403, null],
  // The port that cannot exist: no way on, so the page is not a 200 warning.
  [403, null],
  [200, null],
  [200, null],
  [200, null],
]

export async function rewriteAlert(h: Harness) {
  const response = await h.app.request('/api/v1/rewrite', {
    method: 'POST',
    headers: {
      ...bearer(REWRITE_TOKEN),
      'Content-Type': 'message/rfc822',
      'Clickgate-Recipient': 'a.user@contoso.example',
    },
    body: SAMPLE_ALERT,
  })
  return { response, message: await response.text() }
}

/** Status and Location of a click on one of our links. */
export async function clickResult(h: Harness, link: string): Promise<[number, string | null]> {
  const response = await h.app.request(new URL(link).pathname)
  return [response.status, response.headers.get('Location')]
}

export function alertTests(make: HarnessFactory): void {
  describe('the sample alert', () => {
    it('rewrites every web link, keeps the headers, and clicks through as the README says', async () => {
      const h = await make()
      await h.app.request('/api/v1/rules', {
        method: 'POST',
        headers: { ...bearer(ADMIN_TOKEN), 'Content-Type': 'application/json' },
        body: JSON.stringify({
          action: 'block',
          type: 'domain',
          value: 'contoso-security.example',
        }),
      })

      const { response, message } = await rewriteAlert(h)
      const parsed = await PostalMime.parse(message)
      const html = signedLinks(parsed.html ?? '', h.deps)
      const text = signedLinks(parsed.text ?? '', h.deps)
      const clicks = []
      for (const link of html) clicks.push(await clickResult(h, link))

      expect(response.status).toBe(200)
      expect(JSON.parse(response.headers.get('Clickgate-Summary') ?? '{}')).toEqual({
        found: 14,
        rewritten: 11,
        skipped: 3,
        flagged: 0,
      })
      expect(message.split('\r\n\r\n')[0]).toBe(SAMPLE_ALERT.split('\r\n\r\n')[0])
      expect(html.every((link) => link.startsWith(`${BASE_URL}/r/`))).toBe(true)
      expect(text).toHaveLength(4)
      expect(parsed.html).toContain('<!--[if mso]>')
      expect(parsed.html).toContain('href="#top"')
      expect(clicks).toEqual(EXPECTED_HTML_CLICKS)
    })
  })
}
