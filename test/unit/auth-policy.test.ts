/**
 * The policy from authentication results to message findings: it only ever
 * warns, and a pass never earns a link anything.
 */

import { describe, expect, it } from 'vitest'

import { readHeaderBlock } from '../../src/core/auth/header-block.js'
import { verifiedAuth } from '../../src/core/auth/outcome.js'
import { arcOverride, authFindings, authenticated } from '../../src/core/auth/policy.js'
import type { MessageAuth } from '../../src/core/auth/types.js'
import { DEFAULT_BRANDS } from '../../src/core/brands.js'
import { decide } from '../../src/core/verdict/policy.js'

const NOW = Date.parse('2026-12-03T12:00:00Z')
const OPTIONS = { brands: DEFAULT_BRANDS, trustedArcSealers: ['lists.example'] }

function auth(overrides: Partial<MessageAuth> = {}): MessageAuth {
  return {
    source: 'verified',
    authservId: 'go.clickgate.example',
    fromDomains: ['microsoft.com'],
    dkim: [],
    spf: null,
    dmarc: null,
    arc: null,
    arcOverride: null,
    notes: [],
    checkedAt: NOW,
    ...overrides,
  }
}

const reasons = (a: MessageAuth) => authFindings(a, OPTIONS, NOW).map((f) => f.reason)

describe('authFindings', () => {
  it('finds nothing for a brand that passes DMARC, and never anything but warnings', () => {
    const passing = auth({ dmarc: { result: 'pass', domain: 'microsoft.com', policy: 'reject' } })
    const failing = auth({
      dmarc: { result: 'fail', domain: 'microsoft.com', policy: 'reject' },
      fromDomains: ['a@b', 'x.example'],
    })

    expect(authFindings(passing, OPTIONS, NOW)).toEqual([])
    expect(
      authFindings(failing, OPTIONS, NOW).every((f) => f.verdict === 'warn' && f.source === 'auth'),
    ).toBe(true)
  })

  it('takes an aligned DKIM or SPF pass as DMARC would when there is no DMARC result', () => {
    const dkim = (domain: string) => auth({ dkim: [{ result: 'pass', domain, selector: 's' }] })

    expect(reasons(dkim('mail.microsoft.com'))).toEqual([])
    expect(reasons(dkim('microsoft.com.evil.example'))).toEqual(['brand_not_authenticated'])
    expect(reasons(auth({ spf: { result: 'pass', domain: 'microsoft.com' } }))).toEqual([])
    expect(reasons(auth({ dmarc: { result: 'temperror', domain: null, policy: null } }))).toEqual([
      'brand_not_authenticated',
    ])
  })

  it('warns on a missing, unreadable or repeated sender', () => {
    expect(reasons(auth({ fromDomains: [] }))).toEqual(['from_ambiguous'])
    expect(reasons(auth({ fromDomains: [''] }))).toEqual(['from_ambiguous'])
    expect(
      reasons(
        auth({
          fromDomains: ['shop.example', 'microsoft.com'],
          dmarc: { result: 'pass', domain: 'shop.example', policy: null },
        }),
      ),
    ).toEqual(['from_ambiguous', 'brand_not_authenticated'])
  })

  it("warns when our reading of From differs from the verifier's", () => {
    const block = readHeaderBlock('From: Microsoft <security@microsoft.com>\r\n\r\n')
    const verified = {
      fromDomains: ['evil.example'],
      dkim: [],
      spf: null,
      dmarc: { result: 'pass', domain: 'evil.example', policy: 'none' },
      arc: { result: 'none', instance: 0, sealer: null, sealerDmarc: null, sealable: true },
    }

    const result = verifiedAuth(verified, block, 'go.clickgate.example', NOW)

    expect(result.notes).toEqual(['from_mismatch'])
    expect(reasons(result)).toEqual(['from_ambiguous', 'brand_not_authenticated'])
  })

  it('adds no finding that could lower a link verdict', () => {
    const findings = authFindings(
      auth({ dmarc: { result: 'pass', domain: 'microsoft.com', policy: null } }),
      OPTIONS,
      NOW,
    )
    const block = { verdict: 'block' as const, reason: 'feed', source: 'feed', checkedAt: NOW }

    expect(decide([...findings, block], { allowOverrides: true }).verdict).toBe('block')
  })
})

describe('arcOverride (RFC 8617 7.2)', () => {
  const forwarded = (sealer: string, recorded: string, fromDomain = 'shop.example') =>
    auth({
      fromDomains: [fromDomain],
      dmarc: { result: 'fail', domain: 'shop.example', policy: 'reject' },
      arc: {
        result: 'pass',
        instance: 1,
        sealer,
        sealerDmarc: { result: recorded, domain: 'shop.example', policy: null },
        sealable: true,
      },
    })

  it("lets a trusted sealer's recorded pass stand for a DMARC failure", () => {
    expect(arcOverride(forwarded('lists.example', 'pass'), OPTIONS.trustedArcSealers)).toBe(
      'lists.example',
    )
    expect(arcOverride(forwarded('eu.lists.example', 'pass'), OPTIONS.trustedArcSealers)).toBe(
      'eu.lists.example',
    )
  })

  it('refuses an untrusted sealer, a recorded failure, a failed chain, or another From domain', () => {
    const trusted = OPTIONS.trustedArcSealers
    const failedChain = forwarded('lists.example', 'pass')
    if (failedChain.arc) failedChain.arc.result = 'fail'

    expect(arcOverride(forwarded('badlists.example', 'pass'), trusted)).toBeNull()
    expect(arcOverride(forwarded('lists.example', 'fail'), trusted)).toBeNull()
    expect(arcOverride(failedChain, trusted)).toBeNull()
    expect(arcOverride(forwarded('lists.example', 'pass', 'microsoft.com'), trusted)).toBeNull()
  })

  it('counts as authenticated once granted', () => {
    const a = forwarded('lists.example', 'pass')
    a.arcOverride = 'lists.example'

    expect(authenticated(a, 'shop.example')).toBe(true)
    expect(reasons(a)).toEqual([])
  })
})
