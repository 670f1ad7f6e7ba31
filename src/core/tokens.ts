/**
 * Signed link tokens.
 *
 * A token names a stored destination without revealing it. Layout before
 * base64url encoding (all integers big-endian):
 *
 *   version(1) keyIdLength(1) keyId(n) flags(1) linkId(4) issuedAt(4)
 *   [messageRef(4)] [recipientRef(6)] [expiresAt(4)] mac(16)
 *
 * The MAC is HMAC-SHA256 (RFC 2104) over every byte before it, truncated to
 * 128 bits, which RFC 2104 section 5 allows as long as at least half the
 * output is kept. With a key id of at most six characters the token is at
 * most 63 characters, whatever the destination's length.
 */

import { type Bytes, fromBase64Url, toBase64Url, utf8 } from './bytes.js'
import { type HmacEngine, type HmacKey, webCryptoHmac } from './hmac.js'

const VERSION = 1
const MAC_BYTES = 16
const RECIPIENT_REF_BYTES = 6
const FLAG_MESSAGE = 1
const FLAG_RECIPIENT = 2
const FLAG_EXPIRES = 4
const KNOWN_FLAGS = FLAG_MESSAGE | FLAG_RECIPIENT | FLAG_EXPIRES

/** Key ids travel inside every token, so they are short and URL-safe. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,6}$/

/** Shortest secret we accept: HMAC keys below the hash size weaken it (RFC 2104 section 3). */
export const MIN_SECRET_BYTES = 32

export interface KeyEntry {
  id: string
  secret: Bytes
}

export interface TokenClaims {
  keyId: string
  linkId: number
  /** Seconds since the epoch. */
  issuedAt: number
  messageRef?: number
  /** Hex of the first six bytes of the keyed recipient hash. */
  recipientRef?: string
  /** Seconds since the epoch. */
  expiresAt?: number
}

export type TokenFailure = 'malformed' | 'unknown_key' | 'bad_signature' | 'expired'

export type VerifyResult =
  { ok: true; claims: TokenClaims } | { ok: false; reason: TokenFailure; keyId?: string }

/**
 * The key ring: the first key signs, every key verifies. Rotation adds a new
 * key in front and keeps old ones until links signed with them may go dark.
 * The HMAC engine is the runtime's (src/core/hmac.ts); Web Crypto by default.
 */
export class KeyRing {
  readonly signingKeyId: string
  private readonly keys = new Map<string, HmacKey>()

  constructor(
    entries: readonly KeyEntry[],
    readonly engine: HmacEngine = webCryptoHmac,
  ) {
    const first = entries[0]
    if (!first) throw new TypeError('key ring needs at least one key')

    for (const entry of entries) {
      validateKeyEntry(entry)
      if (this.keys.has(entry.id)) throw new TypeError(`duplicate key id "${entry.id}"`)
      this.keys.set(entry.id, engine.importKey(entry.secret))
    }
    this.signingKeyId = first.id
  }

  get ids(): string[] {
    return [...this.keys.keys()]
  }

  key(id: string): HmacKey | undefined {
    return this.keys.get(id)
  }
}

function validateKeyEntry(entry: KeyEntry): void {
  if (!KEY_ID_PATTERN.test(entry.id)) {
    throw new TypeError(`key id "${entry.id}" must be 1-6 characters of A-Z a-z 0-9 _ -`)
  }
  if (entry.secret.length < MIN_SECRET_BYTES) {
    throw new TypeError(`key "${entry.id}" secret must be at least ${MIN_SECRET_BYTES} bytes`)
  }
}

/** Parses `id:secret,id:secret` with base64url secrets, as in CLICKGATE_KEYS. */
export function parseKeyList(text: string): KeyEntry[] {
  const entries = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)

  return entries.map((item) => {
    const colon = item.indexOf(':')
    if (colon < 1) throw new TypeError('CLICKGATE_KEYS entries must look like "id:secret"')

    const id = item.slice(0, colon)
    const secret = fromBase64Url(item.slice(colon + 1))
    if (!secret) throw new TypeError(`CLICKGATE_KEYS secret for "${id}" is not base64url`)
    return { id, secret }
  })
}

/** A fresh random key-ring entry, formatted for CLICKGATE_KEYS. */
export function generateKeyEntry(id: string): string {
  const secret = crypto.getRandomValues(new Uint8Array(MIN_SECRET_BYTES))
  validateKeyEntry({ id, secret })
  return `${id}:${toBase64Url(secret)}`
}

