/**
 * The tokenizer states of the HTML Standard that the scan in html.ts needs,
 * as small scanners over the source: names and whitespace, where a tag ends
 * (with its attributes), where a comment, raw text or script data ends.
 * None of them recurses.
 */

/** The characters of markup, shared with the scan in html.ts. */
export const GT = 0x3e
export const LT = 0x3c
export const SLASH = 0x2f
export const DASH = 0x2d
export const EQUALS = 0x3d
export const DOUBLE_QUOTE = 0x22
export const SINGLE_QUOTE = 0x27
export const BANG = 0x21
export const QUESTION = 0x3f

/** Tab, LF, FF, CR and space: the HTML tokenizer's whitespace (CR stands in for CRLF). */
export function isHtmlSpace(code: number): boolean {
  return code === 0x20 || (code <= 0x0d && code >= 0x09 && code !== 0x0b)
}

/**
 * True for a character that can end a tag or attribute name: `>`, `/`, `=`
 * or whitespace. Everything above `>` (letters, digits are below) is tested
 * with one comparison, which is what names are mostly made of.
 */
export function endsAttributeName(code: number): boolean {
  if (code > GT) return false
  return code === GT || code === SLASH || code === EQUALS || isHtmlSpace(code)
}

export function skipHtmlSpace(src: string, from: number, to: number): number {
  let i = from
  while (i < to) {
    const code = src.charCodeAt(i)
    // Anything above the space is not whitespace: one comparison for the usual case.
    if (code > 0x20 || !isHtmlSpace(code)) break
    i++
  }
  return i
}

/**
 * Tag and attribute names are compared after folding ASCII upper case only
 * (§13.2.5.8, §13.2.5.33): `toLowerCase` would also fold non-ASCII letters,
 * and a binary string's bytes above 0x7f are not letters at all.
 */
export function asciiLowerCase(text: string): string {
  return /[A-Z]/.test(text) ? text.replace(/[A-Z]+/g, (run) => run.toLowerCase()) : text
}

/** True when `src` at `at` spells `lower` (already lower case) in any ASCII case. */
export function equalsAsciiLowerCase(src: string, at: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) {
    const code = src.charCodeAt(at + k)
    const folded = code >= 0x41 && code <= 0x5a ? code | 0x20 : code
    if (folded !== lower.charCodeAt(k)) return false
  }
  return true
}

/** Where an unquoted attribute value ends: whitespace or `>` (§13.2.5.38), or `to`. */
function attributeValueEnd(src: string, from: number, to: number): number {
  let i = from
  while (i < to) {
    const code = src.charCodeAt(i)
    if (code <= GT && (code === GT || isHtmlSpace(code))) break
    i++
  }
  return i
}

/** Where a comment's text ends, and where the data state resumes after it. */
export interface CommentEnd {
  contentEnd: number
  resume: number
}

/**
 * Ends the comment whose text starts at `from`, just after `<!--`, the way
 * §13.2.5.43-§13.2.5.52 do: `<!-->` and `<!--->` are whole (empty) comments,
 * and otherwise the first `-->` or `--!>` closes it. A comment left open
 * runs to the end of input.
 */
export function findCommentEnd(src: string, from: number, to: number): CommentEnd {
  if (src.charCodeAt(from) === GT && from < to) return { contentEnd: from, resume: from + 1 }
  if (src.startsWith('->', from) && from + 2 <= to) return { contentEnd: from, resume: from + 2 }

  // One pass over the `--` pairs; a second `indexOf` for `--!>` would rescan the whole rest.
  for (let i = src.indexOf('--', from); i >= 0 && i + 2 < to; i = src.indexOf('--', i + 1)) {
    const next = src.charCodeAt(i + 2)
    if (next === GT) return { contentEnd: i, resume: i + 3 }
    if (next === BANG && i + 3 < to && src.charCodeAt(i + 3) === GT) {
      return { contentEnd: i, resume: i + 4 }
    }
  }
  return { contentEnd: to, resume: to }
}

/**
 * Where the raw text or RCDATA of element `name` that starts at `from` ends:
 * the offset of the `<` of the first `</name` followed by whitespace, `/` or
 * `>` in any case (an "appropriate end tag", §13.2.5.11-§13.2.5.13), or `to`.
 */
export function findRawTextEnd(src: string, from: number, to: number, name: string): number {
  let i = src.indexOf('</', from)

  while (i >= 0 && i < to) {
    const after = i + 2 + name.length
    if (after < to && equalsAsciiLowerCase(src, i + 2, name) && endsName(src.charCodeAt(after))) {
      return i
    }
    i = src.indexOf('</', i + 2)
  }
  return to
}

function endsName(code: number): boolean {
  return code === GT || code === SLASH || isHtmlSpace(code)
}

/** An attribute value as written: its span without any quotes, and how it was quoted. */
export interface ValueSpan {
  start: number
  end: number
  quote: 'double' | 'single' | 'none'
}

/** What {@link findTagEnd} tells about a tag's attributes, for the tags that need them. */
export interface AttributeVisitor {
  /** An attribute's name is `src[nameStart, nameEnd)`; `value` is null for a bare name. */
  attribute(nameStart: number, nameEnd: number, value: ValueSpan | null): void
  /** The tag ends in `/>` (the self-closing start tag state, §13.2.5.40). */
  selfClosing(): void
}

/**
 * Where a tag ends: the offset of its closing `>`, or -1 when the input ends
 * first. Follows the attribute states of §13.2.5.32-§13.2.5.40 from just
 * after the tag name, in one loop, and skips quoted values with `indexOf`.
 * Most tags need no more; `visit`, when given, is told each attribute.
 */
