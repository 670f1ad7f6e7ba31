import { Layout } from './layout.js'
import { type ChainStep, type Reason, Reasons, RedirectChain } from './reasons.js'
import { type Route, RouteView, leadsTo } from './route.js'

export interface BlockPageProps {
  route: Route
  reasons: Reason[]
  chain: ChainStep[]
}

/** A block has no way through: there is deliberately no link or form to the destination. */
export function BlockPage({ route, reasons, chain }: BlockPageProps) {
  return (
    <Layout title="This link has been blocked" tone="block" footer="findings">
      <h1>This link has been blocked</h1>
      <p>This link was stopped. It {leadsTo(route)}:</p>
      <RouteView route={route} />
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

/**
 * A link whose address cannot be opened (a port that cannot exist, a
 * scheme that is not the web): there is nothing to continue to, so this is
 * not a warning with a way on, and it says so in its title.
 */
export function UnopenablePage({ route, reasons, chain }: BlockPageProps) {
  return (
    <Layout title="This link cannot be opened" tone="block" footer="findings">
      <h1>This link cannot be opened</h1>
      <p>This link has no web address we can send you on to:</p>
      <RouteView route={route} />
      <h2>What is wrong with it</h2>
      <Reasons reasons={reasons} />
      <RedirectChain chain={chain} />
      <p>
        If you need what the link was meant to show, contact your IT or security team and tell them
        which message the link came from.
      </p>
    </Layout>
  )
}
