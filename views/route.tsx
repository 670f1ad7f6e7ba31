/**
 * Where a link leads when it is wrapped (Safe Links, Proofpoint, a
 * redirector): the page shows the address inside, which is what the reader
 * has to judge, and names the wrappers it goes through, which are not.
 */

import { Destination, type DestinationParts } from './destination.js'

export interface RouteStep {
  /** The wrapper's host name, as in the link. */
  host: string
  /** What it is, in words: "Microsoft Safe Links", "a redirector". */
  name: string
}

export interface Route {
  /** The innermost address the link leads to; the link itself when it is not wrapped. */
  destination: string
  parts: DestinationParts | null
  /** The wrappers on the way, outermost first; empty when the link is not wrapped. */
  through: RouteStep[]
  /** A step is only a redirect-like parameter on an unknown site: the address suggests the route. */
  inferred: boolean
}

/** "leads to", or "appears to lead to" when a step is inferred from a parameter. */
export function leadsTo(route: Route): string {
  return route.inferred ? 'appears to lead to' : 'leads to'
}

export function RouteView({ route }: { route: Route }) {
  return (
    <>
      <Destination parts={route.parts} raw={route.destination} />
      {route.through.length > 0 ? (
        <p class="note">
          It goes there through{' '}
          {route.through.map((step, i) => (
            <>
              {i > 0 ? ', then ' : ''}
              {step.name} (<code>{step.host}</code>)
            </>
          ))}
          .
          {route.inferred
            ? ' Whether that site really sends you on cannot be known without opening it.'
            : ''}
        </p>
      ) : null}
    </>
  )
}
