/**
 * Heuristics about the message's header fields beyond the From field's own
 * claims: where replies go, and how the subject and the sender's name are
 * spelt. Read once when the message is rewritten; each finding is about the
 * whole message, so it warns on every link in it.
 */

import { addressParser, decodeWords } from 'postal-mime'
import { getDomain } from 'tldts'
import unhomoglyph from 'unhomoglyph'

import {
  type HeaderBlock,
  asciiDomain,
  domainOf,
  fieldValues,
  headerText,
} from '../auth/header-block.js'
import { type Brand, brandOwning } from '../brands.js'
import { FREE_MAIL } from '../lists/free-mail.js'
import type { Sender } from './sender.js'
import type { Observation } from './types.js'

/** Longest subject we read; the words that matter come first. */
const MAX_SUBJECT_LENGTH = 1000

/** The header heuristics, in a fixed order. `sender` is the From field as senderOf read it. */
export function observeHeaders(
  block: HeaderBlock,
  sender: Sender | null,
  brands: readonly Brand[],
): Observation[] {
  return [...replyToFreeMail(block, sender, brands), ...mixedScriptWords(block, sender)]
}

/** Local parts of addresses that take no replies: notifications sent for someone else. */
const NO_REPLY_LOCAL =
  /(?:^|[._+-])(?:no[-_]?reply|do[-_]?not[-_]?reply|notifications?|notify)(?:[._+-]|$)/

/**
 * Replies go to a free mailbox while the From address is at an
 * organisation's own domain (`From: billing@firm.example`,
 * `Reply-To: firm.billing@gmail.com`): the sender wants the answer somewhere
 * the organisation does not control, the mark of advance-fee and business
 * email compromise mail (SpamAssassin's FREEMAIL_FORGED_REPLYTO). Left alone:
 * mail from a free mailbox; list mail (RFC 2919 `List-Id`, whose software
 * moves the author's own address to Reply-To); and notifications that a
 * service sends for one of its users (a shared document, an invitation, an
 * invoice), which put that person's address in Reply-To: they come from an
 * address that takes no replies, or from a protected brand's own domain,
 * where a forgery fails DMARC and is warned as `dmarc_fail`.
 */
function replyToFreeMail(
  block: HeaderBlock,
  sender: Sender | null,
  brands: readonly Brand[],
): Observation[] {
  const from = getDomain(sender?.domain ?? '') ?? ''
  if (from === '' || FREE_MAIL.has(from)) return []
  if (NO_REPLY_LOCAL.test(sender?.local ?? '') || brandOwning(from, brands) !== null) return []
  if (fieldValues(block, 'list-id').length > 0 || fieldValues(block, 'list-post').length > 0)
    return []
  const [value] = fieldValues(block, 'reply-to')
  if (value === undefined) return []

  const reply = addressParser(headerText(value), { flatten: true })
    .map((mailbox) => getDomain(asciiDomain(domainOf(mailbox.address ?? ''))) ?? '')
    .find((domain) => FREE_MAIL.has(domain) && domain !== from)
  if (reply === undefined) return []

  return [
    {
      verdict: 'warn',
      reason: 'reply_to_free_mail',
      detail:
        `replies go to a free mailbox at ${reply}, while the From header gives an address at ` +
        `${sender?.domain}: an organisation's replies come back to its own domain`,
    },
  ]
}

/** Alphabets whose letters pass for Latin ones (Unicode TS #39's confusables). */
const LOOKALIKE_SCRIPTS: readonly [string, RegExp][] = [
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Cherokee', /\p{Script=Cherokee}/u],
]

const LATIN = /\p{Script=Latin}/u

/**
 * A word in the subject or the sender's name spelt with Latin letters and
 * look-alikes from another alphabet (`Amаzon` with a Cyrillic `а`): people
 * type each word in one alphabet, and mixing them only serves to slip a word
 * past filters that match on spelling. Unicode TS #39 (section 5.2) treats a
 * mix of Latin with Cyrillic or Greek as the mark of a spoof; a text that
 * uses two alphabets in separate words (`Новости Linux`) is left alone.
 */
function mixedScriptWords(block: HeaderBlock, sender: Sender | null): Observation[] {
  const [subject] = fieldValues(block, 'subject')
  const places: [string, string][] = [
    ['subject', subject === undefined ? '' : decoded(subject).slice(0, MAX_SUBJECT_LENGTH)],
    ["sender's name", sender?.name ?? ''],
  ]
  for (const [place, text] of places) {
    for (const word of text.replace(/\p{Cf}/gu, '').match(/[\p{L}\p{M}]+/gu) ?? []) {
      if (!LATIN.test(word)) continue
      const other = LOOKALIKE_SCRIPTS.find(([, script]) => hasLookalikeOf(word, script))
      if (other === undefined) continue
      return [
        {
          verdict: 'warn',
          reason: 'mixed_script_words',
          detail: `the ${place} spells "${word}" with Latin and ${other[0]} letters mixed, which only serves to disguise the word`,
        },
      ]
    }
  }
  return []
}

/**
 * Whether the word has a letter of `script` that passes for a Latin one by
 * its confusable skeleton (Cyrillic `а`, Greek `Ν`). Greek letters that look
 * like no Latin letter are how units and symbols are written in ordinary
 * text (`5 μm`, `10 kΩ`, `Δx`): nothing is disguised.
 */
function hasLookalikeOf(word: string, script: RegExp): boolean {
  for (const letter of word) {
    if (script.test(letter) && LATIN.test(unhomoglyph(letter))) return true
  }
  return false
}

function decoded(value: string): string {
  const text = headerText(value)
  try {
    return decodeWords(text)
  } catch {
    // A broken encoded word is read as written.
    return text
  }
}