export async function signToken(
  ring: KeyRing,
  claims: Omit<TokenClaims, 'keyId'>,
): Promise<string> {
  const keyId = ring.signingKeyId
  const body = encodeBody({ ...claims, keyId })
  const key = ring.key(keyId)
  if (!key) throw new TypeError('signing key missing from ring')

  const mac = await key.sign(body)
  const token = new Uint8Array(body.length + MAC_BYTES)
  token.set(body)
  token.set(mac.subarray(0, MAC_BYTES), body.length)
  return toBase64Url(token)
}

/**
 * Checks a token without any I/O. The caller must treat every failure the
 * same way towards the client; the reason is for the log only.
 */
export async function verifyToken(
  ring: KeyRing,
  token: string,
  nowSeconds: number,
): Promise<VerifyResult> {
  const bytes = token.length <= 96 ? fromBase64Url(token) : null
  const parsed = bytes ? decodeBody(bytes) : null
  if (!bytes || !parsed) return { ok: false, reason: 'malformed' }

  const key = ring.key(parsed.claims.keyId)
  if (!key) return { ok: false, reason: 'unknown_key', keyId: parsed.claims.keyId }

  const expected = await key.sign(bytes.subarray(0, parsed.bodyLength))
  const given = bytes.subarray(parsed.bodyLength)
  if (!constantTimeEqual(expected.subarray(0, MAC_BYTES), given)) {
    return { ok: false, reason: 'bad_signature', keyId: parsed.claims.keyId }
  }

  const { expiresAt } = parsed.claims
  if (expiresAt !== undefined && expiresAt <= nowSeconds) {
    return { ok: false, reason: 'expired', keyId: parsed.claims.keyId }
  }
  return { ok: true, claims: parsed.claims }
}

/** Compares two byte strings in time that depends only on their lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false

  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0)
  return diff === 0
}

function encodeBody(claims: TokenClaims): Bytes {
  const keyId = utf8(claims.keyId)
  const out: number[] = [VERSION, keyId.length, ...keyId, flagsOf(claims)]

  pushUint32(out, claims.linkId)
  pushUint32(out, claims.issuedAt)
  if (claims.messageRef !== undefined) pushUint32(out, claims.messageRef)
  if (claims.recipientRef !== undefined) out.push(...hexToBytes(claims.recipientRef))
  if (claims.expiresAt !== undefined) pushUint32(out, claims.expiresAt)
  return Uint8Array.from(out)
}

function flagsOf(claims: TokenClaims): number {
  let flags = 0
  if (claims.messageRef !== undefined) flags |= FLAG_MESSAGE
  if (claims.recipientRef !== undefined) flags |= FLAG_RECIPIENT
  if (claims.expiresAt !== undefined) flags |= FLAG_EXPIRES
  return flags
}

function decodeBody(bytes: Bytes): { claims: TokenClaims; bodyLength: number } | null {
  const reader = new ByteReader(bytes)
  if (reader.byte() !== VERSION) return null

  const keyIdLength = reader.byte()
  const keyId = String.fromCharCode(...reader.take(keyIdLength))
  if (!KEY_ID_PATTERN.test(keyId)) return null

  const flags = reader.byte()
  if ((flags & ~KNOWN_FLAGS) !== 0) return null

  const claims: TokenClaims = { keyId, linkId: reader.uint32(), issuedAt: reader.uint32() }
  if (flags & FLAG_MESSAGE) claims.messageRef = reader.uint32()
  if (flags & FLAG_RECIPIENT) claims.recipientRef = bytesToHex(reader.take(RECIPIENT_REF_BYTES))
  if (flags & FLAG_EXPIRES) claims.expiresAt = reader.uint32()

  // A token must end exactly with its MAC: anything longer or shorter was cut or padded.
  if (reader.failed || bytes.length - reader.offset !== MAC_BYTES) return null
  return { claims, bodyLength: reader.offset }
}

class ByteReader {
  offset = 0
  failed = false

  constructor(private readonly bytes: Uint8Array) {}

  take(count: number): Uint8Array {
    if (this.offset + count > this.bytes.length) this.failed = true
    const slice = this.bytes.subarray(this.offset, this.offset + count)
    this.offset += count
    return slice
  }

  byte(): number {
    return this.take(1)[0] ?? -1
  }

  uint32(): number {
    const b = this.take(4)
    if (b.length < 4) return 0
    return (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0
  }
}

function pushUint32(out: number[], value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new TypeError(`token field out of range: ${value}`)
  }
  out.push((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff)
}

export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

function hexToBytes(hex: string): number[] {
  if (!/^[0-9a-f]{12}$/.test(hex)) throw new TypeError('recipient reference must be 12 hex digits')
  const out: number[] = []
  for (let i = 0; i < hex.length; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16))
  return out
}
