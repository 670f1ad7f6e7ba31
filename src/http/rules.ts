/** /api/v1/rules — admin allow and block lists. Changes apply on the next click. */

import type { Context } from 'hono'

import { ClickgateError } from '../core/errors.js'
import { type RuleInput, createRule } from '../core/rules.js'
import type { Rule } from '../core/store.js'
import type { AppDeps, AppEnv } from './env.js'

export function ruleJson(rule: Rule) {
  return {
    id: rule.id,
    action: rule.action,
    type: rule.type,
    value: rule.value,
    note: rule.note,
    expiresAt: rule.expiresAt === null ? null : new Date(rule.expiresAt).toISOString(),
    createdAt: new Date(rule.createdAt).toISOString(),
  }
}

export function rulesHandlers(deps: AppDeps) {
  async function listRules(c: Context<AppEnv>) {
    const rules = await deps.store.listRules()
    return c.json({ rules: rules.map(ruleJson) })
  }

  async function addRule(c: Context<AppEnv>) {
    const input = await jsonBody(c)
    const rule = await createRule(deps.store, input, deps.now())

    deps.logger('info', 'rule.added', ruleAuditFields(rule, 'admin'))
    return c.json(ruleJson(rule), 201)
  }

  async function removeRule(c: Context<AppEnv>) {
    const id = c.req.param('id') ?? ''
    const rule = (await deps.store.listRules()).find((r) => r.id === id)
    if (!rule || !(await deps.store.removeRule(id))) {
      throw new ClickgateError('not_found', `no rule "${id}"`)
    }

    deps.logger('info', 'rule.removed', ruleAuditFields(rule, 'admin'))
    return c.body(null, 204)
  }

  return { listRules, addRule, removeRule }
}

/**
 * Rule changes are audit events: who can tell afterwards what was blocked or
 * unblocked. `principal` is `admin` for the API's admin token, `cli` for the
 * command line on the server's own machine.
 */
export function ruleAuditFields(rule: Rule, principal: 'admin' | 'cli') {
  return {
    id: rule.id,
    action: rule.action,
    type: rule.type,
    value: rule.value,
    principal,
  }
}

async function jsonBody(c: Context<AppEnv>): Promise<RuleInput> {
  const type = (c.req.header('Content-Type') ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') {
    throw new ClickgateError('unsupported_media_type', 'Content-Type must be application/json')
  }

  let body: unknown
  try {
    body = await c.req.json()
  } catch {
    throw new ClickgateError('bad_request', 'body must be a JSON object')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ClickgateError('bad_request', 'body must be a JSON object')
  }
  return body
}
