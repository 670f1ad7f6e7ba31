import { describe, expect, it } from 'vitest'

import { bytesToBinary, fromBase64Url, toBase64Url } from '../../src/core/bytes.js'
import {
  KeyRing,
  generateKeyEntry,
  parseKeyList,
  signToken,
  verifyToken,
} from '../../src/core/tokens.js'

const NOW = 1_796_000_000

function ring(...ids: string[]): KeyRing {
  return new KeyRing(parseKeyList(ids.map((id) => generateKeyEntry(id)).join(',')))
}

const fullClaims = {
  linkId: 0xfffffffe,
  issuedAt: NOW,
  messageRef: 0xfffffffd,
  recipientRef: 'a1b2c3d4e5f6',
  expiresAt: NOW + 86_400,
}

describe('signed tokens', () => {
  it('round-trips every claim', async () => {
    const keys = ring('k1')

    const token = await signToken(keys, fullClaims)
    const result = await verifyToken(keys, token, NOW)

    expect(result).toEqual({ ok: true, claims: { ...fullClaims, keyId: 'k1' } })
  })

  it('stays within 64 characters with every field and the longest key id', async () => {
    const keys = ring('abcdef')

    const token = await signToken(keys, fullClaims)

    expect(token.length).toBeLessThanOrEqual(64)
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/)
  })

  it('rejects the token when any single byte is flipped', async () => {
    const keys = ring('k1')
    const token = await signToken(keys, fullClaims)
    const bytes = fromBase64Url(token)
    if (!bytes) throw new Error('token is not base64url')

    for (let i = 0; i < bytes.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const tampered = bytes.slice()
        tampered[i] = (tampered[i] ?? 0) ^ mask
        const result = await verifyToken(keys, toBase64Url(tampered), NOW)
        expect(result.ok, `byte ${i} mask ${mask}`).toBe(false)
      }
    }
  })

  it('rejects every truncation and any extension', async () => {
    const keys = ring('k1')
    const token = await signToken(keys, { linkId: 7, issuedAt: NOW })

    for (let length = 0; length < token.length; length++) {
      expect((await verifyToken(keys, token.slice(0, length), NOW)).ok).toBe(false)
    }
    expect((await verifyToken(keys, token + 'A', NOW)).ok).toBe(false)
    expect((await verifyToken(keys, token + 'AAAA', NOW)).ok).toBe(false)
  })

  it('rejects a signature moved from another message (case 12c)', async () => {
    const keys = ring('k1')
    const a = fromBase64Url(await signToken(keys, { linkId: 1, issuedAt: NOW, messageRef: 10 }))
    const b = fromBase64Url(await signToken(keys, { linkId: 1, issuedAt: NOW, messageRef: 11 }))
    if (!a || !b) throw new Error('token is not base64url')

    const spliced = new Uint8Array(b)
    spliced.set(a.subarray(a.length - 16), b.length - 16)
    const result = await verifyToken(keys, toBase64Url(spliced), NOW)

    expect(result).toMatchObject({ ok: false, reason: 'bad_signature' })
  })

  it('rejects a token with its signature removed (case 12b)', async () => {
    const keys = ring('k1')
    const bytes = fromBase64Url(await signToken(keys, { linkId: 1, issuedAt: NOW }))
    if (!bytes) throw new Error('token is not base64url')

    const unsigned = toBase64Url(bytes.subarray(0, bytes.length - 16))

    expect((await verifyToken(keys, unsigned, NOW)).ok).toBe(false)
  })

  it('keeps old links working after rotation while the old key stays in the ring (case 12d)', async () => {
    const k1 = generateKeyEntry('k1')
    const k2 = generateKeyEntry('k2')
    const before = new KeyRing(parseKeyList(k1))
    const after = new KeyRing(parseKeyList(`${k2},${k1}`))
    const retired = new KeyRing(parseKeyList(k2))

    const oldToken = await signToken(before, { linkId: 3, issuedAt: NOW })
    const newToken = await signToken(after, { linkId: 3, issuedAt: NOW })

    expect(await verifyToken(after, oldToken, NOW)).toMatchObject({
      ok: true,
      claims: { keyId: 'k1' },
    })
    expect(await verifyToken(after, newToken, NOW)).toMatchObject({
      ok: true,
      claims: { keyId: 'k2' },
    })
    expect(await verifyToken(retired, oldToken, NOW)).toMatchObject({
      ok: false,
      reason: 'unknown_key',
    })
  })

  it('rejects a key with the right id but another secret', async () => {
    const token = await signToken(ring('k1'), { linkId: 3, issuedAt: NOW })

    expect(await verifyToken(ring('k1'), token, NOW)).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    })
  })

  it('expires only when an expiry was set', async () => {
    const keys = ring('k1')
    const forever = await signToken(keys, { linkId: 1, issuedAt: NOW })
    const shortLived = await signToken(keys, { linkId: 1, issuedAt: NOW, expiresAt: NOW + 60 })

    expect((await verifyToken(keys, forever, NOW + 10 * 365 * 86_400)).ok).toBe(true)
    expect((await verifyToken(keys, shortLived, NOW + 59)).ok).toBe(true)
    expect(await verifyToken(keys, shortLived, NOW + 60)).toMatchObject({
      ok: false,
      reason: 'expired',
    })
  })

  it('carries references, never the destination or the address', async () => {
    const keys = ring('k1')

    const token = await signToken(keys, { linkId: 42, issuedAt: NOW, recipientRef: 'a1b2c3d4e5f6' })
    const decoded = bytesToBinary(fromBase64Url(token) ?? new Uint8Array())

    // Random MAC bytes may spell anything short, so look for the real values only.
    expect(decoded).not.toContain('https://')
    expect(decoded).not.toContain('someone@example.com')
    expect(decoded.length).toBeLessThan(48)
  })

  it('refuses weak keys and bad key ids at start-up', () => {
    expect(() => parseKeyList('k1:c2hvcnQ')).not.toThrow()
    expect(() => new KeyRing(parseKeyList('k1:c2hvcnQ'))).toThrow(/at least 32 bytes/)
    expect(() => generateKeyEntry('much-too-long')).toThrow(/1-6 characters/)
    expect(() => parseKeyList('nocolon')).toThrow(/id:secret/)
    expect(() => new KeyRing([])).toThrow(/at least one key/)
  })

  it('answers malformed input without throwing', async () => {
    const keys = ring('k1')

    for (const junk of ['', '!!!!', 'a'.repeat(500), '%00', 'AAAA', '..']) {
      expect((await verifyToken(keys, junk, NOW)).ok).toBe(false)
    }
  })
})

describe('token spelling', () => {
  it('accepts only the canonical base64url spelling of a token', async () => {
    const keys = ring('k1')

    for (let linkId = 1; linkId <= 4; linkId++) {
      const token = await signToken(keys, { linkId, issuedAt: NOW, recipientRef: 'a1b2c3d4e5f6' })
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

      for (const other of alphabet) {
        if (other === token.at(-1)) continue
        const respelled = token.slice(0, -1) + other
        expect((await verifyToken(keys, respelled, NOW)).ok, respelled).toBe(false)
      }
    }
  })
})
