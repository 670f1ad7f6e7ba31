/**
 * Tokenizer states that htmlparser2 does not model the way the HTML Standard
 * does, re-implemented as small scanners over the source: where a tag really
 * ends, where script data really ends, and the body of an Outlook
 * conditional comment. None of them recurses.
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

/**
 * Where a start tag whose attributes the scan has no use for ends: the
 * offset of its `>`, or -1 when the input ends first. The same attribute
 * states as the scan's own reading (§13.2.5.32-§13.2.5.40), in one loop,
 * since most tags are of this kind; quoted values are skipped with indexOf.
 */
export function skipAttributes(src: string, from: number, to: number): number {
  let i = from
  while (i < to) {
    const code = src.charCodeAt(i)
    if (code === GT) return i
    if (code === SLASH || (code <= 0x20 && isHtmlSpace(code))) {
      i++
      continue
    }

    // A name ("=" may be its first character), then perhaps "=" and a value.
    i++
    while (i < to && !endsAttributeName(src.charCodeAt(i))) i++
    i = skipHtmlSpace(src, i, to)
    if (i >= to) return -1
    if (src.charCodeAt(i) !== EQUALS) continue

    i = skipHtmlSpace(src, i + 1, to)
    i = valueEnd(src, i, to)
    if (i < 0) return -1
  }
  return -1
}

/** Just past an attribute value starting at `at` (a `>` there ends the tag), or -1. */
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

/** Where an unquoted attribute value ends: whitespace or `>` (§13.2.5.38), or `to`. */
export function attributeValueEnd(src: string, from: number, to: number): number {
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

const enum TagState {
  BeforeName,
  Name,
  AfterName,
  BeforeValue,
  DoubleQuoted,
  SingleQuoted,
  Unquoted,
}

/**
 * Where a tag ends: the offset of its closing `>`, or -1 when the input ends
 * first. Follows the attribute states of §13.2.5.32-§13.2.5.40, starting just
 * after the tag name.
 */
export function findTagEnd(src: string, from: number, to: number): number {
  let state = TagState.BeforeName

  for (let i = from; i < to; i++) {
    const code = src.charCodeAt(i)
    const next = nextTagState(state, code)
    if (next === null) return i
    state = next
  }

  return -1
}

/** One step of {@link findTagEnd}; null means the tag is complete. */
function nextTagState(state: TagState, code: number): TagState | null {
  switch (state) {
    case TagState.DoubleQuoted:
      return code === DOUBLE_QUOTE ? TagState.BeforeName : state
    case TagState.SingleQuoted:
      return code === SINGLE_QUOTE ? TagState.BeforeName : state
    case TagState.Unquoted:
      if (code === GT) return null
      return isHtmlSpace(code) ? TagState.BeforeName : state
    default:
      return nextTagStateOutsideValue(state, code)
  }
}

function nextTagStateOutsideValue(state: TagState, code: number): TagState | null {
  if (code === GT) return null

  if (state === TagState.BeforeValue) {
    if (code === DOUBLE_QUOTE) return TagState.DoubleQuoted
    if (code === SINGLE_QUOTE) return TagState.SingleQuoted
    return isHtmlSpace(code) ? state : TagState.Unquoted
  }

  // "/" only matters right before ">" (self-closing start tag state, §13.2.5.40).
  if (code === SLASH) return TagState.BeforeName
  if (isHtmlSpace(code)) return state === TagState.Name ? TagState.AfterName : state
  // "=" before any name starts a name (§13.2.5.32); after one it introduces the value.
  if (code === EQUALS && state !== TagState.BeforeName) return TagState.BeforeValue
  return TagState.Name
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

/** Matches `[if mso]>`, `[if !mso]>`, `[ if gte mso 9 ]>`… at the start of a comment. */
const CONDITION_START = /^\s*\[\s*if\s[^\]]*\]\s*>/i
/** Matches `<![endif]` (whitespace tolerant) at the end of a comment. */
const CONDITION_END = /<!\s*\[\s*endif\s*\]\s*$/i
/** Longest prefix/suffix we test, so the patterns never run over a whole large comment. */
const CONDITION_WINDOW = 256

/**
 * The markup inside an Outlook conditional comment (`<!--[if mso]> … <![endif]-->`),
 * given the comment's content span; null for an ordinary comment. The
 * downlevel-revealed forms (`<!--[if !mso]><!-- -->`) are ordinary comments
 * whose links sit outside them.
 */
export function conditionalBody(
  src: string,
  start: number,
  end: number,
  endifs: EndifFinder,
): { start: number; end: number; resumeAt: number | null } | null {
  const head = CONDITION_START.exec(src.slice(start, Math.min(end, start + CONDITION_WINDOW)))
  if (head === null) return null

  const tailStart = Math.max(start + head[0].length, end - CONDITION_WINDOW)
  const tail = CONDITION_END.exec(src.slice(tailStart, end))
  if (tail !== null)
    return { start: start + head[0].length, end: tailStart + tail.index, resumeAt: null }

  // `<!--[if !mso]><!-- -->` opens a downlevel-revealed block: its links are
  // ordinary markup after the comment, not part of a hidden block.
  // Trimmed first: two `\s*` around an optional `-` backtrack quadratically on a long blank run.
  const rest = src.slice(start + head[0].length, end).trim()
  if (/^<!(?:--)?(?:\s*-)?$/.test(rest)) return null

  return extendedConditionalBody(start + head[0].length, end, endifs)
}

/** Where the `[if …]>` at the start of a comment's content ends, or null when there is none. */
export function conditionHeadEnd(src: string, start: number, end: number): number | null {
  const head = CONDITION_START.exec(src.slice(start, Math.min(end, start + CONDITION_WINDOW)))
  return head === null ? null : start + head[0].length
}

/** Outlook's end of a conditional block, as a whole token. */
const ENDIF_CLOSE = /<!\s*\[\s*endif\s*\]\s*-->/gi

/**
 * Outlook ends a conditional block at `<![endif]-->`, not at the first `-->`
 * as HTML does, so a plain comment inside the block (`<!-- button -->`) ends
 * the HTML comment early while Outlook still renders the rest as part of the
 * block. The block then runs to the next `<![endif]-->`; the caller resumes
 * scanning after it, so nothing is read twice.
 */
function extendedConditionalBody(bodyStart: number, commentEnd: number, endifs: EndifFinder) {
  const close = endifs.next(commentEnd)
  if (close === null) return null
  return { start: bodyStart, end: close.start, resumeAt: close.end }
}

/**
 * Finds the next `<![endif]-->` at or after an offset, remembering the last
 * answer: every conditional comment without its own `<![endif]` asks, and
 * searching the rest of the document afresh each time would make
 * `<!--[if mso]>x-->` repeated quadratic. Offsets asked for only grow, so a
 * match (or the lack of one) found from an earlier offset still holds.
 */
export class EndifFinder {
  private searchedFrom = Infinity
  private found: { start: number; end: number } | null = null
  /** How many times the source was searched: once per distinct end, however many blocks share it. */
  searches = 0

  constructor(private readonly src: string) {}

  next(from: number): { start: number; end: number } | null {
    const cached = from >= this.searchedFrom && (this.found === null || this.found.start >= from)
    if (cached) return this.found

    ENDIF_CLOSE.lastIndex = from
    this.searches++
    const close = ENDIF_CLOSE.exec(this.src)
    this.searchedFrom = from
    this.found = close === null ? null : { start: close.index, end: close.index + close[0].length }
    return this.found
  }
}
