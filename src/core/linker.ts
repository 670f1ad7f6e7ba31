/**
 * Turns targets into signed links: registers each distinct target and the
 * message once, then signs one token per target for this message and
 * recipient. Nothing per recipient is written to storage.
 */

import type { MessageAuth } from './auth/types.js'
import type { Hasher } from './hashing.js'
import type { MessageFinding, Store } from './store.js'
import { type KeyRing, signToken } from './tokens.js'

export interface LinkContext {
  /** Message-ID (without angle brackets); links from one message share one message row. */
  messageId?: string | null
  /** Recipient address; only a keyed hash of it travels in the token. */
  recipient?: string | null
  /** Findings about the whole message, stored with it and applied to each of its links. */
  findings?: readonly MessageFinding[]
  /** Sender authentication result, recorded with the message row. */
  auth?: MessageAuth | null
  /** Target to the texts its links showed (only texts that name a site), for the click-time check. */
  linkTexts?: ReadonlyMap<string, readonly string[]>
}

export interface Linker {
  /** Registers the targets and the message, and signs links for `context.recipient`. */
  linksFor(targets: readonly string[], context: LinkContext): Promise<Map<string, string>>
  /**
   * Registers the targets and the message once; the result signs links for
   * any number of recipients without touching storage again.
   */
  prepare(targets: readonly string[], context: LinkContext): Promise<PreparedLinks>
}

/** Targets registered for one message, ready to be signed per recipient. */
export interface PreparedLinks {
  /** Target to signed link, with the recipient's keyed hash in each token. */
  forRecipient(recipient: string | null): Promise<Map<string, string>>
}

export interface LinkerOptions {
  baseUrl: URL
  ring: KeyRing
  store: Store
  hasher: Hasher
  /** Seconds a link stays valid; undefined means forever, so links in old mail keep working. */
  linkTtlSeconds?: number
  now: () => number
  /**
   * Called with every destination after it is registered, before the links
   * are signed: the sandbox queues the unknown ones for a scan here.
   */
  onRegistered?: (urls: readonly string[], now: number) => Promise<void>
}

export function createLinker(options: LinkerOptions): Linker {
  const prefix = options.baseUrl.href.replace(/\/$/, '') + '/r/'

  async function linksFor(targets: readonly string[], context: LinkContext) {
    const prepared = await prepare(targets, context)
    return prepared.forRecipient(context.recipient ?? null)
  }

  async function prepare(targets: readonly string[], context: LinkContext): Promise<PreparedLinks> {
    if (targets.length === 0) {
      // An authenticated message is recorded even without links: the record is the audit trail.
      if (context.auth) await registerMessage(context, options.now(), {})
      return { forRecipient: async () => new Map<string, string>() }
    }

    const now = options.now()
    const ids = await options.store.registerLinks(targets, now)
    await options.onRegistered?.([...ids.keys()], now)
    const issuedAt = Math.floor(now / 1000)
    const messageRef = await registerMessage(context, now, textsById(context, ids))
    const expiresAt = options.linkTtlSeconds ? issuedAt + options.linkTtlSeconds : undefined

    async function forRecipient(recipient: string | null) {
      const recipientRef = recipient ? await options.hasher.recipientRef(recipient) : undefined
      const shared = { issuedAt, messageRef, recipientRef, expiresAt }
      // Signed together: Web Crypto runs them concurrently, which matters for a batch.
      const entries = [...ids]
      const tokens = await Promise.all(
        entries.map(([, linkId]) => signToken(options.ring, { ...shared, linkId })),
      )
      return new Map(entries.map(([target], i) => [target, prefix + (tokens[i] ?? '')]))
    }
    return { forRecipient }
  }

  /**
   * A message is registered when it has an id to attribute clicks to,
   * findings or link texts that its links must carry, or an authentication
   * result to record; one without a Message-ID gets a key of its own.
   */
  async function registerMessage(
    context: LinkContext,
    now: number,
    linkTexts: Record<string, string[]>,
  ) {
    const findings = context.findings ?? []
    const auth = context.auth ?? undefined
    const hasTexts = Object.keys(linkTexts).length > 0
    if (!context.messageId && findings.length === 0 && !auth && !hasTexts) return undefined

    const key = context.messageId
      ? await options.hasher.messageKey(context.messageId)
      : `anonymous:${crypto.randomUUID()}`
    return options.store.registerMessage(key, now, findings, auth, linkTexts)
  }

  return { linksFor, prepare }
}

function textsById(context: LinkContext, ids: Map<string, number>): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const [target, texts] of context.linkTexts ?? []) {
    const id = ids.get(target)
    if (id !== undefined && texts.length > 0) out[String(id)] = [...texts]
  }
  return out
}
