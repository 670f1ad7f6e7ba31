/**
 * Brands that phishing imitates most, with the registrable domains that
 * really belong to them. Heuristics and sender authentication use this list
 * to tell "Microsoft on microsoft.com" from "Microsoft on anything else".
 * Operators extend or replace it through configuration.
 */

import { getDomain } from 'tldts'

export interface Brand {
  /** Display name for warning pages. */
  name: string
  /** Registrable domains the brand owns. */
  domains: readonly string[]
  /**
   * Lower-case words that name the brand in hosts and paths. Only
   * distinctive names: an ordinary word (outlook, apple, chase, zoom) turns
   * up in countless unrelated hosts, so such brands are protected by their
   * domains and by the look-alike check instead.
   */
  keywords: readonly string[]
}

export const DEFAULT_BRANDS: readonly Brand[] = [
  {
    name: 'Microsoft',
    domains: [
      'microsoft.com',
      'microsoftonline.com',
      'microsoft365.com',
      'live.com',
      'live.net',
      'outlook.com',
      'office.com',
      'office.net',
      'office365.com',
      'onmicrosoft.com',
      'sharepoint.com',
      'sharepointonline.com',
      'onedrive.com',
      'msauth.net',
      'msftauth.net',
      'msauthimages.net',
      'microsoftstore.com',
      'aka.ms',
      'azure.com',
      'windows.com',
      'windowsupdate.com',
      'windows.net',
      'msft.net',
      'msn.com',
      'hotmail.com',
      'skype.com',
      'bing.com',
      'xbox.com',
    ],
    keywords: [
      'microsoft',
      'microsoftonline',
      'microsoft365',
      'office365',
      'onedrive',
      'sharepoint',
      'hotmail',
    ],
  },
  {
    name: 'Google',
    domains: [
      'google.com',
      'gmail.com',
      'youtube.com',
      // YouTube's share links (youtu.be/<video id>) lead only to YouTube.
      'youtu.be',
      'googleusercontent.com',
      'googlemail.com',
      'goo.gl',
      'g.co',
    ],
    keywords: ['google', 'gmail', 'googledrive'],
  },
  {
    name: 'Apple',
    domains: ['apple.com', 'icloud.com', 'me.com'],
    keywords: ['icloud', 'appleid'],
  },
  {
    name: 'PayPal',
    domains: ['paypal.com', 'paypal.me', 'paypalobjects.com'],
    keywords: ['paypal'],
  },
  {
    name: 'Amazon',
    domains: ['amazon.com', 'amazon.co.uk', 'amazon.de', 'amazon.fr', 'amazon.co.jp', 'amazon.ca'],
    keywords: ['amazon', 'amazonprime'],
  },
  { name: 'DocuSign', domains: ['docusign.com', 'docusign.net'], keywords: ['docusign'] },
  { name: 'Adobe', domains: ['adobe.com', 'adobesign.com', 'echosign.com'], keywords: ['adobe'] },
  {
    name: 'Dropbox',
    domains: ['dropbox.com', 'dropboxusercontent.com', 'dropboxmail.com'],
    keywords: ['dropbox'],
  },
  { name: 'DHL', domains: ['dhl.com', 'dhl.de'], keywords: ['dhl'] },
  { name: 'FedEx', domains: ['fedex.com'], keywords: ['fedex'] },
  { name: 'UPS', domains: ['ups.com'], keywords: [] },
  { name: 'USPS', domains: ['usps.com'], keywords: ['usps'] },
  { name: 'Netflix', domains: ['netflix.com'], keywords: ['netflix'] },
  {
    name: 'Facebook',
    domains: [
      'facebook.com',
      'facebookmail.com',
      'fb.com',
      'meta.com',
      'instagram.com',
      'whatsapp.com',
    ],
    keywords: ['facebook', 'instagram', 'whatsapp'],
  },
  { name: 'LinkedIn', domains: ['linkedin.com', 'lnkd.in'], keywords: ['linkedin'] },
  { name: 'Yahoo', domains: ['yahoo.com', 'yahoo.co.jp', 'yahoo-inc.com'], keywords: ['yahoo'] },
  { name: 'Wells Fargo', domains: ['wellsfargo.com'], keywords: ['wellsfargo'] },
  { name: 'Chase', domains: ['chase.com', 'jpmorganchase.com'], keywords: ['jpmorganchase'] },
  { name: 'Bank of America', domains: ['bankofamerica.com'], keywords: ['bankofamerica'] },
  { name: 'Coinbase', domains: ['coinbase.com'], keywords: ['coinbase'] },
  { name: 'Binance', domains: ['binance.com'], keywords: ['binance'] },
  { name: 'MetaMask', domains: ['metamask.io'], keywords: ['metamask'] },
  { name: 'Zoom', domains: ['zoom.us'], keywords: [] },
  {
    name: 'Steam',
    domains: ['steampowered.com', 'steamcommunity.com'],
    keywords: ['steampowered', 'steamcommunity'],
  },
]

/** The brand that owns a host's registrable domain, or null. */
export function brandOwning(
  hostname: string,
  brands: readonly Brand[] = DEFAULT_BRANDS,
): Brand | null {
  const domain = getDomain(hostname)?.toLowerCase()
  if (!domain) return null
  return brands.find((brand) => brand.domains.includes(domain)) ?? null
}

/**
 * Parses `CLICKGATE_BRANDS`: a JSON array of `{name, domains, keywords}`.
 * An entry whose name matches a default brand replaces it; others are
 * added. With `replaceDefaults`, the defaults are dropped.
 */
export function parseBrands(json: string | undefined, replaceDefaults = false): Brand[] {
  const base = replaceDefaults ? [] : [...DEFAULT_BRANDS]
  if (json === undefined || json.trim() === '') return base

  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw new TypeError('CLICKGATE_BRANDS must be a JSON array of {name, domains, keywords}')
  }
  if (!Array.isArray(value)) throw new TypeError('CLICKGATE_BRANDS must be a JSON array')

  for (const entry of value.map(toBrand)) {
    const at = base.findIndex((brand) => brand.name.toLowerCase() === entry.name.toLowerCase())
    if (at >= 0) base[at] = entry
    else base.push(entry)
  }
  return base
}

function toBrand(value: unknown, index: number): Brand {
  const where = `CLICKGATE_BRANDS[${index}]`
  if (typeof value !== 'object' || value === null) throw new TypeError(`${where} is not an object`)

  const name = 'name' in value ? value.name : undefined
  const domains = 'domains' in value ? value.domains : undefined
  const keywords = 'keywords' in value ? value.keywords : []
  if (typeof name !== 'string' || name.trim() === '')
    throw new TypeError(`${where}.name is missing`)
  if (!isStringList(domains) || domains.length === 0) {
    throw new TypeError(`${where}.domains must be a non-empty list of domains`)
  }
  if (!isStringList(keywords)) throw new TypeError(`${where}.keywords must be a list of words`)

  return {
    name,
    domains: domains.map((d) => registrable(d, where)),
    keywords: keywords.map((k) => k.toLowerCase()).filter((k) => /^[a-z0-9]{3,}$/.test(k)),
  }
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}

function registrable(domain: string, where: string): string {
  const lower = domain.trim().toLowerCase()
  if (getDomain(lower) !== lower) {
    throw new TypeError(`${where}.domains entry "${domain}" is not a registrable domain`)
  }
  return lower
}
