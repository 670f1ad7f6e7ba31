/**
 * Static reading of a fetched HTML page: title, forms, images, visible text,
 * and redirects written into the page (meta refresh, script assignments to
 * `location`). Nothing runs: scripts are read as text, never executed, so an
 * obfuscated redirect is missed rather than followed (see README).
 */

import { Parser } from 'htmlparser2'

import { tryParseUrl } from '../url.js'
import type { FormFact } from './types.js'

/** Visible text kept for brand matching; enough for any sign-in page, bounded for hostile ones. */
const MAX_TEXT_CHARS = 100_000

/** Inline script kept for redirect detection, per page. */
const MAX_SCRIPT_CHARS = 200_000

/** Form wording kept per form. */
const MAX_WORDING_CHARS = 2_000

/**
 * A meta refresh longer than this is a page that reloads itself later, not a
 * redirect: the reader sees the page first, so the page is what we judge.
 */
export const MAX_REFRESH_DELAY_SECONDS = 10

export interface PageRedirect {
  url: string
  via: 'meta' | 'script'
}

export interface PageAnalysis {
  title: string | null
  forms: FormFact[]
  /** `src` file names and `alt` texts of images, and icon file names. */
  images: string[]
  text: string
  redirect: PageRedirect | null
}

/** Reads a page served from `pageUrl`. */
export function analysePage(html: string, pageUrl: string): PageAnalysis {
  const state = new PageState(pageUrl)
  const parser = new Parser(state.handlers(), { decodeEntities: true, lowerCaseTags: true })
  parser.write(html)
  parser.end()
  return state.result()
}

class PageState {
  private base: string
  private title: string | null = null
  private inTitle = false
  private skipText = 0
  private scriptText = ''
  private inScript = false
  private text = ''
  private readonly forms: FormFact[] = []
  private readonly openForms: FormFact[] = []
  private readonly looseFields: FormFact
  private readonly images: string[] = []
  private metaRedirect: PageRedirect | null = null

  constructor(pageUrl: string) {
    this.base = pageUrl
    this.looseFields = emptyForm(null)
  }

  handlers() {
    return {
      onopentag: (name: string, attribs: Record<string, string>) => this.open(name, attribs),
      onclosetag: (name: string) => this.close(name),
      ontext: (text: string) => this.onText(text),
    }
  }

  private open(name: string, attribs: Record<string, string>): void {
    if (name === 'title') this.inTitle = this.title === null
    if (name === 'script') this.inScript = true
    if (name === 'script' || name === 'style' || name === 'noscript') this.skipText++
    if (name === 'base' && attribs.href)
      this.base = tryParseUrl(attribs.href, this.base)?.href ?? this.base
    if (name === 'meta') this.onMeta(attribs)
    if (name === 'form') this.openForm(attribs)
    if (name === 'input' || name === 'button' || name === 'label') this.onField(name, attribs)
    if (name === 'img' || name === 'link' || name === 'image') this.onImage(name, attribs)
    if (attribs.onload || attribs.onclick)
      this.addScript(`${attribs.onload ?? ''};${attribs.onclick ?? ''}`)
    if (attribs['aria-label']) this.addWording(attribs['aria-label'])
  }

  private close(name: string): void {
    if (name === 'title') this.inTitle = false
    if (name === 'script') this.inScript = false
    if (name === 'script' || name === 'style' || name === 'noscript') {
      this.skipText = Math.max(0, this.skipText - 1)
    }
    if (name !== 'form') return
    const closed = this.openForms.pop()
    if (closed) this.forms.push(closed)
  }

  private onText(text: string): void {
    if (this.inScript) return this.addScript(text)
    if (this.inTitle) this.title = ((this.title ?? '') + text).slice(0, 500)
    if (this.skipText > 0) return

    if (this.text.length < MAX_TEXT_CHARS) this.text += ' ' + text
    const form = this.currentForm()
    if (form && form.wording.length < MAX_WORDING_CHARS) form.wording += ' ' + text.trim()
  }

  private onMeta(attribs: Record<string, string>): void {
    if (attribs['http-equiv']?.toLowerCase() !== 'refresh' || this.metaRedirect) return
    const target = parseRefresh(attribs.content ?? '')
    if (target === null) return
    const url = tryParseUrl(target, this.base)
    if (url) this.metaRedirect = { url: url.href, via: 'meta' }
  }

  private openForm(attribs: Record<string, string>): void {
    const action = attribs.action?.trim()
    // An empty or missing action posts back to the page itself (HTML §4.10.21.3).
    const resolved = tryParseUrl(action ? action : this.base, this.base)
    const fact = emptyForm(resolved ? resolved.href : null)
    fact.method = (attribs.method ?? 'get').toLowerCase()
    this.openForms.push(fact)
  }

