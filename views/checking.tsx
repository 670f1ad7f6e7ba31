import { Layout } from './layout.js'
import { type Route, RouteView, leadsTo } from './route.js'

/** Seconds between reloads of the "checking" page: quick enough to feel live, light on the server. */
export const CHECKING_REFRESH_SECONDS = 3

export interface CheckingPageProps {
  route: Route
  /** Where the page reloads to: the same link, marked as a reload. */
  refreshHref: string
}

/**
 * Shown while the sandbox is still looking at a destination nobody has seen
 * before. It reloads itself without script (our CSP allows none) and turns
 * into the redirect, warning or block page once the check is done.
 */
export function CheckingPage({ route, refreshHref }: CheckingPageProps) {
  return (
    <Layout
      title="Checking this link"
      tone="neutral"
      footer="checking"
      refresh={`${CHECKING_REFRESH_SECONDS}; url=${refreshHref}`}
    >
      <h1>Checking this link…</h1>
      <p>This link {leadsTo(route)} an address that is still being checked:</p>
      <RouteView route={route} />
      <p>
        We are opening it in a safe place first, to see where it really goes and what it shows. This
        page updates by itself in a few seconds.
      </p>
      <p class="note">
        If it does not, <a href={refreshHref}>check again</a>.
      </p>
    </Layout>
  )
}
