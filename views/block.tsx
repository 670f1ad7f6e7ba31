import { Destination, type DestinationParts } from './destination.js'
import { Layout } from './layout.js'
import { type Reason, Reasons, RedirectChain } from './reasons.js'

export interface BlockPageProps {
  target: string
  parts: DestinationParts | null
  reasons: Reason[]
  chain: string[]
}

/** A block has no way through: there is deliberately no link or form to the destination. */
export function BlockPage({ target, parts, reasons, chain }: BlockPageProps) {
  return (
    <Layout title="This link has been blocked" tone="block">
      <h1>This link has been blocked</h1>
      <p>This link was stopped because it leads to a dangerous or deceptive site:</p>
      <Destination parts={parts} raw={target} />
      <h2>Why it was blocked</h2>
      <Reasons reasons={reasons} />
      <RedirectChain chain={chain} />
      <p>
        If you believe this is a mistake, contact your IT or security team and tell them which
        message the link came from.
      </p>
    </Layout>
  )
}
