/**
 * Reading and writing the Authentication-Results header field (RFC 8601).
 *
 * The reader is tolerant: comments and folding anywhere, quoted strings,
 * method versions, and unknown methods and properties (kept, never trusted
 * as a pass). The writer is strict: every value that reaches our header is
 * checked against the RFC 8601 section 2.2 grammar, so a hostile MAIL FROM or
 * a relay's odd header cannot inject a field or a result.
 */

/** One `method=result` statement with its reason and properties. */
export interface ResInfo {
  /** Lower-case method name without its version, e.g. `dkim`. */
  method: string
  /** Lower-case result keyword, e.g. `pass`. */
  result: string
  reason: string | null
  /** `ptype.property` (lower-case) to value, e.g. `header.d` → `example.com`; first wins. */
  props: Record<string, string>
}

export interface ParsedAuthResults {
  /** The authserv-id as written (compare case-insensitively). */
  authservId: string
  /** ARC-Authentication-Results only: the `i=` instance. */
  instance: number | null
  results: ResInfo[]
}

/**
 * Longest header value we parse. Real fields are a few hundred bytes; this
 * keeps a hostile multi-megabyte field from costing more than a glance.
 */
export const MAX_AUTH_RESULTS_LENGTH = 16 * 1024

/** Most statements read from one field; the rest are ignored. */
const MAX_RESINFOS = 64

// RFC 2045 token characters: anything printable but tspecials and space.
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/
const KEYWORD = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/
// RFC 5321 4.1.2 Dot-string, the only local-part we write unquoted.
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/
const LDH_DOMAIN =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

/**
 * Parses an Authentication-Results value (everything after the colon), or
 * for `arc: true` an ARC-Authentication-Results value (RFC 8617 4.1.1,
 * which starts with `i=N;`). Returns null when there is no authserv-id.
 */
export function parseAuthResults(
  value: string,
  options: { arc?: boolean } = {},
): ParsedAuthResults | null {
  if (value.length > MAX_AUTH_RESULTS_LENGTH) return null
  const segments = splitOutside(stripComments(value.replace(/\r?\n/g, '')), ';')

  const instance = options.arc ? readInstance(segments.shift() ?? '') : null
  if (options.arc && instance === null) return null

  const head = tokens(segments.shift() ?? '')
  const authservId = head[0] === undefined ? '' : unquote(head[0])
  if (authservId === '') return null

  const results: ResInfo[] = []
  for (const segment of segments.slice(0, MAX_RESINFOS)) {
    const info = readResInfo(segment)
    if (info) results.push(info)
  }
  return { authservId, instance, results }
}

function readInstance(segment: string): number | null {
  const match = /^\s*i\s*=\s*(\d{1,2})\s*$/i.exec(segment)
  return match ? Number(match[1]) : null
}

/** `method[/version]=result [reason=…] [ptype.prop=value …]`; null for `none` and junk. */
function readResInfo(segment: string): ResInfo | null {
  const [first, ...rest] = tokens(segment)
  const spec = first === undefined ? null : /^([^=/]+)(?:\/[^=]*)?=(.+)$/.exec(first)
  if (!spec) return null

  const method = spec[1].toLowerCase()
  const result = unquote(spec[2]).toLowerCase()
  if (!KEYWORD.test(method) || !KEYWORD.test(result)) return null

  const info: ResInfo = { method, result, reason: null, props: {} }
  for (const token of rest) {
    const eq = token.indexOf('=')
    if (eq <= 0) continue
    const key = token.slice(0, eq).toLowerCase()
    const raw = unquote(token.slice(eq + 1))
    if (key === 'reason') info.reason ??= raw
    else if (key.includes('.') && !(key in info.props)) info.props[key] = raw
  }
  return info
}

/**
 * Replaces RFC 5322 comments (nested, with quoted-pairs) by a space, leaving
 * quoted strings alone.
 */
function stripComments(text: string): string {
  let out = ''
  let depth = 0
  let quoted = false

  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch === '\\' && (quoted || depth > 0)) {
      if (depth === 0) out += ch + (text[i + 1] ?? '')
      i++
    } else if (depth > 0) {
      if (ch === '(') depth++
      else if (ch === ')' && --depth === 0) out += ' '
    } else if (ch === '"') {
      quoted = !quoted
      out += ch
    } else if (ch === '(' && !quoted) {
      depth = 1
    } else {
      out += ch
    }
  }
  return out
}

