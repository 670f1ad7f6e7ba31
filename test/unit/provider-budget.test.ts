import { afterEach, describe, expect, it } from 'vitest'

import { withBudget } from '../../src/core/verdict/budget.js'
import type { ClickSubject, Finding, Signal } from '../../src/core/verdict/types.js'
import { click } from '../support/clicks.js'
import { type FakeServer, startFake } from '../support/fakes.js'
import { ADMIN_TOKEN, bearer, createHarness, testConfig } from '../support/harness.js'

const subject: ClickSubject = {
  target: 'https://shop.example/',
  linkId: 1,
  messageRef: null,
  now: Date.parse('2026-12-03T12:00:00Z'),
}

function neverAnswers(seen: { abort?: AbortSignal }): Signal {
  return {
    name: 'stuck',
    evaluate: (_subject, abort) => {
      seen.abort = abort
      return new Promise<Finding[]>(() => {})
    },
  }
}

describe('withBudget', () => {
  it('answers for a provider that never answers, with a warning, and aborts its request', async () => {
    const seen: { abort?: AbortSignal } = {}
    const signal = withBudget(neverAnswers(seen), {
      budgetMs: 20,
      onFailure: 'warn',
      label: 'Stuck',
    })

    const findings = await signal.evaluate(subject)

    expect(findings).toEqual([
      expect.objectContaining({ verdict: 'warn', reason: 'provider_timeout', source: 'stuck' }),
    ])
    expect(findings[0]?.detail).toContain('Stuck did not answer within 20 ms')
    expect(seen.abort?.aborted).toBe(true)
  })

  it('blocks instead when configured fail-closed', async () => {
    const signal = withBudget(neverAnswers({}), { budgetMs: 5, onFailure: 'block', label: 'Stuck' })

    const [finding] = await signal.evaluate(subject)

    expect(finding).toMatchObject({ verdict: 'block', reason: 'provider_timeout' })
  })

  it('turns a provider error into a finding rather than an allow', async () => {
    const failing: Signal = {
      name: 'broken',
      evaluate: async () => {
        throw new Error('connection reset by https://secret-key@provider.example')
      },
    }
    const signal = withBudget(failing, { budgetMs: 1000, onFailure: 'warn', label: 'Broken' })

    const [finding] = await signal.evaluate(subject)

    expect(finding).toMatchObject({ verdict: 'warn', reason: 'provider_error', source: 'broken' })
    expect(finding?.detail).not.toContain('secret-key')
  })

  it('passes a prompt answer through unchanged', async () => {
    const listed: Finding = { verdict: 'block', reason: 'x', source: 'fast', checkedAt: 1 }
    const fast: Signal = { name: 'fast', evaluate: async () => [listed] }

    const findings = await withBudget(fast, {
      budgetMs: 1000,
      onFailure: 'warn',
      label: 'Fast',
    }).evaluate(subject)

    expect(findings).toEqual([listed])
  })

  it('refuses a budget that is not a positive number', () => {
    expect(() =>
      withBudget(neverAnswers({}), { budgetMs: 0, onFailure: 'warn', label: 'x' }),
    ).toThrow(TypeError)
  })
})

describe('a provider that is down, at click time', () => {
  let fake: FakeServer | null = null
  afterEach(async () => {
    await fake?.close()
    fake = null
  })

  async function stuckHarness(failure: 'warn' | 'block') {
    fake = await startFake(() => 'hang')
    return createHarness(
      testConfig({
        CLICKGATE_PROVIDERS: 'safebrowsing',
        CLICKGATE_PROVIDER_USE: 'noncommercial',
        CLICKGATE_SAFE_BROWSING_KEY: 'test-key',
        CLICKGATE_SAFE_BROWSING_URL: fake.url,
        // Small, yet long enough for the request to reach the fake on a busy test machine.
        CLICKGATE_PROVIDER_TIMEOUT_MS: '300',
        CLICKGATE_PROVIDER_FAILURE: failure,
      }),
    )
  }

  it('comes back without it: the click gets a warning page, and the request is cancelled', async () => {
    const h = await stuckHarness('warn')

    const result = await click(h, 'https://shop.example/offer')

    expect(result.status).toBe(200)
    expect(result.text).toContain('did not answer within 300 ms')
    expect(fake?.requests).toHaveLength(1)
    await expect.poll(() => fake?.closedByClient).toBe(1)
  })

  it('blocks the link when the deployment is fail-closed', async () => {
    const h = await stuckHarness('block')

    const result = await click(h, 'https://shop.example/offer')

    expect(result.status).toBe(403)
    expect(result.location).toBeNull()
  })

  it('lets an admin allow rule through as usual, because the admin has decided', async () => {
    const h = await stuckHarness('block')
    await h.deps.store.addRule(
      {
        id: 'r1',
        action: 'allow',
        type: 'domain',
        value: 'shop.example',
        note: null,
        expiresAt: null,
      },
      h.clock.now,
    )

    const result = await click(h, 'https://shop.example/offer')

    expect(result.status).toBe(302)
  })
})

describe('providers that are not configured', () => {
  it('give no finding, no signal and no status', async () => {
    const h = createHarness()

    const result = await click(h, 'https://shop.example/offer')
    const response = await h.app.request('/healthz', { headers: bearer(ADMIN_TOKEN) })
    const health = (await response.json()) as { feeds: unknown[] }

    expect(h.deps.providers.signals).toEqual([])
    expect(h.deps.signals.map((s) => s.name)).toEqual(['rules', 'message', 'syntax', 'heuristics'])
    expect(result.status).toBe(302)
    expect(health.feeds).toEqual([])
  })
})
