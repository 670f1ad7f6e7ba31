/**
 * Time budgets for providers. A provider that is down or slow must not hold
 * a click, and must not let a link through either: when its budget runs out
 * or it fails, the wrapper answers for it with a finding whose verdict the
 * operator chose (warn by default, block when configured fail-closed).
 *
 * Runtime-neutral: a plain timer and an AbortController, both standard on
 * Node and Workers.
 */

import type { ClickSubject, Finding, Signal } from './types.js'

/** What a check that could not be completed turns into. */
export type FailureVerdict = 'warn' | 'block'

/** Stable reasons for a check that could not be completed. */
export type FailureReason =
  'provider_timeout' | 'provider_error' | 'provider_unavailable' | 'feed_stale' | 'feed_not_loaded'

export interface BudgetOptions {
  /** Milliseconds the provider may spend on one click. */
  budgetMs: number
  /** The verdict of a check that timed out or failed. */
  onFailure: FailureVerdict
  /** Readable provider name for the warning page, e.g. `Google Safe Browsing`. */
  label: string
}

/**
 * Largest budget we accept. A click is a person waiting; a provider that
 * needs longer than this is treated as down rather than waited for.
 */
export const MAX_BUDGET_MS = 30_000

/** A finding that says a check could not be completed, and why. */
export function failureFinding(
  source: string,
  reason: FailureReason,
  verdict: FailureVerdict,
  checkedAt: number,
  detail: string,
): Finding {
  return { verdict, reason, source, checkedAt, detail }
}

/**
 * Wraps a signal so that it answers within `budgetMs`. On time-out the
 * provider's request is aborted and a `provider_timeout` finding comes back;
 * when the provider throws, a `provider_error` finding. Neither is ever an
 * allow: a link is not waved through because a check failed.
 */
export function withBudget(signal: Signal, options: BudgetOptions): Signal {
  if (!Number.isFinite(options.budgetMs) || options.budgetMs <= 0) {
    throw new TypeError(`budget for ${signal.name} must be a positive number of milliseconds`)
  }

  return {
    name: signal.name,
    async evaluate(subject: ClickSubject): Promise<Finding[]> {
      const controller = new AbortController()
      let timer: ReturnType<typeof setTimeout> | undefined
      const expired = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), options.budgetMs)
      })

      const work = signal.evaluate(subject, controller.signal)
      // The race may be lost by `work`; its later rejection must not go unhandled.
      work.catch(() => undefined)

      try {
        const result = await Promise.race([work, expired])
        if (result !== 'timeout') return result

        controller.abort(new Error(`${signal.name} exceeded ${options.budgetMs} ms`))
        return [timeoutFinding(signal.name, options, subject.now)]
      } catch {
        // The provider's own error text may hold endpoint details; the code is enough.
        return [errorFinding(signal.name, options, subject.now)]
      } finally {
        clearTimeout(timer)
      }
    },
  }
}

function timeoutFinding(source: string, options: BudgetOptions, now: number): Finding {
  return failureFinding(
    source,
    'provider_timeout',
    options.onFailure,
    now,
    `${options.label} did not answer within ${options.budgetMs} ms, so this address was not checked against it`,
  )
}

function errorFinding(source: string, options: BudgetOptions, now: number): Finding {
  return failureFinding(
    source,
    'provider_error',
    options.onFailure,
    now,
    `${options.label} could not be asked, so this address was not checked against it`,
  )
}
