import { describe, expect, it } from 'vitest'

import type { PendingClick } from '../../src/core/clicks/recorder.js'
import { fromColumns, toColumns } from '../../src/node/click-columns.js'

describe('click batches as columns', () => {
  it('carry every field of every click, nulls included, in order', () => {
    const full: PendingClick = {
      at: 1_796_000_000_123,
      linkId: 0xfffffffe,
      messageRef: 0,
      recipientRef: 'a1b2c3d4e5f6',
      keyId: 'k1',
      verdict: 'warn',
      reason: 'ip_host',
      userAgent: 'Mozilla/5.0',
      ip: '2001:db8::1',
      automated: true,
      evidence: 'bot_ua,fast_click',
      method: 'HEAD',
    }
    const empty: PendingClick = {
      at: 1,
      linkId: 7,
      messageRef: null,
      recipientRef: null,
      keyId: 'k2',
      verdict: 'allow',
      reason: null,
      userAgent: null,
      ip: null,
      automated: false,
      evidence: null,
      method: 'GET',
    }

    const columns = structuredClone(toColumns([full, empty, full]))

    expect(fromColumns(columns)).toEqual([full, empty, full])
  })

  it('carry an empty batch', () => {
    expect(fromColumns(toColumns([]))).toEqual([])
  })
})
