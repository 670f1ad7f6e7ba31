#!/usr/bin/env node
/**
 * The `clickgate` command. Exit codes: 0 success, 1 bad usage or an invalid
 * link, 2 unreadable input, 3 a reputation feed could not be synced.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type ParseArgsConfig, parseArgs } from 'node:util'

import { nanoid, customAlphabet } from 'nanoid'

import { validateRule } from '../core/rules.js'
import { generateKeyEntry, verifyToken } from '../core/tokens.js'
import { bytesToBinary } from '../core/bytes.js'
import { parseMime } from '../core/rewrite/mime.js'
import { parseRecipients } from '../http/rewrite-batch.js'
import { ruleJson } from '../http/rules.js'
import { openRuntime } from '../node/runtime.js'
import { startServer } from '../node/server.js'
import { loadSettings } from '../node/settings.js'
import { clicksCommand, keygenCommand, migrateCommand, rulesCommand } from './admin.js'
import { feedsCommand } from './feeds.js'
import { decodeCommand, linksCommand } from './links.js'
import { rewriteCommand } from './rewrite.js'
import {
  EXIT_INPUT,
  EXIT_USAGE,
  HelpRequested,
  InputError,
  UsageError,
  parse,
  stringOption,
} from './shared.js'

const USAGE = `usage: clickgate <command>

  rewrite [FILE] [--html | --text] [--recipient ADDR] [--message-id ID]
  rewrite [FILE] --recipients LIST --out-dir DIR [--message-id ID]
  serve [--port N]
  keygen [--id ID] [--env]
  decode <link>
  links [FILE]
  rules add --action block|allow --type domain|host|prefix|url --value V [--note N] [--expires ISO]
  rules list
  rules remove <id>
  clicks [--recipient ADDR] [--limit N]
  feeds sync [NAME]
  feeds status
  migrate
  --version

FILE defaults to standard input. Every command reads the same environment
(CLICKGATE_*, PORT) and ./data directory as the server.`

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  rewrite: rewriteCommand,
  serve: serveCommand,
  keygen: keygenCommand,
  decode: decodeCommand,
  links: linksCommand,
  rules: rulesCommand,
  clicks: clicksCommand,
  migrate: migrateCommand,
  feeds: feedsCommand,
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  switch (command) {
    case 'rewrite':
      return rewrite(rest)
    case 'serve':
      return serveCommand(rest)
    case 'keygen':
      return keygen(rest)
    case 'decode':
      return decode(rest)
    case 'links':
      return links(rest)
    case 'rules':
      return rules(rest)
    case 'clicks':
      return clicks(rest)
    case 'migrate':
      return migrateCommand()
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE + '\n')
      if (command === undefined) process.exitCode = EXIT_USAGE
      return
    default:
      throw new UsageError(`unknown command "${command}"`)
  }
}

interface Parsed {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>
  positionals: string[]
}

function parse(args: string[], options: ParseArgsConfig['options']): Parsed {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : 'bad arguments')
  }
}

function settings() {
  return loadSettings(process.env)
}

function stringOption(values: Record<string, unknown>, name: string): string | undefined {
  const value = values[name]
  return typeof value === 'string' ? value : undefined
}

async function rewrite(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, {
    html: { type: 'boolean' },
    text: { type: 'boolean' },
    recipient: { type: 'string' },
    recipients: { type: 'string' },
    'out-dir': { type: 'string' },
    'message-id': { type: 'string' },
  })
  if (values.html && values.text) throw new UsageError('--html and --text exclude each other')
  if (positionals.length > 1) throw new UsageError('rewrite takes at most one FILE')
  const list = stringOption(values, 'recipients')
  if (list !== undefined) return rewriteBatch(positionals[0], list, values)

  const input = readInput(positionals[0])
  const { services, db } = openRuntime(settings())
  const context = {
    recipient: stringOption(values, 'recipient') ?? null,
    messageId: stringOption(values, 'message-id') ?? null,
  }

  try {
    const result =
      values.html || values.text
        ? await rewriteBare(services.rewriter, input, values.html ? 'html' : 'text', context)
        : await services.rewriter.rewriteMessage(input, context)
    process.stdout.write(result.output)
    process.stderr.write(JSON.stringify(result.summary) + '\n')
  } finally {
    db.close()
  }
}

/**
 * `rewrite --recipients LIST --out-dir DIR`: one copy per recipient, written
 * as DIR/00001.eml, DIR/00002.eml… in the order of LIST (one address a
 * line), with DIR/index.tsv mapping each file to its recipient. The message
 * is parsed once; the summary goes to standard error.
 */
async function rewriteBatch(
  file: string | undefined,
  list: string,
  values: Record<string, unknown>,
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
    const batch = await services.rewriter.rewriteMessageBatch(input, recipients, {
      messageId: stringOption(values, 'message-id') ?? null,
    })
    const index: string[] = []
    let n = 0
    for await (const copy of batch.messages) {
      const name = `${String(++n).padStart(5, '0')}.eml`
      writeFileSync(join(outDir, name), copy.output)
      index.push(`${name}\t${copy.recipient}`)
    }
    writeFileSync(join(outDir, 'index.tsv'), index.join('\n') + '\n')
    process.stderr.write(JSON.stringify(batch.summary) + '\n')
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

async function rewriteBare(
  rewriter: ReturnType<typeof openRuntime>['services']['rewriter'],
  input: Uint8Array,
  kind: 'html' | 'text',
  context: { recipient: string | null; messageId: string | null },
) {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(input)
  } catch {
    throw new InputError('bare --html and --text input must be UTF-8')
  }
  const result =
    kind === 'html'
      ? await rewriter.rewriteHtml(text, context)
      : await rewriter.rewriteText(text, context)
  return { output: new TextEncoder().encode(result.output), summary: result.summary }
}

function readInput(file: string | undefined): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file === undefined || file === '-' ? 0 : file))
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String(err.code) : 'unreadable'
    throw new InputError(`cannot read ${file ?? 'standard input'}: ${reason}`)
  }
}

async function serveCommand(args: string[]): Promise<void> {
  const { values } = parse(args, { port: { type: 'string' } })
  const port = stringOption(values, 'port')
  if (port !== undefined && !/^\d{1,5}$/.test(port)) {
    throw new UsageError(`--port must be a port number, got "${port}"`)
  }
  startServer(loadSettings(port ? { ...process.env, PORT: port } : process.env))
}

// A closed pipe (`clickgate links | head -1`) is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0)
  throw err
})

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof HelpRequested) return void process.stdout.write(USAGE + '\n')

  const message = err instanceof Error ? err.message : String(err)
  process.stderr.write(`clickgate: ${message}\n`)
  if (err instanceof UsageError && err.showUsage) process.stderr.write(USAGE + '\n')

  // Configuration mistakes (TypeError) and rejected values count as bad usage.
  process.exitCode = err instanceof InputError ? EXIT_INPUT : EXIT_USAGE
})
