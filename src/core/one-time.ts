/**
 * Links that are spent on first use: sign-in magic links, password resets,
 * e-mail verification, unsubscribe confirmations. Mail scanners that open
 * every link use them up before the person does, so clickgate never fetches
 * them itself and shields them from automated clicks.
 */

import { tryParseUrl } from './url.js'

/** Words that, in a path segment or query key or value, mark a link as one-time. Configurable. */
export const DEFAULT_ONE_TIME_WORDS: readonly string[] = [
  'verify',
  'verification',
  'reset',
  'magic',
  'magiclink',
  'magic-link',
  'login-token',
  'logintoken',
  'signin-token',
  'otp',
  'confirm',
  'confirmation',
  'activate',
  'unsubscribe',
  'one-time',
  'onetime',
]

/**
 * True when the URL's path or query holds one of the words as whole words
 * (split on anything but letters and digits and at camelCase humps, case-folded), so
 * `/auth/verify?token=…` and `/reset-password` match while
 * `/verifying-the-news` does not. Multi-word entries such as `magic-link`
 * match the same words in sequence.
 */
export function looksOneTime(
  target: string,
  words: readonly string[] = DEFAULT_ONE_TIME_WORDS,
): boolean {
  const url = tryParseUrl(target)
  if (!url) return false

  const haystack = ` ${wordsOf(decodeSafely(url.pathname + ' ' + url.search)).join(' ')} `
  return words.some((word) => {
    const needle = wordsOf(word).join(' ')
    return needle.length > 0 && haystack.includes(` ${needle} `)
  })
}

function wordsOf(text: string): string[] {
  return splitCamelCase(text)
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0)
}

/**
 * `resetPassword`, `VerifyEmail`, `OTPCode`: routes named in camelCase hold
 * the same words with no separator, and a scanner spends them just the same.
 */
function splitCamelCase(text: string): string {
  return text
    .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    // A broken escape is kept as written; the words are still found around it.
    return text
  }
}
