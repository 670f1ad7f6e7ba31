import { describe, expect, it } from 'vitest'

import { sandboxConfigFromEnv } from '../../src/core/sandbox/config.js'
import { createTestAllowance } from '../../src/node/sandbox/connector.js'
import { loadSettings } from '../../src/node/settings.js'
import { createHarness, testEnv } from '../support/harness.js'

describe('sandbox configuration', () => {
  it('is off unless CLICKGATE_SANDBOX=on, and names a bad value', () => {
    expect(sandboxConfigFromEnv({}).enabled).toBe(false)
    expect(sandboxConfigFromEnv({ CLICKGATE_SANDBOX: 'on' }).enabled).toBe(true)
    expect(() => sandboxConfigFromEnv({ CLICKGATE_SANDBOX: 'yes' })).toThrow(
      'CLICKGATE_SANDBOX must be "on" or "off", got "yes"',
    )
    expect(() => sandboxConfigFromEnv({ CLICKGATE_SANDBOX_CONCURRENCY: '0' })).toThrow(
      'CLICKGATE_SANDBOX_CONCURRENCY must be a whole number from 1 to 256, got "0"',
    )
    expect(() => sandboxConfigFromEnv({ CLICKGATE_SANDBOX_PORTS: '80,ssh' })).toThrow(
      'CLICKGATE_SANDBOX_PORTS entry "ssh" is not a port number',
    )
  })
})

describe('the test allowance cannot be turned on by accident', () => {
  it('names only loopback address:port pairs', () => {
    expect(createTestAllowance(['127.0.0.1:4100', '[::1]:4100']).size).toBe(2)
    for (const entry of [
      '10.0.0.1:80',
      '169.254.169.254:80',
      '8.8.8.8:53',
      'localhost:80',
      '127.0.0.1',
    ]) {
      expect(() => createTestAllowance([entry]), entry).toThrow('is not a loopback address:port')
    }
  })

  it('is refused in production, from the environment and from code', () => {
    const env = {
      ...testEnv({ CLICKGATE_BASE_URL: 'https://go.example' }),
      CLICKGATE_DB: '/tmp/x.db',
      NODE_ENV: 'production',
      CLICKGATE_SANDBOX_TEST_ALLOW: '127.0.0.1:4100',
    }
    expect(() => loadSettings(env)).toThrow('CLICKGATE_SANDBOX_TEST_ALLOW is for tests')

    const previous = process.env.NODE_ENV
    process.env.NODE_ENV = 'production'
    try {
      expect(() => createTestAllowance(['127.0.0.1:4100'])).toThrow(
        'cannot be used with NODE_ENV=production',
      )
    } finally {
      if (previous === undefined) delete process.env.NODE_ENV
      else process.env.NODE_ENV = previous
    }
  })

  it('is off when the variable is absent', () => {
    expect(loadSettings(testEnv()).sandboxTestAllowance).toBeNull()
  })
})

describe('runs that must never fetch', () => {
  it('the shared test harness (used by the corpus run) has no sandbox, so corpus URLs are never fetched', () => {
    const h = createHarness()

    expect(h.deps.config.sandbox.enabled).toBe(false)
    expect(h.deps.signals.map((signal) => signal.name)).not.toContain('sandbox')
    expect(h.deps.scanGate).toBeUndefined()
  })
})
