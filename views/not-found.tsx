import { Layout } from './layout.js'

/**
 * One page for every link we will not follow: forged, damaged, expired or
 * unknown. Telling them apart would help someone forging links.
 */
export function NotFoundPage() {
  return (
    <Layout title="Link not recognised" tone="neutral">
      <h1>This link is not valid</h1>
      <p>
        The link may have been copied incompletely, changed, or it may have expired. Go back to the
        message and click the link again, or contact your IT team.
      </p>
    </Layout>
  )
}
