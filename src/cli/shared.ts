/** What every `clickgate` command shares: argument parsing, input, errors and exit codes. */

import { readFileSync } from 'node:fs'
import { type ParseArgsConfig, parseArgs } from 'node:util'

import { loadSettings } from '../node/settings.js'

export const EXIT_USAGE = 1
export const EXIT_INPUT = 2

/** Bad usage or a rejected value; `showUsage` adds the command summary to the message. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly showUsage = false,
  ) {
    super(message)
  }
}

/** Input that cannot be read: exit code 2. */
export class InputError extends Error {}

/** Asked for help: not an error, the usage text goes to standard output. */
export class HelpRequested extends Error {}

export interface Parsed {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>
  positionals: string[]
}

export function parse(args: string[], options: ParseArgsConfig['options'] = {}): Parsed {
  if (args.includes('--help') || args.includes('-h')) throw new HelpRequested()

  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : 'bad arguments', true)
  }
}

export function stringOption(values: Parsed['values'], name: string): string | undefined {
  const value = values[name]
  return typeof value === 'string' ? value : undefined
}

/** The CLI reads the same environment and ./data as the server it talks about. */
export function settings() {
  return loadSettings(process.env)
}

export function readInput(file: string | undefined): Uint8Array {
  const name = file === undefined || file === '-' ? 'standard input' : file
  try {
    return new Uint8Array(readFileSync(name === 'standard input' ? 0 : name))
  } catch (err) {
    const reason = err instanceof Error ? err.message : 'unreadable'
    throw new InputError(`cannot read ${name}: ${reason}`)
  }
}

export function writeJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n')
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}
