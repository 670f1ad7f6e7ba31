import { Destination, type DestinationParts } from './destination.js'
import { Layout } from './layout.js'

export interface Reason {
  /** Stable code, shown small for support staff. */
  code: string
  /** Plain sentence for the reader. */
  text: string
  /** What was seen, one line each (sandbox scans): shown under the reason. */
  evidence?: string[]
}

/** The reasons list shared by the warning and block pages. */
export function ReasonList({ reasons }: { reasons: Reason[] }) {
  return (
    <ul class="reasons">
      {reasons.map((reason) => (
        <li>
          {reason.text} <small>({reason.code})</small>
          {reason.evidence && reason.evidence.length > 0 ? (
            <ul class="evidence">
              {reason.evidence.map((line) => (
                <li>{line}</li>
              ))}
            </ul>
          ) : null}
        </li>
      ))}
    </ul>
  )
}

export interface WarningPageProps {
  target: string
  parts: DestinationParts | null
  reasons: Reason[]
  /** Where "continue" goes; null when the destination cannot be opened safely at all. */
  continueHref: string | null
}

export function WarningPage({ target, parts, reasons, continueHref }: WarningPageProps) {
  return (
    <Layout title="Check this link before you go on" tone="warn">
      <h1>Check this link before you go on</h1>
      <p>The link you clicked leads to:</p>
      <Destination parts={parts} raw={target} />
      <h2>Why you are seeing this</h2>
      <ReasonList reasons={reasons} />
      <p>
        {parts
          ? 'If you did not expect this message, or the site owner above is not who the message claims to be from, close this page.'
          : 'If you did not expect this message, close this page.'}
      </p>
      {continueHref ? (
        <p>
          <a class="continue" href={continueHref} rel="noopener noreferrer nofollow">
            Continue to {parts ? parts.domain : 'the site'}
          </a>
        </p>
      ) : (
        <p class="note">This destination cannot be opened from here.</p>
      )}
    </Layout>
  )
}
