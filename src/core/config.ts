/**
 * Settings every runtime shares. Each runtime reads them from its own
 * environment (process.env on Node, bindings on Workers) through
 * `configFromEnv`, so names, defaults and validation are the same everywhere.
 */

import { type SandboxConfig, sandboxConfigFromEnv } from './sandbox/config.js'
import { type AuthConfig, authConfigFromEnv } from './auth/config.js'
import { type ProvidersConfig, providersFromEnv } from './providers/config.js'
import { type ClickSettings, clickSettingsFromEnv } from './click-config.js'
import { KeyRing, parseKeyList } from './tokens.js'
import type { HmacEngine } from './hmac.js'
import { type Bytes, fromBase64Url } from './bytes.js'
import { DEFAULT_LIMITS, type RewriteLimits } from './rewrite/limits.js'

export interface AppConfig extends ClickSettings {
  baseUrl: URL
  ring: KeyRing
  /** Secret for the keyed hashes of recipients, Message-IDs and IPs. */
  hashSecret: Bytes
  adminToken: string
  rewriteToken: string
  noRewriteHosts: string[]
  clickRetentionDays: number
  /** Seconds a new link stays valid; undefined means forever. */
  linkTtlSeconds?: number
  /** Largest request body the rewrite API accepts. */
  maxBodyBytes: number
  /** Rewrite requests per token per minute. */
  rewriteRateLimit: number
  /** An admin allow rule overrides every other finding. */
  allowOverrides: boolean
  /** Sandbox detonation of unknown links (CLICKGATE_SANDBOX_*). */
  sandbox: SandboxConfig
  /** Sender authentication: our authserv-id, trusted relays and sealers, the banner. */
  auth: AuthConfig
  /** Reputation feeds and lookup APIs (all off unless enabled). */
  providers: ProvidersConfig
  /** The rewriter's limits, and whether over-limit parts are defanged (fail-closed). */
  rewriteLimits: RewriteLimits
  /** Rewrite inside `message/rfc822` attachments (forwarded alerts). */
  rewriteAttachedMessages: boolean
}

/**
 * Largest message the API takes by default. Real alerts are far smaller;
 * the limit stops one request from holding a worker's memory.
 */
export const DEFAULT_MAX_BODY_BYTES = 25 * 1024 * 1024

export const DEFAULT_REWRITE_RATE_LIMIT = 600

/** Shortest API token we accept: guessing must stay out of reach. */
export const MIN_API_TOKEN_LENGTH = 24

export type Env = Record<string, string | undefined>

/** What the runtime supplies besides the environment. */
export interface ConfigDefaults {
  /** The origin's port when CLICKGATE_BASE_URL is unset. */
  port: number
  /** The runtime's HMAC engine for the key ring and keyed hashes; Web Crypto if unset. */
  hmac?: HmacEngine
}

