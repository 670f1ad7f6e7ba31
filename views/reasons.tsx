/**
 * The list of findings on a warning or block page: each with its plain
 * sentence, the evidence, where it came from and when it was checked, so a
 * security team can see exactly why the link was stopped.
 */

import { showHidden } from './visible.js'

export interface Reason {
  /** Stable code, shown small for support staff. */
  code: string
  /** Plain sentence for the reader. */
  text: string
  /** The specific evidence, when there is more to say than the sentence. */
  detail: string | null
  /** The signal that found it, e.g. `heuristics`, `rules`, `message:rewriter`. */
  source: string
  /** ISO 8601 time of the check. */
  checkedAt: string
  /** The URL inside the link this is about, when not the link itself. */
  layer: string | null
  /** What was seen, one line each (sandbox scans): shown under the reason. */
  evidence?: string[]
}

export function Reasons({ reasons }: { reasons: Reason[] }) {
  return (
    <ul class="reasons">
      {reasons.map((reason) => (
        <li>
          {showHidden(reason.text)} <small>({reason.code})</small>
          {reason.detail ? <span class="detail"> {showHidden(reason.detail)}.</span> : null}
          {reason.layer ? (
            <span class="detail">
              {' '}
              About the address inside the link: <code>{showHidden(reason.layer)}</code>
            </span>
          ) : null}
          {reason.evidence && reason.evidence.length > 0 ? (
            <ul class="evidence">
              {reason.evidence.map((line) => (
                <li>{showHidden(line)}</li>
              ))}
            </ul>
          ) : null}
          <br />
          <small class="provenance">
            {reason.source} · checked <time datetime={reason.checkedAt}>{reason.checkedAt}</time>
          </small>
        </li>
      ))}
    </ul>
  )
}

/** One address found in the link, and how it came out of the one before. */
export interface ChainStep {
  url: string
  /** Null for the link as written. */
  how: string | null
}

/**
 * Every address found inside the link, outermost first. Not all of them are
 * where it leads (a URL carried in a parameter may be a mere mention), so
 * each says how it was found.
 */
export function RedirectChain({ chain }: { chain: ChainStep[] }) {
  if (chain.length < 2) return null
  return (
    <div>
      <h2>Addresses inside this link</h2>
      <p>The link contains other addresses, outermost first. Each of them was checked:</p>
      <ol class="chain">
        {chain.map((step) => (
          <li>
            <code>{showHidden(step.url)}</code>
            {step.how ? <span class="detail"> ({step.how})</span> : null}
          </li>
        ))}
      </ol>
    </div>
  )
}
