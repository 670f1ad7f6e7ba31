/** What a runtime says about itself, and how features it lacks answer. */

import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'

import type { Feature } from '../../../src/core/capabilities.js'
import { featureGuard } from '../../../src/http/features.js'
import { errorHandler } from '../../../src/http/errors.js'
import { ADMIN_TOKEN, type HarnessFactory, bearer } from '../../support/harness-core.js'

export interface RuntimeExpectations {
  runtime: 'node' | 'workers'
  /** Features this runtime must report as unavailable. */
  unavailable: Feature[]
}

export function runtimeTests(make: HarnessFactory, expected: RuntimeExpectations): void {
  describe('runtime', () => {
    it('answers health with status only to anyone, and runtime details to the admin', async () => {
      const h = await make()

      const open = await (await h.app.request('/healthz')).json()
      const admin = await (await h.app.request('/healthz', { headers: bearer(ADMIN_TOKEN) })).json()

      expect(open).toEqual({ status: 'ok', version: expect.any(String) })
      expect(admin).toMatchObject({
        status: 'ok',
        runtime: expected.runtime,
        unavailable: expected.unavailable,
        keyIds: ['k1'],
        counts: { links: 0, messages: 0, rules: 0, clicks: 0 },
      })
    })

    it('answers a route that needs a missing feature with 503 naming it, never silently', async () => {
      const h = await make()
      const app = new Hono()
      app.onError(errorHandler(h.deps.logger))
      for (const feature of ['dkim', 'arc', 'sandbox_fetch'] as const) {
        app.get(`/${feature}`, featureGuard(h.deps.capabilities, feature), (c) => c.text('ran'))
      }

      for (const feature of ['dkim', 'arc', 'sandbox_fetch'] as const) {
        const response = await app.request(`/${feature}`)
        if (!expected.unavailable.includes(feature)) {
          expect(await response.text()).toBe('ran')
          continue
        }
        expect(response.status).toBe(503)
        const body = (await response.json()) as { error: { code: string; message: string } }
        expect(body.error.code).toBe('unavailable')
        expect(body.error.message).toContain(`${feature} is not available on ${expected.runtime}`)
      }
    })
  })
}
