import { describe, expect, it } from 'vitest'

import { fromBase64Url, toBase64Url, utf8 } from '../../src/core/bytes.js'
import { configFromEnv } from '../../src/core/config.js'
import { createHasher } from '../../src/core/hashing.js'
import { type HmacEngine, webCryptoHmac } from '../../src/core/hmac.js'
import { KeyRing, bytesToHex, parseKeyList, signToken, verifyToken } from '../../src/core/tokens.js'
import { nodeHmac } from '../../src/node/hmac.js'
import { loadSettings } from '../../src/node/settings.js'
import { createServices } from '../../src/core/services.js'
import { SqlStore } from '../../src/core/sql-store.js'
import { openSqlite } from '../../src/node/sqlite.js'
import { testEnv } from '../support/harness.js'

const NOW = 1_796_000_000
const KEYS = 'k1:' + Buffer.alloc(32, 7).toString('base64url')
const ENGINES: HmacEngine[] = [webCryptoHmac, nodeHmac]

describe('HMAC engines', () => {
  it('compute RFC 4231 test case 2 (HMAC-SHA256, key "Jefe")', async () => {
    const expected = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'
    for (const engine of ENGINES) {
      const key = engine.importKey(utf8('Jefe'))
      const mac = await key.sign(utf8('what do ya want for nothing?'))
      expect(bytesToHex(mac), engine.name).toBe(expected)
    }
  })

  it('sign identical tokens, each verifying under the other engine', async () => {
    const [web, node] = ENGINES.map((engine) => new KeyRing(parseKeyList(KEYS), engine))
    if (!web || !node) throw new Error('two rings expected')
    const claims = { linkId: 42, issuedAt: NOW, messageRef: 7, recipientRef: 'a1b2c3d4e5f6' }

    const byWeb = await signToken(web, claims)
    const byNode = await signToken(node, claims)

    expect(byNode).toBe(byWeb)
    expect(await verifyToken(web, byNode, NOW)).toMatchObject({ ok: true })
    expect(await verifyToken(node, byWeb, NOW)).toMatchObject({ ok: true })
  })

  it('reject a token with any MAC byte changed under the Node engine', async () => {
    const ring = new KeyRing(parseKeyList(KEYS), nodeHmac)
    const bytes = fromBase64Url(await signToken(ring, { linkId: 1, issuedAt: NOW }))
    if (!bytes) throw new Error('token is not base64url')

    for (let i = bytes.length - 16; i < bytes.length; i++) {
      const tampered = bytes.slice()
      tampered[i] = (tampered[i] ?? 0) ^ 0x01
      const result = await verifyToken(ring, toBase64Url(tampered), NOW)
      expect(result, `MAC byte ${i}`).toMatchObject({ ok: false, reason: 'bad_signature' })
    }
  })

  it('give the same keyed hashes', async () => {
    const secret = new Uint8Array(32).fill(5)
    const [web, node] = ENGINES.map((engine) => createHasher(secret, engine))
    if (!web || !node) throw new Error('two hashers expected')

    expect(await node.recipientRef('Alice@Example.com')).toBe(
      await web.recipientRef('alice@example.com'),
    )
    expect(await node.messageKey('<m@x>')).toBe(await web.messageKey('<m@x>'))
    expect(await node.ipHash('192.0.2.1')).toBe(await web.ipHash('192.0.2.1'))
  })
})

describe('the engine each runtime uses', () => {
  it('is node:crypto for the Node settings', () => {
    expect(loadSettings(testEnv()).config.ring.engine).toBe(nodeHmac)
  })

  it("is the key ring's for the keyed hashes too", async () => {
    const signed: string[] = []
    const counting: HmacEngine = {
      name: 'counting',
      importKey(secret) {
        const key = nodeHmac.importKey(secret)
        return {
          sign(data) {
            signed.push(new TextDecoder().decode(data))
            return key.sign(data)
          },
        }
      },
    }
    const config = configFromEnv(testEnv(), { port: 8787, hmac: counting })
    const services = createServices(config, new SqlStore(openSqlite(':memory:')))

    await services.hasher.recipientRef('alice@example.com')

    expect(signed).toEqual(['recipient\u0000alice@example.com'])
  })

  it('is Web Crypto when no engine is handed in', () => {
    expect(new KeyRing(parseKeyList(KEYS)).engine).toBe(webCryptoHmac)
  })
})
