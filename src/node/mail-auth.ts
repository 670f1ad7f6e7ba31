/**
 * The Node implementation of `MailAuthenticator`, on mailauth: DKIM, SPF,
 * DMARC and ARC verification, ARC sealing and DKIM signing. Only this file
 * imports mailauth, so the Worker bundle never contains it, and it loads it
 * on first use, so CLI commands that never authenticate do not pay for it.
 */

import { promises as dns } from 'node:dns'

import type { ARCData, ARCResult, ARCSealOptions, AuthenticateResult, DNSResolver } from 'mailauth'

import { parseAuthResults } from '../core/auth/auth-results.js'
import { asciiDomain, domainOf } from '../core/auth/header-block.js'
import type {
  ArcOutcome,
  ConnectionFacts,
  DmarcOutcome,
  MailAuthenticator,
  SealRequest,
  VerifiedAuth,
} from '../core/auth/types.js'
import type { ZoneResolver } from './dns-zone.js'

/** A key that signs for a domain under a selector (RFC 6376 section 3.1). */
export interface SigningKey {
  domain: string
  selector: string
  /** PEM: RSA (PKCS#1 or PKCS#8) or Ed25519. */
  privateKey: string
}

export interface NodeMailAuthOptions {
  /** Our authserv-id, written in the results and ARC sets we add. */
  authservId: string
  seal?: SigningKey | null
  sign?: SigningKey | null
  /** Replaces DNS (tests, and the test-only zone file); real DNS when absent. */
  resolver?: ZoneResolver
  /** Time limit for one message's DNS lookups; default DEFAULT_AUTH_TIMEOUT_MS. */
  timeoutMs?: number
  now?: () => number
}

/**
 * How long one message's DNS lookups may take together. SPF alone may make
 * ten (RFC 7208 section 4.6.4); a slow or silent name server must not hold a
 * rewrite request: past the limit every lookup fails as a temporary error,
 * which the results report as `temperror`.
 */
export const DEFAULT_AUTH_TIMEOUT_MS = 10_000

/**
 * The system resolver. Narrow cast at the I/O boundary: mailauth reads the
 * answers as node:dns returns them (MX answers are objects), while its
 * typings only name the TXT shapes.
 */
const systemResolver = ((name: string, type: string) => dns.resolve(name, type)) as DNSResolver

/** A resolver that gives up once `timeoutMs` have passed since it was made. */
export function deadlineResolver(base: DNSResolver, timeoutMs: number): DNSResolver {
  const deadline = Date.now() + timeoutMs
  return async function resolve(name, type) {
    const left = deadline - Date.now()
    if (left <= 0) throw timeoutError(name)

    let timer: ReturnType<typeof setTimeout> | undefined
    const expiry = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeoutError(name)), left)
    })
    try {
      return await Promise.race([base(name, type), expiry])
    } finally {
      clearTimeout(timer)
    }
  }
}

function timeoutError(name: string): Error {
  return Object.assign(new Error(`DNS lookup of ${name} timed out`), { code: 'ETIMEOUT' })
}

/** mailauth, loaded once on first use. */
let library: Promise<typeof import('mailauth')> | null = null
function mailauth(): Promise<typeof import('mailauth')> {
  library ??= import('mailauth')
  return library
}

/** RFC 8301 section 3.2: verifiers must refuse RSA keys under 1024 bits. */
const MIN_KEY_BITS = 1024

