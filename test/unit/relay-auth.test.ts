/**
 * Results from a trusted relay's Authentication-Results (RFC 8601 section 5):
 * only the relay's own authserv-id counts, forged fields do not, and a
 * runtime without mailauth (Workers) still gets these results.
 */

import { describe, expect, it } from 'vitest'

import { authStartupNotice } from '../../src/core/auth/startup.js'
import { WORKERS_CAPABILITIES } from '../../src/core/capabilities.js'
import { binaryToBytes, bytesToBinary } from '../../src/core/bytes.js'
import { createHarness, testConfig } from '../support/harness.js'
import { signedLinks } from '../support/links.js'
import { authHarness, downstream, mail } from '../support/mail-world.js'

const RELAY = { CLICKGATE_AUTH_TRUSTED_RELAY: 'mx.corp.example' }

/** What the Worker entry builds: Workers capabilities and no mailauth. */
function workersHarness(env: Record<string, string>) {
  return createHarness(testConfig(env), {}, WORKERS_CAPABILITIES)
}

function relayed(
  results: string[],
  from = 'Microsoft <account-security-noreply@microsoft.com>',
  link = 'https://account.microsoft.com/activity',
) {
  return mail(
    [
      ...results.map((value) => `Authentication-Results: ${value}`),
      'Received: from mail.sender.example (mail.sender.example [192.0.2.10]) by mx.corp.example',
      `From: ${from}`,
      'To: a.user@contoso.example',
      'Subject: Unusual sign-in activity',
      'Message-ID: <relayed-1@sender.example>',
      'Content-Type: text/plain; charset=utf-8',
    ],
    `Review: ${link}\n`,
  )
}

const PASS =
  'mx.corp.example;\r\n\tdkim=pass header.d=microsoft.com header.s=selector1;\r\n\tspf=pass smtp.mailfrom=msonlineservicesteam@microsoft.com;\r\n\tdmarc=pass (p=reject) header.from=microsoft.com'
const FAIL =
  'mx.corp.example; spf=fail smtp.mailfrom=bounce@evil.example; dkim=none; dmarc=fail (p=reject) header.from=microsoft.com'

async function run(
  input: string,
  env: Record<string, string> = RELAY,
  runtime: 'node' | 'workers' = 'node',
) {
  const h = runtime === 'node' ? authHarness(testConfig(env)) : workersHarness(env)
  const result = await h.deps.mail.process(binaryToBytes(input))
  return { h, ...result, text: bytesToBinary(result.output) }
}

