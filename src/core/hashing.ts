/**
 * Keyed hashes for values we must be able to find but never store in clear:
 * recipient addresses, Message-IDs and client IPs. An HMAC with a server
 * secret, rather than a plain hash, stops anyone holding a copy of the
 * database from confirming a guessed address offline.
 */

import { bytesToHex } from './tokens.js'
import { type Bytes, utf8 } from './bytes.js'
import { type HmacEngine, webCryptoHmac } from './hmac.js'

export interface Hasher {
  /** Twelve hex digits: travels in tokens and attributes clicks to a recipient. */
  recipientRef(address: string): Promise<string>
  /** Identifies a message by its Message-ID across rewrites. */
  messageKey(messageId: string): Promise<string>
  /** Sixteen hex digits: enough to group clicks by origin, not to recover the IP. */
  ipHash(ip: string): Promise<string>
}

export function createHasher(secret: Bytes, engine: HmacEngine = webCryptoHmac): Hasher {
  const key = engine.importKey(secret)

  async function digest(label: string, value: string, bytes: number): Promise<string> {
    const mac = await key.sign(utf8(`${label}\u0000${value}`))
    return bytesToHex(mac.subarray(0, bytes))
  }

  return {
    recipientRef: (address) => digest('recipient', normaliseAddress(address), 6),
    messageKey: (messageId) => digest('message', messageId.trim(), 16),
    ipHash: (ip) => digest('ip', ip, 8),
  }
}

/** Addresses differ only by case in the domain in practice; we fold the whole address. */
export function normaliseAddress(address: string): string {
  return address.trim().replace(/^<|>$/g, '').toLowerCase()
}