export function configFromEnv(env: Env, defaults: ConfigDefaults): AppConfig {
  const keys = required(env, 'CLICKGATE_KEYS')
  const hashSecret = fromBase64Url(required(env, 'CLICKGATE_HASH_SECRET'))
  if (!hashSecret || hashSecret.length < 32) {
    throw new TypeError('CLICKGATE_HASH_SECRET must be at least 32 bytes of base64url')
  }

  const baseUrl = parseBaseUrl(env.CLICKGATE_BASE_URL ?? `http://localhost:${defaults.port}`)
  return {
    baseUrl,
    ring: new KeyRing(parseKeyList(keys), defaults.hmac),
    hashSecret,
    adminToken: apiToken(env, 'CLICKGATE_ADMIN_TOKEN'),
    rewriteToken: apiToken(env, 'CLICKGATE_REWRITE_TOKEN'),
    noRewriteHosts: parseHostList(env.CLICKGATE_NO_REWRITE_HOSTS ?? ''),
    clickRetentionDays: positiveInt(env, 'CLICKGATE_CLICK_RETENTION_DAYS', 90),
    linkTtlSeconds: optionalDays(env, 'CLICKGATE_LINK_TTL_DAYS'),
    maxBodyBytes: positiveInt(env, 'CLICKGATE_MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES),
    rewriteRateLimit: positiveInt(env, 'CLICKGATE_REWRITE_RATE_LIMIT', DEFAULT_REWRITE_RATE_LIMIT),
    allowOverrides: booleanOf(env, 'CLICKGATE_ALLOW_OVERRIDES', true),
    sandbox: sandboxConfigFromEnv(env),
    auth: authConfigFromEnv(env, baseUrl, {
      banner: booleanOf(env, 'CLICKGATE_AUTH_BANNER', true),
    }),
    providers: providersFromEnv(env),
    rewriteLimits: rewriteLimitsFromEnv(env),
    rewriteAttachedMessages: booleanOf(env, 'CLICKGATE_REWRITE_ATTACHED_MESSAGES', true),
    ...clickSettingsFromEnv(env),
  }
}

/** The rewriter's limits (src/core/rewrite/limits.ts says what each protects against). */
function rewriteLimitsFromEnv(env: Env): RewriteLimits {
  const d = DEFAULT_LIMITS
  return {
    maxMessageBytes: positiveInt(env, 'CLICKGATE_MAX_MESSAGE_BYTES', d.maxMessageBytes),
    maxMimeDepth: positiveInt(env, 'CLICKGATE_MAX_MIME_DEPTH', d.maxMimeDepth),
    maxLinks: positiveInt(env, 'CLICKGATE_MAX_LINKS', d.maxLinks),
    maxUrlLength: positiveInt(env, 'CLICKGATE_MAX_URL_LENGTH', d.maxUrlLength),
    maxTimeMs: positiveInt(env, 'CLICKGATE_REWRITE_TIME_MS', d.maxTimeMs),
    failClosed: booleanOf(env, 'CLICKGATE_FAIL_CLOSED', d.failClosed),
  }
}

function required(env: Env, name: string): string {
  const value = env[name]?.trim()
  if (!value) throw new TypeError(`${name} is not set`)
  return value
}

function apiToken(env: Env, name: string): string {
  const value = required(env, name)
  if (value.length < MIN_API_TOKEN_LENGTH) {
    throw new TypeError(`${name} must be at least ${MIN_API_TOKEN_LENGTH} characters`)
  }
  return value
}

export function parseBaseUrl(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new TypeError(`CLICKGATE_BASE_URL "${text}" is not a URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError('CLICKGATE_BASE_URL must be http or https')
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new TypeError('CLICKGATE_BASE_URL must not have a query, fragment or credentials')
  }
  return url
}

/** `Example.COM, *.corp.example` → `example.com`, `*.corp.example` (IDNA to ASCII). */
export function parseHostList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item) => {
      const wildcard = item.startsWith('*.')
      const host = wildcard ? item.slice(2) : item
      let ascii: string
      try {
        ascii = new URL(`http://${host}/`).hostname
      } catch {
        throw new TypeError(`CLICKGATE_NO_REWRITE_HOSTS entry "${item}" is not a host name`)
      }
      return (wildcard ? '*.' : '') + ascii.replace(/\.$/, '')
    })
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim()
  if (!raw) return fallback

  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive whole number, got "${raw}"`)
  }
  return value
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on'])
const FALSE_WORDS = new Set(['false', '0', 'no', 'off'])

export function booleanOf(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase()
  if (!raw) return fallback
  if (TRUE_WORDS.has(raw)) return true
  if (FALSE_WORDS.has(raw)) return false
  throw new TypeError(`${name} must be true or false, got "${env[name]}"`)
}

function optionalDays(env: Env, name: string): number | undefined {
  const raw = env[name]?.trim()
  if (!raw || raw === '0') return undefined
  return positiveInt(env, name, 0) * 86_400
}
