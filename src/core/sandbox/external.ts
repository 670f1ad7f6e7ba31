/**
 * What the external scanners (urlscan.io, Cloudflare URL Scanner) share:
 * submit, then poll for the result until it exists or time runs out. They
 * use the runtime's standard `fetch` to a fixed API host, so they run on
 * Workers too, where no local page fetch can be made safely.
 */

import { ScanFetchError, type ScanReport, emptyReport } from './types.js'
import { judgeReport } from './judge.js'

export interface ExternalScannerOptions {
  /** Standard fetch; injectable for tests. */
  fetch?: typeof fetch
  /** Submission to result. */
  timeoutMs: number
  /** Both services ask for a pause before the first poll; scans take 10 to 30 s. */
  firstPollDelayMs?: number
  pollIntervalMs?: number
}

export const DEFAULT_FIRST_POLL_DELAY_MS = 10_000
export const DEFAULT_POLL_INTERVAL_MS = 2_500

/** Largest API answer read; result documents are hundreds of kilobytes at most. */
const MAX_API_RESPONSE_BYTES = 8 * 1024 * 1024

export type JsonObject = Record<string, unknown>

export interface ApiCall {
  url: string
  init: RequestInit
}

/**
 * Runs submit-then-poll for one scanner. `submit` returns the poll call;
 * `poll` answers null while the scan is still running (the APIs answer 404).
 */
export async function submitAndPoll(
  name: string,
  url: string,
  options: ExternalScannerOptions,
  signal: AbortSignal,
  steps: {
    submit: ApiCall
    pollCall: (submitted: JsonObject) => ApiCall
    read: (result: JsonObject, report: ScanReport) => void
  },
): Promise<ScanReport> {
  const report = emptyReport(name, url)
  report.chain.push({ url, via: 'start' })
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)])
  const doFetch = options.fetch ?? fetch

  try {
    const submitted = await callJson(name, doFetch, steps.submit, deadline)
    if (submitted === null)
      throw new ScanFetchError('scanner_unavailable', `${name} lost the submission`, true)

    const call = steps.pollCall(submitted)
    await sleep(options.firstPollDelayMs ?? DEFAULT_FIRST_POLL_DELAY_MS, deadline)
    for (;;) {
      const result = await callJson(name, doFetch, call, deadline)
      if (result !== null) {
        steps.read(result, report)
        break
      }
      await sleep(options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, deadline)
    }
  } catch (err) {
    report.failure = failureOf(name, err, deadline)
  }
  report.findings = [...judgeReport(report), ...report.findings]
  return report
}

/** JSON of a 2xx answer; null for 404 (not ready); a `ScanFetchError` for everything else. */
async function callJson(
  name: string,
  doFetch: typeof fetch,
  call: ApiCall,
  signal: AbortSignal,
): Promise<JsonObject | null> {
  // Never follow: the API key must not travel to wherever a redirect points. workerd rejects
  // `redirect: 'error'` ("does not make sense at the edge"), so 'manual' and refuse any 3xx.
  const response = await doFetch(call.url, { ...call.init, signal, redirect: 'manual' })
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel()
    throw new ScanFetchError(
      'scanner_unavailable',
      `${name} answered a redirect (${response.status}), which is not followed`,
      false,
    )
  }
  if (response.status === 404) {
    await response.body?.cancel()
    return null
  }
  const text = await readText(response)
  if (!response.ok) {
    const transient = response.status === 429 || response.status >= 500
    throw new ScanFetchError(
      'scanner_unavailable',
      `${name} answered ${response.status}${apiMessage(text)}`,
      transient,
    )
  }
  const value: unknown = JSON.parse(text)
  if (!isJsonObject(value)) {
    throw new ScanFetchError('scanner_unavailable', `${name} sent an unexpected answer`, true)
  }
  return value
}

/** Fields of API answers are read through the guards below, never trusted as typed. */
function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

async function readText(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > MAX_API_RESPONSE_BYTES) {
    await response.body?.cancel()
    throw new ScanFetchError('scanner_unavailable', 'the scanner answer is too large', false)
  }
  return response.text()
}

function apiMessage(text: string): string {
  try {
    const body: unknown = JSON.parse(text)
    const message = field(body, 'message') ?? field(body, 'description')
    return typeof message === 'string' ? `: ${message.slice(0, 200)}` : ''
  } catch {
    // Not JSON: the status alone says enough.
    return ''
  }
}

function failureOf(name: string, err: unknown, deadline: AbortSignal) {
  if (err instanceof ScanFetchError) {
    return { code: err.reason, message: err.message, transient: err.transient }
  }
  if (deadline.aborted) {
    return { code: 'timeout' as const, message: `${name} did not finish in time`, transient: true }
  }
  return {
    code: 'scanner_unavailable' as const,
    message: `${name} could not be reached`,
    transient: true,
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** `field(obj, 'a', 'b')` is `obj.a.b` when every step is an object, else undefined. */
export function field(value: unknown, ...path: string[]): unknown {
  let current = value
  for (const key of path) {
    if (!isJsonObject(current)) return undefined
    current = current[key]
  }
  return current
}

export function stringField(value: unknown, ...path: string[]): string | null {
  const found = field(value, ...path)
  return typeof found === 'string' ? found : null
}

/** Names from an array of strings or of `{ name }` objects. */
export function namesOf(value: unknown): string[] {
  if (!Array.isArray(value)) return []
  return value
    .map((item: unknown) => (typeof item === 'string' ? item : stringField(item, 'name')))
    .filter((name): name is string => name !== null && name.length > 0)
}
