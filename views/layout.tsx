import { raw } from 'hono/html'
import type { Child } from 'hono/jsx'

export const STYLESHEET_PATH = '/assets/clickgate.css'

export interface LayoutProps {
  title: string
  tone: 'warn' | 'block' | 'neutral'
  /**
   * A `<meta http-equiv="refresh">` content value. Our CSP forbids script,
   * so a page that must reload itself does it this way.
   */
  refresh?: string
  /** What the footer may truthfully say about checks; see FOOTERS. */
  footer?: keyof typeof FOOTERS
  children?: Child
}

/**
 * Findings come from the URL cache (up to CLICKGATE_VERDICT_TTL_SECONDS old)
 * and from the message (the time it was rewritten), so no page may claim
 * that everything was checked at the moment of the click. Pages that did
 * not check anything (not found, rate limited) make no claim at all.
 */
const FOOTERS = {
  findings: 'Judged by clickgate when you clicked; each finding shows when it was checked.',
  checked: 'Checked by clickgate when you clicked, using recent results of the same checks.',
  checking: 'clickgate is checking this link.',
  none: 'clickgate',
} as const

/** Shared page frame. Pages are static: no script runs on any of them. */
export function Layout({ title, tone, refresh, footer = 'none', children }: LayoutProps) {
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="robots" content="noindex, nofollow" />
          {refresh ? <meta http-equiv="refresh" content={refresh} /> : null}
          <title>{title} · clickgate</title>
          <link rel="stylesheet" href={STYLESHEET_PATH} />
        </head>
        <body class={`tone-${tone}`}>
          <main>{children}</main>
          <footer>{FOOTERS[footer]}</footer>
        </body>
      </html>
    </>
  )
}
