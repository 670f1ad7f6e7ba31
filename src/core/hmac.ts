/**
 * HMAC-SHA256, behind an engine each runtime picks. The core's default is
 * Web Crypto, which every runtime has; Node hands in its own synchronous
 * `node:crypto` engine (src/node/hmac.ts), because Web Crypto's `sign` on
 * Node costs tens of microseconds per call, mostly in argument handling and
 * a thread-pool round trip, against a few for `createHmac`. Signing a batch
 * of recipients' links and verifying a click both pay it.
 *
 * Both engines compute the same RFC 2104 MAC, so tokens and keyed hashes
 * signed by one verify under the other.
 */

import type { Bytes } from './bytes.js'

/** A key prepared once and used for any number of messages. */
export interface HmacKey {
  /** The full 32-byte MAC of `data`. */
  sign(data: Bytes): Bytes | Promise<Bytes>
}

export interface HmacEngine {
  /** For start-up logs and tests. */
  readonly name: string
  importKey(secret: Bytes): HmacKey
}

/** Web Crypto HMAC: any runtime with `crypto.subtle` (workerd, browsers, Node). */
export const webCryptoHmac: HmacEngine = {
  name: 'web-crypto',
  importKey(secret) {
    const key = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ])
    return {
      async sign(data) {
        return new Uint8Array(await crypto.subtle.sign('HMAC', await key, data))
      },
    }
  },
}