  private onField(name: string, attribs: Record<string, string>): void {
    const form = this.currentForm() ?? this.looseFields
    const type = (attribs.type ?? (name === 'input' ? 'text' : '')).toLowerCase()
    if (type === 'password') form.hasPassword = true
    if (name === 'input' && isIdentityField(type, attribs)) form.asksIdentity = true

    for (const key of ['placeholder', 'value', 'title']) {
      const value = attribs[key]
      if (value && (key !== 'value' || type === 'submit' || type === 'button')) {
        this.addWording(value)
      }
    }
  }

  private onImage(name: string, attribs: Record<string, string>): void {
    if (name === 'link' && !/icon|logo/i.test(attribs.rel ?? '')) return
    const source = attribs.src ?? attribs.href ?? attribs['xlink:href']
    if (source) this.images.push(fileNameOf(source))
    if (attribs.alt) this.images.push(attribs.alt.slice(0, 200))
  }

  private addScript(text: string): void {
    if (this.scriptText.length < MAX_SCRIPT_CHARS) this.scriptText += '\n' + text
  }

  private addWording(text: string): void {
    const form = this.currentForm() ?? this.looseFields
    if (form.wording.length < MAX_WORDING_CHARS) form.wording += ' ' + text.trim()
  }

  private currentForm(): FormFact | null {
    return this.openForms.at(-1) ?? null
  }

  result(): PageAnalysis {
    // Forms left open at the end of the page still count.
    const forms = [...this.forms, ...this.openForms]
    // Password fields outside any <form> (posted by script) are a form of their own.
    if (this.looseFields.hasPassword) forms.push({ ...this.looseFields, action: null })

    const scriptTarget = scriptRedirect(this.scriptText)
    const scriptUrl = scriptTarget === null ? null : tryParseUrl(scriptTarget, this.base)
    return {
      title: this.title === null ? null : collapse(this.title),
      forms: forms.map((form) => ({ ...form, wording: collapse(form.wording) })),
      images: this.images,
      text: collapse(this.text),
      redirect: this.metaRedirect ?? (scriptUrl ? { url: scriptUrl.href, via: 'script' } : null),
    }
  }
}

function emptyForm(action: string | null): FormFact {
  return { action, method: 'get', hasPassword: false, asksIdentity: false, wording: '' }
}

const IDENTITY_NAME = /e-?mail|user|login|account|phone|identifier|loginfmt|upn/i

function isIdentityField(type: string, attribs: Record<string, string>): boolean {
  if (type === 'email') return true
  if (type !== 'text' && type !== 'tel') return false
  const names = [attribs.name, attribs.id, attribs.autocomplete].filter(Boolean).join(' ')
  return IDENTITY_NAME.test(names)
}

/**
 * `5; url=https://x` → `https://x` when the delay is short enough, per the
 * HTML "shared declarative refresh steps": a delay, then optional `url=`, with
 * optional quotes. Returns null for a plain reload or a long delay.
 */
export function parseRefresh(content: string): string | null {
  const match = /^\s*(\d+)?(?:\.[\d.]*)?\s*(?:[;,]\s*)?(?:url\s*=\s*)?(.*)$/is.exec(content)
  if (!match) return null

  const delay = Number(match[1] ?? '0')
  let target = (match[2] ?? '').trim()
  if (/^['"]/.test(target)) target = target.slice(1).replace(/['"].*$/s, '')
  if (target === '' || delay > MAX_REFRESH_DELAY_SECONDS) return null
  return target
}

/**
 * The first string literal assigned to the page location, in any of the
 * common spellings: `location = '…'`, `location.href = "…"`,
 * `window.location.replace('…')`, `top.location.assign(\`…\`)`.
 */
export function scriptRedirect(script: string): string | null {
  const literal = String.raw`(["'\x60])((?:(?!\1)[^\\\n]|\\.){1,2048})\1`
  const target = String.raw`(?:(?:window|self|top|parent|document)\s*\.\s*)?location`
  const patterns = [
    new RegExp(String.raw`\b${target}(?:\s*\.\s*href)?\s*=(?!=)\s*${literal}`),
    new RegExp(String.raw`\b${target}\s*\.\s*(?:replace|assign)\s*\(\s*${literal}\s*\)`),
  ]
  const found = patterns
    .map((pattern) => pattern.exec(script))
    .filter((match): match is RegExpExecArray => match !== null)
    .sort((a, b) => a.index - b.index)[0]
  const value = found?.[2]
  return value === undefined ? null : unescapeJs(value)
}

function unescapeJs(value: string): string {
  return value
    .replace(/\\x([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/\\u([0-9a-f]{4})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/\\(.)/g, '$1')
}

function fileNameOf(source: string): string {
  const path = source.split(/[?#]/)[0] ?? ''
  return (path.split('/').pop() ?? '').slice(0, 200)
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}
