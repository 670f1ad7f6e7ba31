/**
 * Sender authentication inside workerd: no mailauth there, so only a trusted
 * relay's Authentication-Results count, and the Worker says so when it starts.
 */

import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'

import worker from '../../src/worker.js'
import GENUINE from '../fixtures/auth/genuine-alert.eml?raw'
import SPOOFED from '../fixtures/auth/spoofed-alert.eml?raw'
import { BASE_URL, REWRITE_TOKEN, bearer } from '../support/harness-core.js'
import { freshDatabase, testEnv } from './d1-harness.js'

/** A fresh bindings object builds a fresh runtime, which logs its start-up notice. */
function relayEnv() {
  return {
    ...testEnv,
    REWRITE_LIMITER: undefined,
    CLICKGATE_AUTH_TRUSTED_RELAY: 'mx.contoso.example',
    CLICKGATE_ARC_KEY_FILE: '/keys/arc.pem',
  }
}

async function rewrite(env: object, body: string, headers: Record<string, string> = {}) {
  const ctx = createExecutionContext()
  const request = new Request(`${BASE_URL}/api/v1/rewrite`, {
    method: 'POST',
    headers: {
      ...bearer(REWRITE_TOKEN),
      'Content-Type': 'message/rfc822',
      Accept: 'application/json',
      ...headers,
    },
    body,
  })
  const response = await worker.fetch(request, env, ctx)
  await waitOnExecutionContext(ctx)
  return (await response.json()) as { message: string; summary: Record<string, unknown> }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('sender authentication on Workers', () => {
  it('says at start-up that only the relay is honoured, naming the Node-only settings', async () => {
    await freshDatabase()
    const warnings = vi.spyOn(console, 'warn')

    await rewrite(relayEnv(), GENUINE)
    const events = warnings.mock.calls.map((args) => JSON.parse(String(args[0])))

    expect(events).toContainEqual(
      expect.objectContaining({
        event: 'auth.limited',
        verification: 'trusted relay Authentication-Results only',
        trustedRelays: ['mx.contoso.example'],
        ignoredSettings: ['CLICKGATE_ARC_KEY_FILE'],
      }),
    )
  })

  it("takes the relay's results: the spoofed alert is warned and bannered, the genuine one not", async () => {
    await freshDatabase()
    const env = relayEnv()

    const spoofed = await rewrite(env, SPOOFED)
    const genuine = await rewrite(env, GENUINE)

    expect(spoofed.summary).toMatchObject({
      findings: [{ reason: 'dmarc_fail', source: 'auth' }],
      auth: { source: 'relay', dmarc: 'fail', banner: ['1', '2'] },
    })
    expect(spoofed.message).toMatch(/^Authentication-Results: go\.clickgate\.example;\r\n/)
    expect(spoofed.message).toContain('*** Caution: this message may not come from the sender')
    expect(genuine.summary).toMatchObject({
      findings: [],
      auth: { source: 'relay', dmarc: 'pass' },
    })
  })

  it('answers 503 unavailable to connection facts instead of ignoring them', async () => {
    await freshDatabase()
    const ctx = createExecutionContext()

    const response = await worker.fetch(
      new Request(`${BASE_URL}/api/v1/rewrite`, {
        method: 'POST',
        headers: {
          ...bearer(REWRITE_TOKEN),
          'Content-Type': 'message/rfc822',
          'Clickgate-Client-Ip': '203.0.113.77',
        },
        body: SPOOFED,
      }),
      relayEnv(),
      ctx,
    )
    await waitOnExecutionContext(ctx)

    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({
      error: {
        code: 'unavailable',
        message: expect.stringContaining('dkim is not available on workers'),
      },
    })
  })
})
