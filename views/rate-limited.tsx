import { Layout } from './layout.js'

/** Too many clicks on one link in a short time. */
export function RateLimitedPage({ retryAfterSeconds }: { retryAfterSeconds: number }) {
  return (
    <Layout title="Too many requests" tone="neutral">
      <h1>This link was opened too many times just now</h1>
      <p>
        To protect you and the site it leads to, it is paused for a moment. Wait {retryAfterSeconds}{' '}
        seconds, then click the link in your message again.
      </p>
    </Layout>
  )
}
