/**
 * The per-click lookup APIs: Google Safe Browsing v4 Lookup API
 * (`threatMatches:find`) and Google Web Risk (`uris.search`). Each asks about
 * one URL and turns every listed threat type into a finding. Their time
 * budget is applied by the caller (withBudget); the abort signal it passes
 * cancels the request when the budget runs out.
 */

import type { EndpointPolicy } from '../feeds/fetch.js'
import { locationFor } from '../url.js'
import type { ClickSubject, Finding, Signal } from '../verdict/types.js'
import { PROVIDERS } from './catalogue.js'
import { apiUrl } from './config.js'
import { CLIENT_INFO, asArray, asRecord, asString, googleJson, threatFinding } from './google.js'

export interface LookupSettings {
  key: string
  url: string
  threatTypes: string[]
  policy: EndpointPolicy
}

/** Safe Browsing v4 Lookup API: POST /v4/threatMatches:find. */
export function safeBrowsingLookupSignal(settings: LookupSettings): Signal {
  const label = PROVIDERS.safebrowsing.label
  return {
    name: 'safebrowsing',
    async evaluate(subject: ClickSubject, abort?: AbortSignal): Promise<Finding[]> {
      const url = locationFor(subject.target)
      if (url === null) return []

      const answer = await googleJson(
        apiUrl(settings.url, '/v4/threatMatches:find'),
        settings.key,
        settings.policy,
        {
          signal: abort,
          body: {
            client: CLIENT_INFO,
            threatInfo: {
              threatTypes: settings.threatTypes,
              platformTypes: ['ANY_PLATFORM'],
              threatEntryTypes: ['URL'],
              threatEntries: [{ url }],
            },
          },
        },
      )

      const types = asArray(answer.matches)
        .map((match) => asString(asRecord(match).threatType))
        .filter((type): type is string => type !== null)
      return [...new Set(types)].map((type) =>
        threatFinding('safebrowsing', label, 'safe_browsing', type, subject.now),
      )
    },
  }
}

/** Web Risk: GET /v1/uris:search?uri=…&threatTypes=…, answering `{}` or `{ threat: { threatTypes } }`. */
export function webRiskSignal(settings: LookupSettings): Signal {
  const label = PROVIDERS.webrisk.label
  return {
    name: 'webrisk',
    async evaluate(subject: ClickSubject, abort?: AbortSignal): Promise<Finding[]> {
      const url = locationFor(subject.target)
      if (url === null) return []

      const query = new URLSearchParams()
      for (const type of settings.threatTypes) query.append('threatTypes', type)
      query.set('uri', url)
      const answer = await googleJson(
        apiUrl(settings.url, `/v1/uris:search?${query.toString()}`),
        settings.key,
        settings.policy,
        { signal: abort },
      )

      const types = asArray(asRecord(answer.threat).threatTypes)
        .map(asString)
        .filter((type): type is string => type !== null)
      return [...new Set(types)].map((type) =>
        threatFinding('webrisk', label, 'web_risk', type, subject.now),
      )
    },
  }
}
