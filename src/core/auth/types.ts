/**
 * The vocabulary of sender authentication: what the caller knows about the
 * SMTP connection, what was found out about the message, and the seam to the
 * runtime that can check signatures. Verification, ARC sealing and DKIM
 * signing need Node's crypto and DNS (mailauth); the core only sees the
 * `MailAuthenticator` interface, so the Worker bundle never pulls them in.
 */

/**
 * RFC 8601 section 2.7 result values, plus `neutral`/`policy`/`softfail`
 * used by SPF and DKIM. Kept as strings: results from a relay may carry values
 * we do not interpret, and those never count as a pass.
 */
export type AuthResultValue = string

/** What the receiving MTA saw: the facts SPF and DMARC are evaluated against. */
export interface ConnectionFacts {
  /** The SMTP client's address (IPv4 or IPv6, no brackets). */
  clientIp: string
  /** The EHLO/HELO name; defaults to the address literal. */
  helo: string | null
  /** The MAIL FROM address; '' for the null reverse-path `<>`, null when not given. */
  mailFrom: string | null
}

export interface DkimOutcome {
  result: AuthResultValue
  /** The signing domain (d=), lower-case ASCII, or null when the signature had none. */
  domain: string | null
  selector: string | null
}

export interface SpfOutcome {
  result: AuthResultValue
  /** The domain checked: the MAIL FROM domain, or the HELO name for `<>`. */
  domain: string | null
}

export interface DmarcOutcome {
  result: AuthResultValue
  /** The From domain DMARC was evaluated for, as reported. */
  domain: string | null
  /** The published policy (`none`, `quarantine`, `reject`), when known. */
  policy: string | null
}

export interface ArcOutcome {
  /** Chain validation of the message as it reached us: `none`, `pass` or `fail`. */
  result: AuthResultValue
  /** Highest ARC instance in the chain, 0 without one. */
  instance: number
  /** Signing domain (d=) of the newest ARC-Seal, when the chain passed. */
  sealer: string | null
  /** What the newest sealer recorded in its ARC-Authentication-Results. */
  sealerDmarc: DmarcOutcome | null
  /** RFC 8617 section 5.1.1: whether we may still add a set (false when cv=fail is already recorded). */
  sealable: boolean
}

/** How the results were obtained. */
export type AuthSource = 'verified' | 'relay'

/**
 * The authentication result recorded with a message. `verified` means we
 * checked DKIM, SPF, DMARC and ARC ourselves from the connection facts;
 * `relay` means we took them from the trusted relay's Authentication-Results.
 */
export interface MessageAuth {
  source: AuthSource
  /** The authserv-id that produced the results (ours, or the relay's). */
  authservId: string
  /** Domains of the From header as we read it (normally exactly one). */
  fromDomains: string[]
  dkim: DkimOutcome[]
  spf: SpfOutcome | null
  dmarc: DmarcOutcome | null
  arc: ArcOutcome | null
  /** Set when a trusted ARC sealer's record replaced a DMARC failure (RFC 8617 section 7.2). */
  arcOverride: string | null
  /** Stable codes for anything odd, e.g. `relay_results_missing`, `relay_results_conflict`. */
  notes: string[]
  /** Milliseconds since the epoch. */
  checkedAt: number
}

/** What `MailAuthenticator.verify` reports; the pipeline adds the From parse and notes. */
export interface VerifiedAuth {
  /** From addresses' domains as the verifier read them (compared with ours). */
  fromDomains: string[]
  dkim: DkimOutcome[]
  spf: SpfOutcome | null
  dmarc: DmarcOutcome | null
  arc: ArcOutcome
}

/** An ARC set to add: the chain status we computed before changing anything. */
export interface SealRequest {
  /** RFC 8617 section 4.1.3 `cv=` value. */
  cv: 'none' | 'pass' | 'fail'
  /** The ARC-Authentication-Results payload: our Authentication-Results value. */
  authResults: string
}

/**
 * The runtime's mail-authentication engine. Node implements it with
 * mailauth; Workers have none (their crypto cannot run DKIM or ARC).
 */
export interface MailAuthenticator {
  /** DKIM, SPF, DMARC and ARC of the message exactly as received. */
  verify(message: Uint8Array, facts: ConnectionFacts): Promise<VerifiedAuth>
  /** ARC chain validation alone, for messages whose other results come from the relay. */
  verifyArc(message: Uint8Array): Promise<ArcOutcome>
  /** Header fields (ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results) to prepend, or null when no sealing key is configured. */
  seal(message: Uint8Array, request: SealRequest): Promise<string | null>
  /** A DKIM-Signature header field to prepend, or null when no signing key is configured. */
  sign(message: Uint8Array): Promise<string | null>
  /** Whether a sealing key is configured (so the chain must be checked before rewriting). */
  readonly sealing: boolean
  /** Whether a DKIM signing key is configured. */
  readonly signing: boolean
}

/** What the rewrite summary says about authentication. */
export interface AuthSummary {
  source: AuthSource | 'off'
  /** Our own result, as in the added Authentication-Results header; absent when off. */
  dmarc?: AuthResultValue | null
  arc?: AuthResultValue | null
  /** Whether an ARC set and a DKIM signature were added after rewriting. */
  sealed: boolean
  signed: boolean
  /** MIME parts that received the banner. */
  banner: string[]
  notes: string[]
}
