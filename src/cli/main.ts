#!/usr/bin/env node
/**
 * The `clickgate` command. Exit codes: 0 success, 1 bad usage or an invalid
 * link, 2 unreadable input.
 */

import { readFileSync } from 'node:fs'
import { type ParseArgsConfig, parseArgs } from 'node:util'

import { nanoid, customAlphabet } from 'nanoid'

import { validateRule } from '../core/rules.js'
import { generateKeyEntry, verifyToken } from '../core/tokens.js'
import { bytesToBinary } from '../core/bytes.js'
import { parseMime } from '../core/rewrite/mime.js'
import { ruleJson } from '../http/rules.js'
import { openRuntime } from '../node/runtime.js'
import { startServer } from '../node/server.js'
import { loadSettings } from '../node/settings.js'
import { migrate, openSqlite } from '../node/sqlite.js'
import { migrationsDir } from '../node/paths.js'

export const EXIT_USAGE = 1
export const EXIT_INPUT = 2

class UsageError extends Error {}
class InputError extends Error {}

const USAGE = `usage: clickgate <command>

  rewrite [FILE] [--html | --text] [--recipient ADDR] [--message-id ID]
  serve [--port N]
  keygen [--id ID]
  decode <link>
  links [FILE]
  rules add --action block|allow --type domain|host|prefix|url --value V [--note N] [--expires ISO]
  rules list
  rules remove <id>
  clicks [--recipient ADDR] [--limit N]
  migrate`

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
    'message-id': { type: 'string' },
  })
  if (values.html && values.text) throw new UsageError('--html and --text exclude each other')
  if (positionals.length > 1) throw new UsageError('rewrite takes at most one FILE')

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
  startServer(loadSettings(port ? { ...process.env, PORT: port } : process.env))
}

async function keygen(args: string[]): Promise<void> {
  const { values } = parse(args, { id: { type: 'string' } })
  const id =
    stringOption(values, 'id') ?? `k${customAlphabet('abcdefghijkmnpqrstuvwxyz23456789', 5)()}`
  try {
    process.stdout.write(generateKeyEntry(id) + '\n')
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : 'bad key id')
  }
}

async function decode(args: string[]): Promise<void> {
  const { positionals } = parse(args, {})
  const link = positionals[0]
  if (positionals.length !== 1 || link === undefined) throw new UsageError('decode takes one link')

  const token =
    link
      .replace(/[?#].*$/, '')
      .split('/')
      .pop() ?? ''
  const { services, db } = openRuntime(settings())
  try {
    const result = await verifyToken(services.config.ring, token, nowSeconds())
    if (!result.ok) throw new UsageError(`invalid link (${result.reason})`)

    const { claims } = result
    const target = await services.store.getLinkUrl(claims.linkId)
    if (target === null) throw new UsageError('invalid link (unknown_link)')

    const out = {
      target,
      keyId: claims.keyId,
      issuedAt: new Date(claims.issuedAt * 1000).toISOString(),
      linkId: claims.linkId,
      messageRef: claims.messageRef ?? null,
      recipientRef: claims.recipientRef ?? null,
      expiresAt:
        claims.expiresAt === undefined ? null : new Date(claims.expiresAt * 1000).toISOString(),
    }
    process.stdout.write(JSON.stringify(out, null, 2) + '\n')
  } finally {
    db.close()
  }
}

/** Lists the signed links in a rewritten message, each with its target, one per line. */
async function links(args: string[]): Promise<void> {
  const { positionals } = parse(args, {})
  if (positionals.length > 1) throw new UsageError('links takes at most one FILE')

  const input = readInput(positionals[0])
  const { services, db } = openRuntime(settings())
  try {
    const prefix = services.config.baseUrl.href.replace(/\/$/, '') + '/r/'
    const leaves = parseMime(input).leaves
    const texts = leaves.length > 0 ? leaves.map((leaf) => leaf.decoded) : [bytesToBinary(input)]

    for (const link of texts.flatMap((text) => signedLinksIn(text, prefix))) {
      const result = await verifyToken(
        services.config.ring,
        link.slice(prefix.length),
        nowSeconds(),
      )
      const target = result.ok ? await services.store.getLinkUrl(result.claims.linkId) : null
      process.stdout.write(`${link}\t${target ?? '(invalid)'}\n`)
    }
  } finally {
    db.close()
  }
}

function signedLinksIn(text: string, prefix: string): string[] {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return [...text.matchAll(new RegExp(`${escaped}[A-Za-z0-9_-]+`, 'g'))].map((match) => match[0])
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

async function rules(args: string[]): Promise<void> {
  const [sub, ...rest] = args
  const { services, db } = openRuntime(settings())
  try {
    if (sub === 'list') {
      const all = await services.store.listRules()
      process.stdout.write(JSON.stringify({ rules: all.map(ruleJson) }, null, 2) + '\n')
    } else if (sub === 'add') {
      const { values } = parse(rest, {
        action: { type: 'string' },
        type: { type: 'string' },
        value: { type: 'string' },
        note: { type: 'string' },
        expires: { type: 'string' },
      })
      const now = Date.now()
      const input = { ...values, expiresAt: values['expires'] }
      const rule = await services.store.addRule(validateRule(input, nanoid(12), now), now)
      process.stdout.write(JSON.stringify(ruleJson(rule), null, 2) + '\n')
    } else if (sub === 'remove') {
      const { positionals } = parse(rest, {})
      const id = positionals[0]
      if (id === undefined || !(await services.store.removeRule(id))) {
        throw new UsageError(`no rule "${id ?? ''}"`)
      }
      process.stdout.write(`removed ${id}\n`)
    } else {
      throw new UsageError('rules takes add, list or remove')
    }
  } finally {
    db.close()
  }
}

async function clicks(args: string[]): Promise<void> {
  const { values } = parse(args, { recipient: { type: 'string' }, limit: { type: 'string' } })
  const limit = Number(stringOption(values, 'limit') ?? '100')
  if (!Number.isInteger(limit) || limit <= 0)
    throw new UsageError('--limit must be a positive number')

  const { services, db } = openRuntime(settings())
  try {
    const recipient = stringOption(values, 'recipient')
    const recipientRef = recipient ? await services.hasher.recipientRef(recipient) : undefined
    const rows = await services.store.listClicks({ recipientRef, limit })
    const out = rows.map((row) => ({ ...row, at: new Date(row.at).toISOString() }))
    process.stdout.write(JSON.stringify({ clicks: out }, null, 2) + '\n')
  } finally {
    db.close()
  }
}

async function migrateCommand(): Promise<void> {
  const db = openSqlite(settings().dbPath)
  const applied = migrate(db, migrationsDir())
  db.close()
  process.stdout.write(JSON.stringify({ applied }) + '\n')
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err)
  process.stderr.write(`clickgate: ${message}\n`)
  if (err instanceof UsageError) process.stderr.write(USAGE + '\n')

  // Configuration mistakes (TypeError) and rejected values count as bad usage.
  process.exitCode = err instanceof InputError ? EXIT_INPUT : EXIT_USAGE
})
