import { Layout } from './layout.js'

/**
 * What an automated request for a one-time link gets: a harmless 200 page
 * that names no destination and never redirects, so a scanner neither
 * spends the link nor learns where it goes. A person mistaken for a scanner
 * still gets through with one button press.
 */
export function ScannerPage({ action }: { action: string }) {
  return (
    <Layout title="Link ready" tone="neutral">
      <h1>This link opens on request</h1>
      <p>It works only once, so it is opened only when a person asks for it.</p>
      <form method="post" action={action} class="continue">
        <button type="submit">Open the link</button>
      </form>
    </Layout>
  )
}
