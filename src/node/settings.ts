/**
 * Node's reading of the environment. In development, missing secrets are
 * created once under ./data so that `npm start` works on a fresh machine; in
 * production nothing is invented and every missing setting is named.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

import { toBase64Url } from '../core/bytes.js'
import { type AppConfig, type Env, configFromEnv, parseBaseUrl } from '../core/config.js'
import { generateKeyEntry } from '../core/tokens.js'
import { type TestAllowance, createTestAllowance } from './sandbox/connector.js'
import { type MailAuthSettings, mailAuthSettingsFromEnv } from './mail-auth-settings.js'
import { nodeHmac } from './hmac.js'

export const DEFAULT_PORT = 8787

export interface NodeSettings {
  config: AppConfig
  dbPath: string
  port: number
  host: string
  /** Set when development defaults were used: where they live. */
  devData: { dir: string; secretsFile: string } | null
  /**
   * Tests only: loopback `address:port` pairs the sandbox may fetch, from
   * CLICKGATE_SANDBOX_TEST_ALLOW. Refused under NODE_ENV=production.
   */
  sandboxTestAllowance: TestAllowance | null
  /** ARC sealing and DKIM signing keys (Node only). */
  mailAuth: MailAuthSettings
  /** Milliseconds between writes of queued clicks. */
  clickFlushMs: number
}

/**
 * How often queued clicks are written by default. Short enough that the log
 * and the click table trail reality by about a second, which a person
 * reading them does not notice; long enough that under load a batch holds
 * many clicks (see WRITER_BATCH_SIZE). A crash loses what is queued: about
 * this much, more when the writer thread has fallen behind.
 */
export const DEFAULT_CLICK_FLUSH_MS = 1000

interface DevSecrets {
  CLICKGATE_KEYS: string
  CLICKGATE_HASH_SECRET: string
  CLICKGATE_ADMIN_TOKEN: string
  CLICKGATE_REWRITE_TOKEN: string
}

const SECRET_NAMES: (keyof DevSecrets)[] = [
  'CLICKGATE_KEYS',
  'CLICKGATE_HASH_SECRET',
  'CLICKGATE_ADMIN_TOKEN',
  'CLICKGATE_REWRITE_TOKEN',
]

export function loadSettings(env: Env, cwd = process.cwd()): NodeSettings {
  const port = portOf(env)
  const production = env.NODE_ENV === 'production'
  if (production) checkProduction(env)

  const needsDev = !production && SECRET_NAMES.some((name) => !env[name]?.trim())
  const dataDir = resolve(cwd, 'data')
  const devSecrets = needsDev ? loadDevSecrets(dataDir) : null
  const merged: Env = { ...devSecrets, ...withoutBlanks(env) }

  return {
    config: configFromEnv(merged, { port, hmac: nodeHmac }),
    dbPath: env.CLICKGATE_DB?.trim() || join(dataDir, 'clickgate.db'),
    port,
    host: env.CLICKGATE_HOST?.trim() || (production ? '0.0.0.0' : '127.0.0.1'),
    devData: devSecrets ? { dir: dataDir, secretsFile: join(dataDir, 'dev-secrets.json') } : null,
    sandboxTestAllowance: testAllowance(env),
    mailAuth: mailAuthSettingsFromEnv(env),
    clickFlushMs: clickFlushMs(env),
  }
}

function testAllowance(env: Env): TestAllowance | null {
  const raw = env.CLICKGATE_SANDBOX_TEST_ALLOW?.trim()
  if (!raw) return null
  if (env.NODE_ENV === 'production') {
    throw new TypeError('CLICKGATE_SANDBOX_TEST_ALLOW is for tests and cannot be set in production')
  }
  return createTestAllowance(raw.split(','))
}

function clickFlushMs(env: Env): number {
  const raw = env.CLICKGATE_CLICK_FLUSH_MS?.trim()
  if (!raw) return DEFAULT_CLICK_FLUSH_MS

  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value < 10) {
    throw new TypeError(
      `CLICKGATE_CLICK_FLUSH_MS must be a whole number of at least 10, got "${raw}"`,
    )
  }
  return value
}

function portOf(env: Env): number {
  const raw = env.PORT?.trim()
  if (!raw) return DEFAULT_PORT

  const port = Number(raw)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError(`PORT must be a port number, got "${raw}"`)
  }
  return port
}

/** Production refuses to start on development defaults, and says everything that is missing. */
function checkProduction(env: Env): void {
  const missing: string[] = []
  const base = env.CLICKGATE_BASE_URL?.trim()
  if (!base || !base.startsWith('https:')) missing.push('CLICKGATE_BASE_URL (an https URL)')
  else parseBaseUrl(base)

  for (const name of [...SECRET_NAMES, 'CLICKGATE_DB']) {
    if (!env[name]?.trim()) missing.push(name)
  }
  if (missing.length > 0) {
    throw new TypeError(`NODE_ENV=production needs: ${missing.join(', ')}`)
  }
}

function loadDevSecrets(dir: string): DevSecrets {
  const file = join(dir, 'dev-secrets.json')
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevSecrets

  mkdirSync(dir, { recursive: true })
  const secrets: DevSecrets = {
    CLICKGATE_KEYS: generateKeyEntry('dev1'),
    CLICKGATE_HASH_SECRET: randomSecret(),
    CLICKGATE_ADMIN_TOKEN: randomSecret(),
    CLICKGATE_REWRITE_TOKEN: randomSecret(),
  }
  // Readable by the owner only: these are real secrets, if only for development.
  writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 })
  return secrets
}

function randomSecret(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(32)))
}

function withoutBlanks(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value?.trim()))
}