/** Splits on `separator` outside quoted strings. */
function splitOutside(text: string, separator: string): string[] {
  const parts: string[] = []
  let current = ''
  let quoted = false

  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch === '\\' && quoted) {
      current += ch + (text[i + 1] ?? '')
      i++
      continue
    }
    if (ch === '"') quoted = !quoted
    if (ch === separator && !quoted) {
      parts.push(current)
      current = ''
    } else {
      current += ch
    }
  }
  parts.push(current)
  return parts
}

/**
 * Whitespace-separated tokens of one statement. RFC 8601 allows CFWS around
 * `=`, `/` and `.`, so blanks next to them join rather than separate.
 */
function tokens(segment: string): string[] {
  const out: string[] = []
  let current = ''
  let quoted = false
  let blank = false

  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]
    if (quoted) {
      current += ch === '\\' ? ch + (segment[++i] ?? '') : ch
      if (ch === '"') quoted = false
      continue
    }
    if (ch === ' ' || ch === '\t') {
      blank = true
      continue
    }

    const glued = GLUE.includes(ch) || GLUE.includes(current.at(-1) ?? ' ')
    if (blank && !glued && current !== '') {
      out.push(current)
      current = ''
    }
    blank = false
    if (ch === '"') quoted = true
    current += ch
  }
  if (current !== '') out.push(current)
  return out
}

const GLUE = '=/.'

/** Removes the quotes of a quoted-string (anywhere in the token) and resolves quoted-pairs. */
function unquote(token: string): string {
  return token.replace(/"((?:[^"\\]|\\.)*)"/g, (_, inner: string) => inner.replace(/\\(.)/g, '$1'))
}

// ---------------------------------------------------------------------------
// Writing

/** A statement to write; `comment` is free text, sanitised before use. */
export interface ResInfoOut {
  method: 'dkim' | 'spf' | 'dmarc' | 'arc'
  result: string
  comment?: string
  props?: [string, string | null][]
}

/**
 * Formats a header field value: the authserv-id, then one statement per
 * folded line, or `none` when there is nothing to report (RFC 8601 2.2).
 * The authserv-id must be a token; values that are not valid `pvalue`s are
 * left out rather than written.
 */
export function formatAuthResults(
  authservId: string,
  results: readonly ResInfoOut[],
  lineEnding: string,
): string {
  if (!TOKEN.test(authservId)) throw new TypeError(`authserv-id "${authservId}" is not a token`)
  if (results.length === 0) return `${authservId}; none`

  const lines = results.map((info) => {
    const result = KEYWORD.test(info.result) ? info.result.toLowerCase() : 'permerror'
    const comment = info.comment ? ` (${safeComment(info.comment)})` : ''
    const props = (info.props ?? [])
      .map(([key, value]) => (value === null ? null : propValue(key, value)))
      .filter((prop): prop is string => prop !== null)
    return [`${info.method}=${result}${comment}`, ...props].join(' ')
  })
  return `${authservId};${lineEnding}\t` + lines.join(`;${lineEnding}\t`)
}

/** `key=value` when the value is a valid domain, `@domain` or `local@domain`; else null. */
function propValue(key: string, value: string): string | null {
  const at = value.lastIndexOf('@')
  const domain = at < 0 ? value : value.slice(at + 1)
  if (!LDH_DOMAIN.test(domain)) return null
  if (at < 0) return `${key}=${domain}`

  // An odd local-part is dropped rather than quoted: `@domain` is a valid pvalue.
  const local = value.slice(0, at)
  return `${key}=${DOT_ATOM.test(local) ? local : ''}@${domain}`
}

/**
 * Printable ASCII without comment delimiters, escapes or semicolons (legal in
 * a comment, but naive readers split statements on them).
 */
function safeComment(text: string): string {
  return text
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/[()\\;]/g, '')
    .slice(0, 200)
}

/** True when `id` can be written as our authserv-id. */
export function isToken(id: string): boolean {
  return TOKEN.test(id)
}
