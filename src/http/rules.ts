/** /api/v1/rules — admin allow and block lists. Changes apply on the next click. */

import type { Context } from 'hono'
import { nanoid } from 'nanoid'

import { ClickgateError } from '../core/errors.js'
import { type RuleInput, validateRule } from '../core/rules.js'
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
    const now = deps.now()
    const rule = await deps.store.addRule(validateRule(input, nanoid(12), now), now)

    deps.logger('info', 'rule.added', { id: rule.id, action: rule.action, type: rule.type })
    return c.json(ruleJson(rule), 201)
  }

  async function removeRule(c: Context<AppEnv>) {
    const id = c.req.param('id') ?? ''
    if (!(await deps.store.removeRule(id))) throw new ClickgateError('not_found', `no rule "${id}"`)

    deps.logger('info', 'rule.removed', { id })
    return c.body(null, 204)
  }

  return { listRules, addRule, removeRule }
}

async function jsonBody(c: Context<AppEnv>): Promise<RuleInput> {
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
