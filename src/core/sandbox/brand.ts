/**
 * Which protected brand a page presents, and where: its title, image and
 * logo file names, the wording of its forms, its visible text. Whether that
 * is impersonation depends on who owns the domain, which `judge.ts` decides.
 */

import { type Brand, DEFAULT_BRANDS } from '../brands.js'
import type { BrandEvidence } from './types.js'
import type { PageAnalysis } from './page.js'

/** Title, logo and form wording say "this is the brand's page"; body text alone only mentions it. */
const STRONG_WEIGHT = 2

/**
 * A page presents a brand when the evidence adds up to at least this: one
 * strong sign and one more. A single mention (a news article, a footer) is
 * not a presentation.
 */
const PRESENTED_SCORE = 3

/**
 * "Sign in with Google" is a federated sign-in button on someone else's
 * login page, not an imitation of Google's own page.
 */
const SSO_PHRASE =
  /\b(?:sign|log)\s*(?:in|on|up)\s+(?:with|using|via)\s+|\bcontinue\s+(?:with|using)\s+/i

/**
 * The one brand the page presents, with the evidence, or null: when no brand
 * reaches the bar, when the brand appears only as a "sign in with" button,
 * or when several brands are presented strongly (an SSO chooser, a review).
 */
export function presentedBrand(
  page: PageAnalysis,
  brands: readonly Brand[] = DEFAULT_BRANDS,
): BrandEvidence | null {
  // Each text is split into words once per page, not once per brand.
  const words = {
    title: page.title ? spaced(page.title) : '',
    images: page.images.map(spaced),
    forms: page.forms.map((form) => spaced(form.wording)),
    text: spaced(page.text),
  }
  const candidates = brands
    .map((brand) => ({ brand, ...evidenceFor(brand, page, words) }))
    .filter((found) => found.score >= PRESENTED_SCORE && !offeredAsSso(found.brand, page))

  if (candidates.length !== 1) return null
  const [only] = candidates
  return only ? { brand: only.brand.name, evidence: only.lines } : null
}

interface PageWords {
  title: string
  images: string[]
  forms: string[]
  text: string
}

/** A page whose own title names the brand is not someone else's login with a brand button. */
function offeredAsSso(brand: Brand, page: PageAnalysis): boolean {
  const needles = [brand.name, ...brand.keywords]
  if (page.title && mentionsAny(page.title, needles)) return false

  const texts = [page.text, ...page.forms.map((form) => form.wording)]
  return texts.some((text) =>
    needles.some((needle) => {
      const at = text.toLowerCase().indexOf(needle.toLowerCase())
      return at >= 0 && SSO_PHRASE.test(text.slice(Math.max(0, at - 24), at))
    }),
  )
}

function evidenceFor(brand: Brand, page: PageAnalysis, words: PageWords) {
  const needles = [brand.name, ...brand.keywords].map(spaced)
  const has = (haystack: string) =>
    needles.some((needle) => needle.length > 2 && haystack.includes(needle))
  const lines: string[] = []
  let score = 0

  if (page.title && has(words.title)) {
    lines.push(`the page title “${clip(page.title)}” names ${brand.name}`)
    score += STRONG_WEIGHT
  }
  const logo = words.images.findIndex(has)
  if (logo >= 0) {
    lines.push(`it shows an image named “${clip(page.images[logo] ?? '')}”`)
    score += STRONG_WEIGHT
  }
  const form = words.forms.findIndex(has)
  if (form >= 0) {
    const wording = page.forms[form]?.wording ?? ''
    lines.push(`its form says “${clip(excerptAround(wording, [brand.name, ...brand.keywords]))}”`)
    score += STRONG_WEIGHT
  }
  if (has(words.text)) {
    lines.push(`the page text names ${brand.name}`)
    score += 1
  }
  return { lines, score }
}

/** Whole-word, case-folded: `Microsoft` matches “microsoft_logo.svg” but `chase` misses “purchase”. */
export function mentionsAny(text: string, needles: readonly string[]): boolean {
  const haystack = spaced(text)
  return needles.some((needle) => {
    const words = spaced(needle)
    return words.length > 2 && haystack.includes(words)
  })
}

/** ` word word ` : lower-case words joined by single spaces, padded so whole words match. */
function spaced(text: string): string {
  const words = text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0)
  return ` ${words.join(' ')} `
}

function excerptAround(text: string, needles: readonly string[]): string {
  const lower = text.toLowerCase()
  const at = Math.min(
    ...needles.map((n) => lower.indexOf(n.toLowerCase())).filter((index) => index >= 0),
  )
  return Number.isFinite(at) ? text.slice(Math.max(0, at - 40), at + 60).trim() : text
}

function clip(text: string): string {
  return text.length > 100 ? text.slice(0, 99) + '…' : text
}
