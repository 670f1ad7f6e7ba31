/**
 * HMAC-SHA256 with `node:crypto`: synchronous and a few microseconds per
 * MAC, where Web Crypto on Node costs tens (see src/core/hmac.ts).
 */

import { createHmac, createSecretKey } from 'node:crypto'

import type { HmacEngine } from '../core/hmac.js'

export const nodeHmac: HmacEngine = {
  name: 'node-crypto',
  importKey(secret) {
    // A KeyObject is parsed once; a raw Buffer key would be copied on every MAC.
    const key = createSecretKey(secret)
    return {
      sign(data) {
        const mac = createHmac('sha256', key).update(data).digest()
        return new Uint8Array(mac.buffer, mac.byteOffset, mac.byteLength) as Uint8Array<ArrayBuffer>
      },
    }
  },
}
