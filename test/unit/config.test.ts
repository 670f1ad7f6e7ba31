import { describe, expect, it } from 'vitest'

import { testConfig } from '../support/harness.js'

describe('configuration', () => {
  it('reads booleans in their usual spellings and refuses anything else', () => {
    expect(testConfig({ CLICKGATE_ALLOW_OVERRIDES: 'False' }).allowOverrides).toBe(false)
    expect(testConfig({ CLICKGATE_ALLOW_OVERRIDES: '0' }).allowOverrides).toBe(false)
    expect(testConfig({ CLICKGATE_ALLOW_OVERRIDES: 'yes' }).allowOverrides).toBe(true)
    expect(testConfig().allowOverrides).toBe(true)
    expect(() => testConfig({ CLICKGATE_ALLOW_OVERRIDES: 'maybe' })).toThrow(
      /CLICKGATE_ALLOW_OVERRIDES must be true or false/,
    )
  })

  it('names the variable when a number or URL is wrong', () => {
    expect(() => testConfig({ CLICKGATE_CLICK_RETENTION_DAYS: 'abc' })).toThrow(/RETENTION_DAYS/)
    expect(() => testConfig({ CLICKGATE_BASE_URL: 'ftp://x.example' })).toThrow(/http or https/)
    expect(() => testConfig({ CLICKGATE_BASE_URL: 'https://x.example/?q=1' })).toThrow(/query/)
    expect(() => testConfig({ CLICKGATE_ADMIN_TOKEN: 'short' })).toThrow(/at least 24/)
    expect(() => testConfig({ CLICKGATE_NO_REWRITE_HOSTS: 'a b' })).toThrow(/not a host name/)
  })
})
