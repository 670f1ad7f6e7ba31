#!/usr/bin/env node
/**
 * The `clickgate` command. Exit codes: 0 success, 1 bad usage or an invalid
 * link, 2 unreadable input, 3 a reputation feed could not be synced.
 */

import { VERSION } from '../core/version.js'
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
          [--client-ip IP [--helo NAME] [--mail-from ADDR]]
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
  if (command === '--version' || command === '-v') return void process.stdout.write(VERSION + '\n')
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE + '\n')
    if (command === undefined) process.exitCode = EXIT_USAGE
    return
  }

  const run = COMMANDS[command]
  if (!run) throw new UsageError(`unknown command "${command}"`, true)
  return run(rest)
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
