/**
 * Node-only settings for sender authentication: the ARC sealing key, the
 * DKIM signing key, and the test-only DNS zone. Read and checked at
 * start-up, so a bad key stops the process with a message naming the
 * variable instead of failing on the first message.
 */

import { createPrivateKey } from 'node:crypto'
import { readFileSync } from 'node:fs'

import type { Env } from '../core/config.js'
import { type Zone, loadZoneFile } from './dns-zone.js'
import { DEFAULT_AUTH_TIMEOUT_MS, type SigningKey } from './mail-auth.js'

export interface MailAuthSettings {
  seal: SigningKey | null
  sign: SigningKey | null
  /** Test-only replacement for DNS; refused with NODE_ENV=production. */
  testZone: Zone | null
  /** Time limit for one message's DNS lookups. */
  timeoutMs: number
}

/** Longest time limit accepted: past two minutes a relay has given up on us anyway. */
const MAX_AUTH_TIMEOUT_MS = 120_000

/** RFC 8301 section 3.2: signers must use RSA keys of at least 1024 bits, and should use 2048. */
const MIN_RSA_BITS = 1024

const SELECTOR =
  /^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)*$/
const DOMAIN =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/

export function mailAuthSettingsFromEnv(env: Env): MailAuthSettings {
  return {
    seal: signingKey(env, 'ARC'),
    sign: signingKey(env, 'DKIM'),
    testZone: testZone(env),
    timeoutMs: timeout(env),
  }
}

function timeout(env: Env): number {
  const raw = env.CLICKGATE_AUTH_TIMEOUT_MS?.trim()
  if (!raw) return DEFAULT_AUTH_TIMEOUT_MS
  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value <= 0 || value > MAX_AUTH_TIMEOUT_MS) {
    throw new TypeError(
      `CLICKGATE_AUTH_TIMEOUT_MS must be a whole number of milliseconds from 1 to ${MAX_AUTH_TIMEOUT_MS}, got "${raw}"`,
    )
  }
  return value
}

/** `CLICKGATE_<KIND>_DOMAIN`, `_SELECTOR` and `_KEY_FILE`: all three, or none. */
function signingKey(env: Env, kind: 'ARC' | 'DKIM'): SigningKey | null {
  const names = ['DOMAIN', 'SELECTOR', 'KEY_FILE'].map((part) => `CLICKGATE_${kind}_${part}`)
  const [domain, selector, keyFile] = names.map((name) => env[name]?.trim() ?? '')
  const given = [domain, selector, keyFile].filter((value) => value !== '').length
  if (given === 0) return null
  if (given < 3) throw new TypeError(`${names.join(', ')} must be set together`)

  if (!DOMAIN.test(domain)) throw new TypeError(`${names[0]} "${domain}" is not a domain`)
  if (!SELECTOR.test(selector)) throw new TypeError(`${names[1]} "${selector}" is not a selector`)
  return { domain: domain.toLowerCase(), selector, privateKey: readKey(names[2], keyFile) }
}

function readKey(name: string, path: string): string {
  let pem: string
  try {
    pem = readFileSync(path, 'utf8')
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String(err.code) : 'unreadable'
    throw new TypeError(`${name} "${path}" cannot be read: ${reason}`)
  }

  let key: ReturnType<typeof createPrivateKey>
  try {
    key = createPrivateKey(pem)
  } catch {
    throw new TypeError(`${name} "${path}" is not a PEM private key`)
  }

  const type = key.asymmetricKeyType
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
  if (type === 'ed25519' || (type === 'rsa' && bits >= MIN_RSA_BITS)) return pem
  throw new TypeError(`${name} must be an RSA key of ${MIN_RSA_BITS}+ bits or an Ed25519 key`)
}

/**
 * A fixed DNS zone for end-to-end tests of the real processes. It replaces
 * every DNS answer the checks rely on, so production refuses to start with it.
 */
function testZone(env: Env): Zone | null {
  const path = env.CLICKGATE_TEST_DNS_ZONE?.trim()
  if (!path) return null
  if (env.NODE_ENV === 'production') {
    throw new TypeError(
      'CLICKGATE_TEST_DNS_ZONE is for tests and cannot be used with NODE_ENV=production',
    )
  }
  return loadZoneFile(path)
}