export function findTagEnd(
  src: string,
  from: number,
  to: number,
  visit: AttributeVisitor | null = null,
): number {
  let i = from
  while (i < to) {
    const code = src.charCodeAt(i)
    if (code === GT) return i
    if (code === SLASH) {
      // Only "/>" counts: a "/" before anything else is read as a separator.
      if (i + 1 < to && src.charCodeAt(i + 1) === GT) visit?.selfClosing()
      i++
      continue
    }
    if (code <= 0x20 && isHtmlSpace(code)) {
      i++
      continue
    }

    // A name ("=" may be its first character, §13.2.5.32), then perhaps "=" and a value.
    const nameStart = i
    i++
    while (i < to && !endsAttributeName(src.charCodeAt(i))) i++
    const nameEnd = i
    i = skipHtmlSpace(src, i, to)
    if (i >= to) return -1
    if (src.charCodeAt(i) !== EQUALS) {
      visit?.attribute(nameStart, nameEnd, null)
      continue
    }

    const at = skipHtmlSpace(src, i + 1, to)
    i = valueEnd(src, at, to)
    if (i < 0) return -1
    visit?.attribute(nameStart, nameEnd, valueSpan(src, at, i))
  }
  return -1
}

/**
 * Just past an attribute value starting at `at`, or -1 at end of input
 * (§13.2.5.36-§13.2.5.39). `name=>` has an empty value and ends the tag.
 */
function valueEnd(src: string, at: number, to: number): number {
  if (at >= to) return -1
  const code = src.charCodeAt(at)
  if (code === DOUBLE_QUOTE || code === SINGLE_QUOTE) {
    const close = src.indexOf(code === DOUBLE_QUOTE ? '"' : "'", at + 1)
    return close < 0 || close >= to ? -1 : close + 1
  }
  const end = code === GT ? at : attributeValueEnd(src, at, to)
  return end >= to ? -1 : end
}

/** The value read from `at` to `next` by {@link valueEnd}, without its quotes. */
function valueSpan(src: string, at: number, next: number): ValueSpan {
  const code = src.charCodeAt(at)
  if (code === DOUBLE_QUOTE) return { start: at + 1, end: next - 1, quote: 'double' }
  if (code === SINGLE_QUOTE) return { start: at + 1, end: next - 1, quote: 'single' }
  return { start: at, end: next, quote: 'none' }
}

const enum ScriptState {
  Data,
  Escaped,
  DoubleEscaped,
}

/**
 * Where the script data that starts at `from` ends: the offset of the `<` of
 * the `</script` end tag that closes it, or `to`.
 *
 * Implements the script data states of §13.2.5.4 and §13.2.5.15-§13.2.5.31
 * collapsed to three: after `<!--` a nested `<script>` makes the following
 * `</script>` plain text until `-->` or a further `</script>`.
 */
export function findScriptEnd(src: string, from: number, to: number): number {
  let state = ScriptState.Data
  let i = src.indexOf('<', from)

  while (i >= 0 && i < to) {
    const step = scriptStep(src, i, to, state)
    if (step.end) return i
    state = step.state
    i = nextScriptMarker(src, step.next, to, state)
  }

  return to
}

interface ScriptStep {
  end: boolean
  state: ScriptState
  next: number
}

/** Finds the next `<` (or, once escaped, `-`) that can change the script state. */
function nextScriptMarker(src: string, from: number, to: number, state: ScriptState): number {
  if (state === ScriptState.Data) return src.indexOf('<', from)

  for (let i = from; i < to; i++) {
    const code = src.charCodeAt(i)
    if (code === LT || code === DASH) return i
  }
  return -1
}

/** Reads the construct at `i` (a `<` or `-`) in script data. */
function scriptStep(src: string, i: number, to: number, state: ScriptState): ScriptStep {
  if (src.charCodeAt(i) === DASH) return scriptDashes(src, i, to, state)

  const after = i + 1
  if (src.charCodeAt(after) === SLASH) return scriptEndTag(src, after + 1, to, state)

  if (state === ScriptState.Data) {
    // "<!--" enters the escaped state (§13.2.5.18-§13.2.5.20). Its dashes are read
    // again by scriptDashes because "<!-->" is already back in script data.
    const escapes = src.startsWith('!--', after) && after + 3 <= to
    return {
      end: false,
      state: escapes ? ScriptState.Escaped : state,
      next: escapes ? after + 1 : after,
    }
  }

  if (state === ScriptState.Escaped && isScriptName(src, after, to)) {
    // "<script" + terminator inside an escape: double escaped (§13.2.5.26).
    return { end: false, state: ScriptState.DoubleEscaped, next: after + 6 }
  }

  return { end: false, state, next: after }
}

/** "-->" after an escape leaves it for plain script data (§13.2.5.24, §13.2.5.29). */
function scriptDashes(src: string, i: number, to: number, state: ScriptState): ScriptStep {
  let j = i
  while (j < to && src.charCodeAt(j) === DASH) j++

  const closes = j - i >= 2 && j < to && src.charCodeAt(j) === GT
  return { end: false, state: closes ? ScriptState.Data : state, next: closes ? j + 1 : j }
}

/** `</` in script data: `</script` + terminator ends the script, or a double escape. */
function scriptEndTag(src: string, nameStart: number, to: number, state: ScriptState): ScriptStep {
  if (!isScriptName(src, nameStart, to)) return { end: false, state, next: nameStart }

  if (state === ScriptState.DoubleEscaped) {
    return { end: false, state: ScriptState.Escaped, next: nameStart + 6 }
  }
  return { end: true, state, next: nameStart }
}

/** "script" (any case) followed by whitespace, "/" or ">". */
function isScriptName(src: string, at: number, to: number): boolean {
  if (at + 6 >= to) return false
  if (!equalsAsciiLowerCase(src, at, 'script')) return false

  return endsName(src.charCodeAt(at + 6))
}
