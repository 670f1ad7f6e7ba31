/**
 * Heuristics about the message's header fields beyond the From field's own
 * claims: where replies go. Read once when the message is rewritten; each finding is about the
 * whole message, so it warns on every link in it.
 */

import { addressParser } from 'postal-mime'
import { getDomain } from 'tldts'

import {
  type HeaderBlock,
  asciiDomain,
  domainOf,
  fieldValues,
  headerText,
} from '../auth/header-block.js'
import { FREE_MAIL } from '../lists/free-mail.js'
import type { Sender } from './sender.js'
import type { Observation } from './types.js'

/** The header heuristics, in a fixed order. `sender` is the From field as senderOf read it. */
export function observeHeaders(block: HeaderBlock, sender: Sender | null): Observation[] {
  return [...replyToFreeMail(block, sender)]
}

/**
 * Replies go to a free mailbox while the From address is at an
 * organisation's own domain (`From: billing@firm.example`,
 * `Reply-To: firm.billing@gmail.com`): the sender wants the answer somewhere
 * the organisation does not control, the mark of advance-fee and business
 * email compromise mail (SpamAssassin's FREEMAIL_FORGED_REPLYTO). Mail from a
 * free mailbox, and list mail (RFC 2919 `List-Id`, whose software moves the
 * author's own address to Reply-To), are left alone.
 */
function replyToFreeMail(block: HeaderBlock, sender: Sender | null): Observation[] {
  const from = getDomain(sender?.domain ?? '') ?? ''
  if (from === '' || FREE_MAIL.has(from)) return []
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
