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
  children?: Child
}

/** Shared page frame. Pages are static: no script runs on any of them. */
export function Layout({ title, tone, refresh, children }: LayoutProps) {
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
          <footer>Link checked by clickgate at the moment you clicked it.</footer>
        </body>
      </html>
    </>
  )
}
