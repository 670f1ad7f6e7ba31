/** `clickgate decode` and `clickgate links`: what a signed link stands for. */

import { bytesToBinary } from '../core/bytes.js'
import { parseMime } from '../core/rewrite/mime.js'
import { verifyToken } from '../core/tokens.js'
import { openRuntime } from '../node/runtime.js'
import { UsageError, nowSeconds, parse, readInput, settings, writeJson } from './shared.js'

export async function decodeCommand(args: string[]): Promise<void> {
  const { positionals } = parse(args)
  const link = positionals[0]
  if (positionals.length !== 1 || link === undefined) throw new UsageError('decode takes one link')

  const token =
    link
      .replace(/[?#].*$/, '')
      .replace(/\/+$/, '')
      .split('/')
      .pop() ?? ''
  const { services, db } = openRuntime(settings())
  try {
    const result = await verifyToken(services.config.ring, token, nowSeconds())
    if (!result.ok) throw new UsageError(`invalid link (${result.reason})`)

    const { claims } = result
    const target = await services.store.getLinkUrl(claims.linkId)
    if (target === null) throw new UsageError('invalid link (unknown_link)')

    writeJson({
      target,
      keyId: claims.keyId,
      issuedAt: isoSeconds(claims.issuedAt),
      linkId: claims.linkId,
      messageRef: claims.messageRef ?? null,
      recipientRef: claims.recipientRef ?? null,
      expiresAt: claims.expiresAt === undefined ? null : isoSeconds(claims.expiresAt),
      auth: claims.messageRef ? await services.store.getMessageAuth(claims.messageRef) : null,
    })
  } finally {
    db.close()
  }
}

/** Lists the signed links in a rewritten message, each with its target, one per line. */
export async function linksCommand(args: string[]): Promise<void> {
  const { positionals } = parse(args)
  if (positionals.length > 1) throw new UsageError('links takes at most one FILE')

  const input = readInput(positionals[0])
  const { services, db } = openRuntime(settings())
  try {
    const prefix = services.config.baseUrl.href.replace(/\/$/, '') + '/r/'
    const leaves = parseMime(input).leaves
    const texts = leaves.length > 0 ? leaves.map((leaf) => leaf.decoded) : [bytesToBinary(input)]
    const found = texts.flatMap((text) => signedLinksIn(text, prefix))

    for (const link of found) {
      const result = await verifyToken(
        services.config.ring,
        link.slice(prefix.length),
        nowSeconds(),
      )
      const target = result.ok ? await services.store.getLinkUrl(result.claims.linkId) : null
      process.stdout.write(`${link}\t${target ?? '(invalid)'}\n`)
    }
    if (found.length === 0) {
      process.stderr.write(
        `clickgate: no links under ${prefix} found; the CLI must share the server's ` +
          'CLICKGATE_BASE_URL (or PORT) and data directory\n',
      )
    }
  } finally {
    db.close()
  }
}

function signedLinksIn(text: string, prefix: string): string[] {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return [...text.matchAll(new RegExp(`${escaped}[A-Za-z0-9_-]+`, 'g'))].map((match) => match[0])
}

function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString()
}
