/** Administration commands: rules, clicks, keys and migrations. */

import { customAlphabet } from 'nanoid'

import { toBase64Url } from '../core/bytes.js'
import { ClickgateError } from '../core/errors.js'
import { createRule } from '../core/rules.js'
import { generateKeyEntry } from '../core/tokens.js'
import { jsonLogger } from '../core/log.js'
import { ruleAuditFields, ruleJson } from '../http/rules.js'
import { migrationsDir } from '../node/paths.js'
import { openRuntime } from '../node/runtime.js'
import { migrate, openSqlite } from '../node/sqlite.js'
import { UsageError, parse, settings, stringOption, writeJson } from './shared.js'

/** Rule fields as the API names them, and the flags the CLI takes for them. */
const FLAG_NAMES: Record<string, string> = {
  '"action"': '--action',
  '"type"': '--type',
  '"value"': '--value',
  '"note"': '--note',
  '"expiresAt"': '--expires',
}

export async function rulesCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args
  if (sub !== 'add' && sub !== 'list' && sub !== 'remove') {
    throw new UsageError('rules takes add, list or remove', true)
  }

  const parsed =
    sub === 'add'
      ? parse(rest, {
          action: { type: 'string' },
          type: { type: 'string' },
          value: { type: 'string' },
          note: { type: 'string' },
          expires: { type: 'string' },
        })
      : parse(rest)

  const { services, db } = openRuntime(settings())
  // The same audit events as the API's, on standard error beside the command's own output.
  const audit = jsonLogger((line) => process.stderr.write(`${line}\n`))
  try {
    if (sub === 'list')
      return writeJson({ rules: (await services.store.listRules()).map(ruleJson) })
    if (sub === 'add') {
      const rule = await addRule(services.store, parsed.values)
      audit('info', 'rule.added', ruleAuditFields(rule, 'cli'))
      return writeJson(ruleJson(rule))
    }

    const id = parsed.positionals[0]
    const rule = (await services.store.listRules()).find((r) => r.id === id)
    if (id === undefined || !rule || !(await services.store.removeRule(id))) {
      throw new UsageError(`no rule "${id ?? ''}"`)
    }
    audit('info', 'rule.removed', ruleAuditFields(rule, 'cli'))
    process.stdout.write(`removed ${id}\n`)
  } finally {
    db.close()
  }
}

async function addRule(
  store: ReturnType<typeof openRuntime>['services']['store'],
  values: Record<string, unknown>,
) {
  const input = { ...values, expiresAt: values['expires'] }
  try {
    return await createRule(store, input, Date.now())
  } catch (err) {
    if (!(err instanceof ClickgateError)) throw err
    const message = Object.entries(FLAG_NAMES).reduce(
      (m, [f, flag]) => m.replace(f, flag),
      err.message,
    )
    throw new UsageError(message)
  }
}

export async function clicksCommand(args: string[]): Promise<void> {
  const { values } = parse(args, { recipient: { type: 'string' }, limit: { type: 'string' } })
  const limit = Number(stringOption(values, 'limit') ?? '100')
  if (!Number.isInteger(limit) || limit <= 0) {
    throw new UsageError('--limit must be a positive whole number')
  }

  const { services, db } = openRuntime(settings())
  try {
    const recipient = stringOption(values, 'recipient')
    const recipientRef = recipient ? await services.hasher.recipientRef(recipient) : undefined
    const rows = await services.store.listClicks({ recipientRef, limit })
    writeJson({ clicks: rows.map((row) => ({ ...row, at: new Date(row.at).toISOString() })) })
  } finally {
    db.close()
  }
}

/**
 * Prints one key-ring entry, or with --env a complete set of secrets for a
 * production environment file.
 */
export async function keygenCommand(args: string[]): Promise<void> {
  const { values } = parse(args, { id: { type: 'string' }, env: { type: 'boolean' } })
  const id =
    stringOption(values, 'id') ?? `k${customAlphabet('abcdefghijkmnpqrstuvwxyz23456789', 5)()}`

  let entry: string
  try {
    entry = generateKeyEntry(id)
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.replace('key id', '--id') : 'bad --id')
  }

  if (!values.env) return void process.stdout.write(entry + '\n')
  process.stdout.write(
    [
      `CLICKGATE_KEYS=${entry}`,
      `CLICKGATE_HASH_SECRET=${randomSecret()}`,
      `CLICKGATE_ADMIN_TOKEN=${randomSecret()}`,
      `CLICKGATE_REWRITE_TOKEN=${randomSecret()}`,
    ].join('\n') + '\n',
  )
}

function randomSecret(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(32)))
}

export async function migrateCommand(args: string[]): Promise<void> {
  parse(args)
  const db = openSqlite(settings().dbPath)
  try {
    writeJson({ applied: migrate(db, migrationsDir()) })
  } finally {
    db.close()
  }
}
