/**
 * One error family for everything clickgate reports to a caller.
 *
 * Each error carries a stable string code. The HTTP layer maps codes to
 * statuses through one table, and the CLI maps them to exit codes, so the
 * same failure reads the same way everywhere.
 */

export const ERROR_STATUS = {
  bad_request: 400,
  invalid_rule: 400,
  duplicate_rule: 409,
  method_not_allowed: 405,
  unauthorized: 401,
  not_found: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  scan_failed: 502,
  internal: 500,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

export class ClickgateError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ClickgateError'
    this.code = code
  }

  get status(): (typeof ERROR_STATUS)[ErrorCode] {
    return ERROR_STATUS[this.code]
  }
}
