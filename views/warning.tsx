import { Destination, type DestinationParts } from './destination.js'
import { Layout } from './layout.js'
import { type Reason, Reasons, RedirectChain } from './reasons.js'

export type { Reason } from './reasons.js'

/** How "continue" works: a plain link, a one-click form (one-time targets), or not at all. */
export type Continue = { kind: 'link'; href: string } | { kind: 'form'; action: string } | null

export interface WarningPageProps {
  target: string
  parts: DestinationParts | null
  reasons: Reason[]
  /** The unwrapped addresses, outermost first, when the link wraps others. */
  chain: string[]
  continueTo: Continue
}

export function WarningPage({ target, parts, reasons, chain, continueTo }: WarningPageProps) {
  const siteName = parts ? parts.domain : 'the site'
  return (
    <Layout title="Check this link before you go on" tone="warn">
      <h1>Check this link before you go on</h1>
      <p>The link you clicked leads to:</p>
      <Destination parts={parts} raw={target} />
      <h2>Why you are seeing this</h2>
      <Reasons reasons={reasons} />
      <RedirectChain chain={chain} />
      <p>
        {parts
          ? 'If you did not expect this message, or the site owner above is not who the message claims to be from, close this page.'
          : 'If you did not expect this message, close this page.'}
      </p>
      {continueTo?.kind === 'link' ? (
        <p>
          <a class="continue" href={continueTo.href} rel="noopener noreferrer nofollow">
            Continue to {siteName}
          </a>
        </p>
      ) : continueTo?.kind === 'form' ? (
        <form method="post" action={continueTo.action} class="continue">
          <button type="submit">Continue to {siteName}</button>
        </form>
      ) : (
        <p class="note">This destination cannot be opened from here.</p>
      )}
    </Layout>
  )
}
