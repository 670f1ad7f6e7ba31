/** `clickgate rewrite`: a message or bare body in, the rewritten one on stdout, the summary on stderr. */

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { parseConnectionFacts } from '../core/auth/facts.js'
import type { ConnectionFacts } from '../core/auth/types.js'
import { ClickgateError } from '../core/errors.js'
import type { Rewriter, RewriteSummary } from '../core/rewrite/rewriter.js'
import { parseRecipients } from '../http/rewrite-batch.js'
import { openRuntime } from '../node/runtime.js'
import {
  InputError,
  type Parsed,
  UsageError,
  parse,
  readInput,
  settings,
  stringOption,
} from './shared.js'

export async function rewriteCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, {
    html: { type: 'boolean' },
    text: { type: 'boolean' },
    recipient: { type: 'string' },
    recipients: { type: 'string' },
    'out-dir': { type: 'string' },
    'message-id': { type: 'string' },
    'client-ip': { type: 'string' },
    helo: { type: 'string' },
    'mail-from': { type: 'string' },
  })
  if (values.html && values.text) throw new UsageError('--html and --text exclude each other')
  if (positionals.length > 1) throw new UsageError('rewrite takes at most one FILE')
  const facts = connectionFacts(values)
  if (facts && (values.html || values.text)) {
    throw new UsageError('--client-ip, --helo and --mail-from need a whole message')
  }
  const list = stringOption(values, 'recipients')
  if (list !== undefined) return rewriteBatch(positionals[0], list, values, facts)

  const input = readInput(positionals[0])
  const { services, db } = openRuntime(settings())
  const context = {
    recipient: stringOption(values, 'recipient') ?? null,
    messageId: stringOption(values, 'message-id') ?? null,
  }

  try {
    const kind = values.html ? 'html' : values.text ? 'text' : null
    const result = kind
      ? await rewriteBare(services.rewriter, input, kind, context)
      : await services.mail.process(input, context, facts)

    process.stdout.write(result.output)
    process.stderr.write(JSON.stringify(result.summary) + '\n')
    warnIfNotAMessage(result.summary)
  } finally {
    db.close()
  }
}

/**
 * `rewrite --recipients LIST --out-dir DIR`: one copy per recipient, written
 * as DIR/00001.eml, DIR/00002.eml… in the order of LIST (one address a
 * line), with DIR/index.tsv mapping each file to its recipient. The message
 * is authenticated and parsed once; the summary goes to standard error.
 */
async function rewriteBatch(
  file: string | undefined,
  list: string,
  values: Parsed['values'],
  facts: ConnectionFacts | null,
): Promise<void> {
  const outDir = stringOption(values, 'out-dir')
  if (outDir === undefined) throw new UsageError('--recipients needs --out-dir DIR')
  if (values.html || values.text || values.recipient !== undefined) {
    throw new UsageError(
      '--recipients takes a whole message, without --html, --text or --recipient',
    )
  }

  const input = readInput(file)
  const recipients = readRecipients(list)
  mkdirSync(outDir, { recursive: true })
  const { services, db } = openRuntime(settings())
  try {
    const context = { messageId: stringOption(values, 'message-id') ?? null }
    const batch = await services.mail.processBatch(input, recipients, context, facts)
    const index: string[] = []
    let n = 0
    for await (const copy of batch.messages) {
      const name = `${String(++n).padStart(5, '0')}.eml`
      writeFileSync(join(outDir, name), copy.output)
      index.push(`${name}\t${copy.recipient}`)
    }
    writeFileSync(join(outDir, 'index.tsv'), index.join('\n') + '\n')
    process.stderr.write(JSON.stringify(batch.summary) + '\n')
    warnIfNotAMessage(batch.summary)
  } finally {
    db.close()
  }
}

function readRecipients(file: string): string[] {
  const text = new TextDecoder().decode(readInput(file))
  try {
    return parseRecipients(text)
  } catch (err) {
    throw new UsageError(err instanceof Error ? `${file}: ${err.message}` : 'bad recipients list')
  }
}

/** The SMTP connection facts for sender authentication, or null when none were given. */
function connectionFacts(values: Parameters<typeof stringOption>[0]) {
  try {
    return parseConnectionFacts(
      {
        clientIp: stringOption(values, 'client-ip'),
        helo: stringOption(values, 'helo'),
        mailFrom: stringOption(values, 'mail-from'),
      },
      { clientIp: '--client-ip', helo: '--helo', mailFrom: '--mail-from' },
    )
  } catch (err) {
    throw new UsageError(err instanceof ClickgateError ? err.message : 'bad connection facts')
  }
}

async function rewriteBare(
  rewriter: Rewriter,
  input: Uint8Array,
  kind: 'html' | 'text',
  context: { recipient: string | null; messageId: string | null },
) {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input)
  } catch {
    throw new InputError('bare --html and --text input must be UTF-8')
  }

  const result =
    kind === 'html'
      ? await rewriter.rewriteHtml(text, context)
      : await rewriter.rewriteText(text, context)
  return { output: new TextEncoder().encode(result.output), summary: result.summary }
}

/** Bare HTML piped in without --html is passed through untouched: say so, loudly. */
function warnIfNotAMessage(summary: RewriteSummary): void {
  if (summary.flagged.some((flag) => flag.part === '' && flag.reason === 'not_a_message')) {
    process.stderr.write(
      'clickgate: the input does not start with mail headers, so nothing was rewritten; ' +
        'use --html or --text for a bare body\n',
    )
  }
}
