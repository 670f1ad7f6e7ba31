import { Destination, type DestinationParts } from './destination.js'
import { Layout } from './layout.js'

export interface ConfirmPageProps {
  target: string
  parts: DestinationParts | null
  /** Where the button posts: our confirmation address for this link. */
  action: string
}

/**
 * One click to open a link that works only once (a password reset, a
 * sign-in link). Mail scanners fetch links but do not submit forms, so the
 * link is spent only when a person presses the button.
 */
export function ConfirmPage({ target, parts, action }: ConfirmPageProps) {
  return (
    <Layout title="Open this link" tone="neutral">
      <h1>Open this link?</h1>
      <p>
        This link looks like one that works only once, such as a password reset or a sign-in link.
        To keep automatic scanners from using it up, it opens when you press the button.
      </p>
      <Destination parts={parts} raw={target} />
      <form method="post" action={action} class="continue">
        <button type="submit">Open {parts ? parts.domain : 'the link'}</button>
      </form>
    </Layout>
  )
}
