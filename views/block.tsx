import { Destination, type DestinationParts } from './destination.js'
import { Layout } from './layout.js'
import { type Reason, ReasonList } from './warning.js'

export interface BlockPageProps {
  target: string
  parts: DestinationParts | null
  reasons: Reason[]
}

/** A block has no way through: there is deliberately no link to the destination. */
export function BlockPage({ target, parts, reasons }: BlockPageProps) {
  return (
    <Layout title="This link has been blocked" tone="block">
      <h1>This link has been blocked</h1>
      <p>Your organisation has blocked the site this link leads to:</p>
      <Destination parts={parts} raw={target} />
      <ReasonList reasons={reasons} />
      <p>
        If you believe this is a mistake, contact your IT or security team and tell them which
        message the link came from.
      </p>
    </Layout>
  )
}
