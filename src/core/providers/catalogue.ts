/**
 * Every reputation provider clickgate knows, with its licence terms and
 * freshness rule. The terms decide whether a provider may be enabled: a
 * provider whose terms restrict commercial use starts only when the operator
 * declares the deployment non-commercial or states that they hold a licence
 * (see providersFromEnv). We summarise the terms as read when this was
 * written; the provider's own page is the authority.
 */

export const PROVIDER_NAMES = [
  'urlhaus',
  'phishtank',
  'openphish',
  'safebrowsing-update',
  'safebrowsing',
  'webrisk',
] as const

export type ProviderName = (typeof PROVIDER_NAMES)[number]

export type LocalFeedName = 'urlhaus' | 'phishtank' | 'openphish'

export interface ProviderInfo {
  label: string
  /** `feed`: downloaded and kept locally; `hash-list`: prefixes local, full hashes asked; `lookup`: asked per click. */
  kind: 'feed' | 'hash-list' | 'lookup'
  /** Whether the terms allow commercial use without a separate agreement. */
  commercialUse: boolean
  terms: string
  termsUrl: string
  freshness: string
}

export const PROVIDERS: Record<ProviderName, ProviderInfo> = {
  urlhaus: {
    label: 'URLhaus (abuse.ch)',
    kind: 'feed',
    commercialUse: false,
    terms:
      "abuse.ch's terms of service and fair-use policy; free for non-commercial use, commercial use on abuse.ch's conditions",
    termsUrl: 'https://urlhaus.abuse.ch/api/',
    freshness:
      'dumps are regenerated every 5 minutes and must not be fetched more often; refreshed every 15 minutes, stale after 2 hours',
  },
  phishtank: {
    label: 'PhishTank (Cisco Talos)',
    kind: 'feed',
    commercialUse: false,
    terms: "PhishTank's terms of use: a limited licence to the community data, free of charge",
    termsUrl: 'https://www.phishtank.com/developer_info.php',
    freshness:
      'updated hourly; refreshed hourly with an application key (every 6 hours without, as anonymous downloads are limited to a few a day), stale after 4 refresh periods',
  },
  openphish: {
    label: 'OpenPhish community feed',
    kind: 'feed',
    commercialUse: false,
    terms:
      'non-commercial and internal business purposes only; any other commercial use needs written permission from OpenPhish',
    termsUrl: 'https://openphish.com/faq.html',
    freshness: 'refreshed hourly, stale after 24 hours; exact URLs only, never whole domains',
  },
  'safebrowsing-update': {
    label: 'Google Safe Browsing (Update API)',
    kind: 'hash-list',
    commercialUse: false,
    terms:
      'the Safe Browsing APIs are for non-commercial use only; commercial deployments use Web Risk',
    termsUrl: 'https://developers.google.com/safe-browsing/v4',
    freshness:
      'local hash prefixes may be acted on only while under 30 minutes old; refreshed every 10 minutes or as the server allows (minimumWaitDuration)',
  },
  safebrowsing: {
    label: 'Google Safe Browsing (Lookup API)',
    kind: 'lookup',
    commercialUse: false,
    terms:
      'the Safe Browsing APIs are for non-commercial use only; commercial deployments use Web Risk',
    termsUrl: 'https://developers.google.com/safe-browsing/v4',
    freshness: 'asked at every click',
  },
  webrisk: {
    label: 'Google Web Risk',
    kind: 'lookup',
    commercialUse: true,
    terms: 'Google Cloud terms; commercial use allowed, billed per request',
    termsUrl: 'https://cloud.google.com/web-risk/docs',
    freshness: 'asked at every click',
  },
}

export function isLocalFeed(name: ProviderName): name is LocalFeedName {
  return PROVIDERS[name].kind === 'feed'
}
