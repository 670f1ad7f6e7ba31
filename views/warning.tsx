import { Layout } from './layout.js'
import { type ChainStep, type Reason, Reasons, RedirectChain } from './reasons.js'
import { type Route, RouteView, leadsTo } from './route.js'

export type { Reason } from './reasons.js'

/** How "continue" works: a plain link, or a one-click form (one-time targets). */
export type Continue =
  { kind: 'link'; href: string; label: string } | { kind: 'form'; action: string; label: string }

export interface WarningPageProps {
  route: Route
  reasons: Reason[]
  /** The unwrapped addresses, outermost first, when the link wraps others. */
  chain: ChainStep[]
  continueTo: Continue
}

export function WarningPage({ route, reasons, chain, continueTo }: WarningPageProps) {
  return (
    <Layout title="Check this link before you go on" tone="warn" footer="findings">
      <h1>Check this link before you go on</h1>
      <p>The link you clicked {leadsTo(route)}:</p>
      <RouteView route={route} />
      <h2>Why you are seeing this</h2>
      <Reasons reasons={reasons} />
      <RedirectChain chain={chain} />
      <p>
        {route.parts
          ? 'If you did not expect this message, or the highlighted name is not one you know the sender uses, close this page.'
          : 'If you did not expect this message, close this page.'}
      </p>
      {continueTo.kind === 'link' ? (
        <p>
          <a class="continue" href={continueTo.href} rel="noopener noreferrer nofollow">
            {continueTo.label}
          </a>
        </p>
      ) : (
        <form method="post" action={continueTo.action} class="continue">
          <button type="submit">{continueTo.label}</button>
        </form>
      )}
    </Layout>
  )
}
