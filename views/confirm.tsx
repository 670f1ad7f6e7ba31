import { Layout } from './layout.js'
import { type Route, RouteView, leadsTo } from './route.js'

export interface ConfirmPageProps {
  route: Route
  /** Where the button posts: our confirmation address for this link. */
  action: string
  /** The button's text, naming where it goes. */
  label: string
}

/**
 * One click to open a link that works only once (a password reset, a
 * sign-in link). Mail scanners fetch links but do not submit forms, so the
 * link is spent only when a person presses the button.
 */
export function ConfirmPage({ route, action, label }: ConfirmPageProps) {
  return (
    <Layout title="Open this link" tone="neutral" footer="checked">
      <h1>Open this link?</h1>
      <p>
        This link looks like one that works only once, such as a password reset or a sign-in link.
        To keep automatic scanners from using it up, it opens when you press the button.
      </p>
      <p>It {leadsTo(route)}:</p>
      <RouteView route={route} />
      <form method="post" action={action} class="continue">
        <button type="submit">{label}</button>
      </form>
    </Layout>
  )
}
