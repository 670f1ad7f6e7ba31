/**
 * Shows a destination so that its registrable domain (the name someone
 * registered, under a public suffix) stands out. Look-alike subdomains
 * (`login.microsoft.com.evil.example`) are the commonest trick in phishing
 * links, and the highlight is what exposes them.
 */

import { showHidden } from './visible.js'

export interface DestinationParts {
  /** `https://` */
  scheme: string
  /** `user:pass@` when present: shown struck through, it is how `bank@evil` tricks work. */
  userinfo: string
  hostBefore: string
  domain: string
  hostAfter: string
  /** Port, path, query and fragment. */
  rest: string
  /** What the highlighted part is: a domain names no owner, and an address is not a domain. */
  hostLabel: 'Registered domain' | 'IP address' | 'Host name'
  /** The host as Unicode, when it differs from the ASCII form shown. */
  unicodeHost: string | null
  /** A label mixes alphabets: the punycode shown is the real name, the Unicode a disguise. */
  mixedScript: boolean
}

export function Destination({ parts, raw }: { parts: DestinationParts | null; raw: string }) {
  if (!parts) {
    return (
      <p class="destination">
        <code>{showHidden(raw)}</code>
      </p>
    )
  }

  return (
    <div>
      <p class="destination">
        <code>
          <span class="muted">{parts.scheme}</span>
          {parts.userinfo ? <del title="user name in the link">{parts.userinfo}</del> : null}
          <span>{parts.hostBefore}</span>
          <mark>{parts.domain}</mark>
          <span>{parts.hostAfter}</span>
          <span class="muted">{parts.rest}</span>
        </code>
      </p>
      <p class="note">
        {parts.hostLabel}: <strong>{parts.domain}</strong>
        {parts.unicodeHost ? ` (displayed by some programs as ${parts.unicodeHost})` : ''}
      </p>
      {parts.mixedScript && parts.unicodeHost ? (
        <p class="note">
          “{parts.unicodeHost}” mixes letters from different alphabets. Its real, punycode form is{' '}
          <code>{parts.hostBefore + parts.domain + parts.hostAfter}</code>.
        </p>
      ) : null}
      {parts.userinfo ? (
        <p class="note">
          The text before “@” is not the site. This address is on <strong>{parts.domain}</strong>.
        </p>
      ) : null}
    </div>
  )
}