export function createNodeMailAuth(options: NodeMailAuthOptions): MailAuthenticator {
  const base: DNSResolver = options.resolver ?? systemResolver
  const timeoutMs = options.timeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS
  const now = options.now ?? (() => Date.now())

  async function verify(message: Uint8Array, facts: ConnectionFacts): Promise<VerifiedAuth> {
    const { authenticate } = await mailauth()
    const resolver = deadlineResolver(base, timeoutMs)
    const result = await authenticate(Buffer.from(message), {
      ip: facts.clientIp,
      helo: facts.helo ?? undefined,
      sender: facts.mailFrom ?? undefined,
      mta: options.authservId,
      resolver,
      minBitLength: MIN_KEY_BITS,
      disableBimi: true,
    })
    return toVerified(result)
  }

  async function verifyArc(message: Uint8Array): Promise<ArcOutcome> {
    const { arc, dkimVerify } = await mailauth()
    const resolver = deadlineResolver(base, timeoutMs)
    const dkim = await dkimVerify(Buffer.from(message), { resolver, minBitLength: MIN_KEY_BITS })
    // Narrow cast at the library boundary: dkimVerify's `arc` is exactly what `arc()` takes
    // (mailauth's own authenticate() passes it through); the typings name two shapes for it.
    const chain = (dkim.arc ?? { chain: [] }) as ARCData
    return arcOutcome(await arc(chain, { resolver, minBitLength: MIN_KEY_BITS }))
  }

  async function seal(message: Uint8Array, request: SealRequest): Promise<string | null> {
    const key = options.seal
    if (!key) return null

    // signTime is always given: without it mailauth reads the clock once to sign and again to
    // write the header, and across a second boundary it writes a t= it did not sign.
    const sealOptions: ARCSealOptions & SealRequest = {
      signingDomain: key.domain,
      selector: key.selector,
      privateKey: key.privateKey,
      signTime: new Date(now()),
      cv: request.cv,
      authResults: request.authResults,
    }
    const { sealMessage } = await mailauth()
    const headers = await sealMessage(Buffer.from(message), sealOptions)
    return headers.length > 0 ? headers.toString('binary') : null
  }

  async function sign(message: Uint8Array): Promise<string | null> {
    const key = options.sign
    if (!key) return null

    const { dkimSign } = await mailauth()
    const result = await dkimSign(Buffer.from(message), {
      signingDomain: key.domain,
      selector: key.selector,
      privateKey: key.privateKey,
      signatureData: [
        { signingDomain: key.domain, selector: key.selector, privateKey: key.privateKey },
      ],
      signTime: new Date(now()),
    })
    const [error] = result.errors
    if (error) throw error
    return result.signatures.trim() === '' ? null : result.signatures
  }

  return {
    verify,
    verifyArc,
    seal,
    sign,
    sealing: Boolean(options.seal),
    signing: Boolean(options.sign),
  }
}

function toVerified(result: AuthenticateResult): VerifiedAuth {
  const dkim = result.dkim.results
    .filter((r) => r.signingDomain || r.status.result !== 'none')
    .map((r) => ({
      result: r.status.result,
      domain: asciiDomain(r.signingDomain ?? '') || null,
      selector: r.selector ?? null,
    }))

  const spf = result.spf
    ? { result: result.spf.status.result, domain: asciiDomain(result.spf.domain ?? '') || null }
    : null

  const dmarc: DmarcOutcome | null = result.dmarc
    ? {
        result: result.dmarc.status.result,
        domain:
          asciiDomain(String(result.dmarc.status.header?.from ?? result.dmarc.domain ?? '')) ||
          null,
        policy: result.dmarc.policy ?? null,
      }
    : null

  return {
    fromDomains: result.dkim.headerFrom.map((address) => asciiDomain(domainOf(address))),
    dkim,
    spf,
    dmarc,
    arc: result.arc ? arcOutcome(result.arc) : NO_ARC,
  }
}

const NO_ARC: ArcOutcome = {
  result: 'none',
  instance: 0,
  sealer: null,
  sealerDmarc: null,
  sealable: true,
}

/**
 * The chain status, the newest sealer and what it recorded. RFC 8617
 * section 5.1.1: a chain whose newest seal already says cv=fail gets no
 * further set; mailauth reports that as `shouldSeal` false.
 */
function arcOutcome(result: ARCResult): ArcOutcome {
  const value = result.status.result
  const instance = typeof result.i === 'number' ? result.i : 0
  const newest = result.chain?.[result.chain.length - 1]
  const sealer =
    value === 'pass' ? asciiDomain(String(newest?.['arc-seal']?.parsed?.d?.value ?? '')) : ''

  return {
    result: value,
    instance,
    sealer: sealer || null,
    sealerDmarc:
      value === 'pass' ? recordedDmarc(newest?.['arc-authentication-results']?.original) : null,
    sealable: value !== 'fail' || result.status.shouldSeal === true,
  }
}

/** The DMARC statement of an ARC-Authentication-Results field, read with our own parser. */
function recordedDmarc(original: unknown): DmarcOutcome | null {
  // mailauth keeps the raw field as a Buffer (its typings say string).
  const field = Buffer.isBuffer(original) ? original.toString('binary') : String(original ?? '')
  if (!field) return null
  const value = field.slice(field.indexOf(':') + 1)
  const dmarc = parseAuthResults(value, { arc: true })?.results.find((r) => r.method === 'dmarc')
  if (!dmarc) return null
  return {
    result: dmarc.result,
    domain: asciiDomain(dmarc.props['header.from'] ?? '') || null,
    policy: null,
  }
}