describe('a trusted relay', () => {
  it('supplies the results, which our header repeats and names the relay for', async () => {
    const { summary, text } = await run(relayed([PASS]))

    expect(summary.findings).toEqual([])
    expect(summary.auth).toMatchObject({ source: 'relay', dmarc: 'pass', notes: [] })
    expect(text).toMatch(
      /^Authentication-Results: go\.clickgate\.example;\r\n\tdkim=pass \(reported by mx\.corp\.example\) header\.d=microsoft\.com header\.s=selector1;\r\n/,
    )
    expect(text).toContain(
      '\tdmarc=pass (reported by mx.corp.example) header.from=microsoft.com\r\n',
    )
    expect(text).toContain('\r\nAuthentication-Results: mx.corp.example;\r\n\tdkim=pass')
  })

  it('warns on a genuine Microsoft mailbox whose links lead away from Microsoft', async () => {
    // The 2024 campaign: real Microsoft alert mail, DKIM and DMARC pass, the lure elsewhere.
    const lure = relayed([PASS], undefined, 'https://account.microsoft-alerts.example/activity')
    const { h, summary, text } = await run(lure)
    const [link] = signedLinks(text, h.deps)

    expect(summary.auth).toMatchObject({ source: 'relay', dmarc: 'pass' })
    expect(summary.findings.map((f) => f.reason)).toEqual(['sender_brand_address_unlinked'])
    expect((await h.app.request(new URL(link ?? '').pathname)).status).toBe(200)
  })

  it('reports a DMARC failure as a warning on every link', async () => {
    const { h, summary, text } = await run(relayed([FAIL]))
    const [link] = signedLinks(text, h.deps)

    expect(summary.findings.map((f) => f.reason)).toEqual(['dmarc_fail'])
    expect((await h.app.request(new URL(link ?? '').pathname)).status).toBe(200)
  })

  it('ignores a pass claimed by any other authserv-id, above or below', async () => {
    const forged =
      'mx.corp.example.evil.example; dkim=pass header.d=microsoft.com; dmarc=pass header.from=microsoft.com'

    const { summary } = await run(relayed([forged, FAIL, forged]))

    expect(summary.findings.map((f) => f.reason)).toEqual(['dmarc_fail'])
    expect(summary.auth.notes).toContain('untrusted_results_ignored')
  })

  it('trusts none of its results when a forged field in its name contradicts them', async () => {
    for (const fields of [
      [PASS, FAIL],
      [FAIL, PASS],
    ]) {
      const { summary, text } = await run(relayed(fields))

      expect(summary.findings.map((f) => f.reason)).toEqual([
        'auth_results_conflict',
        'brand_not_authenticated',
      ])
      expect(text).toMatch(/^Authentication-Results: go\.clickgate\.example; none\r\n/)
    }
  })

  it('merges the fields its filters add one by one when they agree', async () => {
    const { summary } = await run(
      relayed([
        'mx.corp.example; dmarc=pass header.from=microsoft.com',
        'MX.CORP.EXAMPLE; spf=pass smtp.mailfrom=msonlineservicesteam@microsoft.com',
        'mx.corp.example (opendkim); dkim=pass header.d=microsoft.com',
      ]),
    )

    expect(summary.findings).toEqual([])
    expect(summary.auth).toMatchObject({ source: 'relay', dmarc: 'pass' })
  })

  it('does not vouch for a From domain other than the one its DMARC result names', async () => {
    const { summary } = await run(relayed([PASS.replace(/microsoft\.com/g, 'evil.example')]))

    expect(summary.findings.map((f) => f.reason)).toEqual([
      'from_ambiguous',
      'brand_not_authenticated',
    ])
  })

  it('leaves a brand message without its results under suspicion', async () => {
    const { summary, text } = await run(relayed([]))

    expect(summary.auth.notes).toEqual(['relay_results_missing'])
    expect(summary.findings.map((f) => f.reason)).toEqual(['brand_not_authenticated'])
    expect(text).toMatch(/^Authentication-Results: go\.clickgate\.example; none\r\n/)
  })

  it('leaves other mail without its results alone', async () => {
    const { summary } = await run(relayed([], 'news@shop.example'))

    expect(summary.findings).toEqual([])
  })

  it('has its message sealed after rewriting, with the chain checked here', async () => {
    const h = authHarness(testConfig(RELAY), { seal: true })

    const { output, summary } = await h.deps.mail.process(binaryToBytes(relayed([PASS])))
    const text = bytesToBinary(output)
    const next = await downstream(output, {
      ip: '198.51.100.25',
      mailFrom: 'relay@go.clickgate.example',
    })

    expect(summary.auth).toMatchObject({ source: 'relay', arc: 'none', sealed: true })
    expect(text).toMatch(/^ARC-Seal: i=1; a=rsa-sha256; t=\d+; cv=none;/)
    expect(text).toContain('\tarc=none\r\n')
    expect(next.arc).toMatchObject({ status: { result: 'pass' } })
  })

  it('leaves a bare body sent as a message untouched: it has no sender to authenticate', async () => {
    const body = '<p>Hello <a href="https://a.example/">there</a></p>\n'

    const { summary, text } = await run(body)

    expect(text).toBe(body)
    expect(summary.flagged).toContainEqual({ part: '', reason: 'not_a_message' })
    expect(summary.auth).toMatchObject({ source: 'off', sealed: false, signed: false })
  })

  it('is not consulted when the caller hands in connection facts', async () => {
    const h = authHarness(testConfig(RELAY))

    const { summary } = await h.deps.mail.process(
      binaryToBytes(relayed([PASS])),
      {},
      {
        clientIp: '203.0.113.77',
        helo: null,
        mailFrom: 'bounce@evil.example',
      },
    )

    expect(summary.auth.source).toBe('verified')
    expect(summary.findings.map((f) => f.reason)).toEqual(['dmarc_fail'])
  })
})

describe('a runtime without mailauth (Workers)', () => {
  it('honours the trusted relay', async () => {
    const { summary } = await run(relayed([FAIL]), RELAY, 'workers')

    expect(summary.auth.source).toBe('relay')
    expect(summary.findings.map((f) => f.reason)).toEqual(['dmarc_fail'])
  })

  it('notes that connection facts could not be verified, and uses the relay instead', async () => {
    const h = workersHarness(RELAY)

    const { summary } = await h.deps.mail.process(
      binaryToBytes(relayed([FAIL])),
      {},
      {
        clientIp: '192.0.2.10',
        helo: null,
        mailFrom: null,
      },
    )

    expect(summary.auth).toMatchObject({ source: 'relay', notes: ['verification_unavailable'] })
  })

  it('says at start-up that only the relay is honoured, and names settings it ignores', () => {
    const h = workersHarness(RELAY)

    const notice = authStartupNotice({
      config: h.deps.config.auth,
      capabilities: h.deps.capabilities,
      env: { CLICKGATE_ARC_KEY_FILE: '/keys/arc.pem', CLICKGATE_DKIM_DOMAIN: '' },
    })

    expect(notice).toMatchObject({
      level: 'warn',
      event: 'auth.limited',
      fields: {
        verification: 'trusted relay Authentication-Results only',
        trustedRelays: ['mx.corp.example'],
        ignoredSettings: ['CLICKGATE_ARC_KEY_FILE'],
      },
    })
  })

  it('says on Node that connection facts are verified, and whether it seals and signs', () => {
    const h = authHarness(testConfig(RELAY))

    const notice = authStartupNotice({
      config: h.deps.config.auth,
      capabilities: h.deps.capabilities,
      sealing: true,
      env: {},
    })

    expect(notice).toMatchObject({
      level: 'info',
      event: 'auth.ready',
      fields: {
        verification: 'connection facts (DKIM, SPF, DMARC, ARC)',
        sealing: true,
        signing: false,
      },
    })
  })
})
