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
  /** Lower-case words that name the brand in hosts, paths and page text. */
  keywords: readonly string[]
}

export const DEFAULT_BRANDS: readonly Brand[] = [
  {
    name: 'Microsoft',
    domains: [
      'microsoft.com',
      'microsoftonline.com',
      'live.com',
      'outlook.com',
      'office.com',
      'office365.com',
      'sharepoint.com',
      'onedrive.com',
      'azure.com',
      'windows.net',
      'msft.net',
      'hotmail.com',
      'skype.com',
      'bing.com',
      'xbox.com',
    ],
    keywords: ['microsoft', 'office365', 'outlook', 'onedrive', 'sharepoint', 'microsoftonline'],
  },
  {
    name: 'Google',
    domains: ['google.com', 'gmail.com', 'youtube.com', 'googleusercontent.com', 'goo.gl'],
    keywords: ['google', 'gmail'],
  },
  { name: 'Apple', domains: ['apple.com', 'icloud.com'], keywords: ['apple', 'icloud'] },
  { name: 'PayPal', domains: ['paypal.com', 'paypal.me'], keywords: ['paypal'] },
  {
    name: 'Amazon',
    domains: ['amazon.com', 'amazon.co.uk', 'amazon.de', 'aws.amazon.com'],
    keywords: ['amazon'],
  },
  { name: 'DocuSign', domains: ['docusign.com', 'docusign.net'], keywords: ['docusign'] },
  { name: 'Adobe', domains: ['adobe.com'], keywords: ['adobe'] },
  { name: 'Dropbox', domains: ['dropbox.com'], keywords: ['dropbox'] },
  { name: 'DHL', domains: ['dhl.com', 'dhl.de'], keywords: ['dhl'] },
  { name: 'Netflix', domains: ['netflix.com'], keywords: ['netflix'] },
  {
    name: 'Facebook',
    domains: ['facebook.com', 'fb.com', 'meta.com', 'instagram.com'],
    keywords: ['facebook', 'instagram'],
  },
  { name: 'LinkedIn', domains: ['linkedin.com'], keywords: ['linkedin'] },
  { name: 'Wells Fargo', domains: ['wellsfargo.com'], keywords: ['wellsfargo'] },
  { name: 'Chase', domains: ['chase.com'], keywords: ['chase'] },
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
