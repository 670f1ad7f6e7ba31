/**
 * A small offline mail world for sender-authentication tests: generated
 * keys, an in-memory DNS zone (through mailauth's `resolver` option), and
 * helpers to sign, forward and seal messages the way real senders and
 * forwarders do. Nothing here touches the network.
 */

import { generateKeyPairSync } from 'node:crypto'

import { authenticate, dkimSign, sealMessage } from 'mailauth'

import type { AppConfig } from '../../src/core/config.js'
import { type Zone, zoneResolver } from '../../src/node/dns-zone.js'
import { type SigningKey, createNodeMailAuth } from '../../src/node/mail-auth.js'
import { type Harness, createHarness, testConfig } from './harness.js'

export interface KeyPair {
  privateKey: string
  /** The `p=` value of the DKIM key record. */
  publicKey: string
}

/** A 2048-bit RSA key (RFC 8301 asks for at least 1024; 2048 is what signers use). */
export function rsaKey(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  }
}

/** Generated once per test file: key generation is the slow part. */
export const KEYS = {
  shop: rsaKey(),
  microsoft: rsaKey(),
  lists: rsaKey(),
  clickgate: rsaKey(),
}

export const IP = {
  shop: '192.0.2.10',
  microsoft: '192.0.2.40',
  lists: '192.0.2.20',
  attacker: '203.0.113.77',
}

/** The zone every test resolves against. `microsoft.com` is a protected brand in brands.ts. */
export const ZONE: Zone = {
  'shop.example': { TXT: [`v=spf1 ip4:${IP.shop} -all`] },
  's1._domainkey.shop.example': { TXT: [`v=DKIM1; k=rsa; p=${KEYS.shop.publicKey}`] },
  '_dmarc.shop.example': { TXT: ['v=DMARC1; p=reject'] },
  'microsoft.com': { TXT: [`v=spf1 ip4:${IP.microsoft} -all`] },
  'selector1._domainkey.microsoft.com': {
    TXT: [`v=DKIM1; k=rsa; p=${KEYS.microsoft.publicKey}`],
  },
  '_dmarc.microsoft.com': { TXT: ['v=DMARC1; p=reject; pct=100'] },
  'lists.example': { TXT: [`v=spf1 ip4:${IP.lists} -all`] },
  'arc._domainkey.lists.example': { TXT: [`v=DKIM1; k=rsa; p=${KEYS.lists.publicKey}`] },
  'evil.example': { TXT: [`v=spf1 ip4:${IP.attacker} -all`] },
  'cg._domainkey.go.clickgate.example': {
    TXT: [`v=DKIM1; k=rsa; p=${KEYS.clickgate.publicKey}`],
  },
}

export const resolver = zoneResolver(ZONE)

export const OUR_KEY: SigningKey = {
  domain: 'go.clickgate.example',
  selector: 'cg',
  privateKey: KEYS.clickgate.privateKey,
}

/** The app with Node's mail authentication on the in-memory zone. */
export function authHarness(
  config: AppConfig = testConfig(),
  keys: { seal?: boolean; sign?: boolean } = {},
): Harness {
  let harness: Harness | null = null
  const mailAuth = createNodeMailAuth({
    authservId: config.auth.authservId,
    seal: keys.seal ? OUR_KEY : null,
    sign: keys.sign ? OUR_KEY : null,
    resolver,
    now: () => harness?.clock.now ?? Date.now(),
  })
  harness = createHarness(config, { mailAuth })
  return harness
}

/** A message from its header lines and body, with CRLF (or the given) line endings. */
export function mail(headers: string[], body: string, eol = '\r\n'): string {
  return headers.join(eol) + eol + eol + body.replace(/\r?\n/g, eol)
}

/**
 * mailauth stamps `t=` from the clock each time it formats a signature
 * unless it is given `signTime`, and it formats twice (to sign, then to
 * write): across a second boundary the written header is not the signed
 * one. Every signature here therefore gets one fixed time.
 */
const SIGN_TIME = new Date('2026-12-03T09:00:00Z')

/** DKIM-signs a message as its author's domain would (relaxed/relaxed, rsa-sha256). */
export async function signed(message: string, domain: string, selector: string, key: KeyPair) {
  const result = await dkimSign(message, {
    signingDomain: domain,
    selector,
    privateKey: key.privateKey,
    signatureData: [{ signingDomain: domain, selector, privateKey: key.privateKey }],
    signTime: SIGN_TIME,
  })
  if (result.errors.length > 0) throw result.errors[0]
  return result.signatures + message
}

/**
 * What a mailing list does: receives the message, changes its body, and
 * adds an ARC set recording what it saw (authenticate, modify, seal).
 */
export async function forwardedByList(message: string, from: { ip: string; mailFrom: string }) {
  const seen = await authenticate(message, {
    ip: from.ip,
    sender: from.mailFrom,
    mta: 'lists.example',
    resolver,
    disableBimi: true,
  })
  const arc = seen.arc
  if (!arc || !arc.authResults) throw new Error('the list could not evaluate ARC')

  const changed = message
    .replace(/\r\n\r\n/, '\r\n\r\n[list] ')
    .replace(/$/, '\r\n-- \r\nlist footer\r\n')
  const seal = await sealMessage(Buffer.from(changed), {
    signingDomain: 'lists.example',
    selector: 'arc',
    privateKey: KEYS.lists.privateKey,
    signTime: SIGN_TIME,
    // Not in mailauth's typings, but what sealMessage reads (see createSeal).
    ...{ cv: arc.status.result, authResults: arc.authResults },
  })
  return seal.toString() + changed
}

/** What a downstream receiver concludes about our output. */
export async function downstream(
  message: Uint8Array | string,
  from: { ip: string; mailFrom: string },
) {
  return authenticate(typeof message === 'string' ? message : Buffer.from(message), {
    ip: from.ip,
    sender: from.mailFrom,
    mta: 'mx.downstream.example',
    resolver,
    disableBimi: true,
  })
}
