/**
 * Where anyone can publish in seconds under someone else's well-known name.
 * Maintained lists.
 *
 * - `SHARED_HOSTING` holds suffixes of cloud app, storage and site-builder
 *   platforms and free dynamic-DNS services: every name under them is a
 *   customer's, deployed without any check of who they are. Most are in the
 *   private section of the Public Suffix List, which also holds ISP customer
 *   zones and blog hosts that are not used this way, so the list is curated
 *   rather than read from there.
 * - `USER_CONTENT` holds host-and-path prefixes on which the famous owner
 *   serves pages or files that any of its users made: Google Apps Script
 *   and Forms, OneDrive storage, Dropbox content, IPFS gateways.
 */

export const SHARED_HOSTING: readonly string[] = [
  // Cloud apps and functions
  'run.app',
  'web.app',
  'firebaseapp.com',
  'appspot.com',
  'cloudfunctions.net',
  'azurewebsites.net',
  'azurestaticapps.net',
  'herokuapp.com',
  'netlify.app',
  'vercel.app',
  'pages.dev',
  'workers.dev',
  'onrender.com',
  'fly.dev',
  'replit.app',
  'repl.co',
  'glitch.me',
  'surge.sh',
  'github.io',
  'gitlab.io',
  // Storage buckets and CDNs serving customer files
  'storage.googleapis.com',
  'firebasestorage.googleapis.com',
  'cloudfront.net',
  's3.amazonaws.com',
  'blob.core.windows.net',
  'web.core.windows.net',
  'azureedge.net',
  'r2.dev',
  'digitaloceanspaces.com',
  // Tunnels
  'ngrok.io',
  'ngrok-free.app',
  'ngrok.app',
  'trycloudflare.com',
  'loca.lt',
  // Site builders
  'wixsite.com',
  'webflow.io',
  'weebly.com',
  '000webhostapp.com',
  'godaddysites.com',
  'yolasite.com',
  'jimdosite.com',
  'mystrikingly.com',
  'square.site',
  'tiiny.site',
  'site44.com',
  'notion.site',
  // Free dynamic DNS and subdomains
  'duckdns.org',
  'ddns.net',
  'hopto.org',
  'zapto.org',
  'sytes.net',
  'no-ip.org',
  'chickenkiller.com',
  'mooo.com',
  'strangled.net',
  'crabdance.com',
]

/**
 * Amazon S3's regional endpoints, virtual-hosted (`bucket.s3.us-east-2.amazonaws.com`,
 * `bucket.s3-website-eu-west-1.amazonaws.com`, `bucket.s3.dualstack.…`) or
 * path-style (`s3.us-east-2.amazonaws.com/bucket/…`): the same customer
 * buckets as `s3.amazonaws.com`, spelt per region (AWS documents the forms
 * under "Amazon S3 endpoints"). Amazon's own site is never served from them.
 */
export const S3_ENDPOINT =
  /(?:^|\.)s3(?:[.-](?:website|dualstack|accelerate|fips))*[.-][a-z]{2}(?:-gov)?-[a-z]+-\d\.amazonaws\.com$/

export const USER_CONTENT: readonly string[] = [
  // Path-style buckets: the platform's own host serves every customer's files
  'storage.googleapis.com/',
  'firebasestorage.googleapis.com/',
  's3.amazonaws.com/',
  'script.google.com/macros/',
  'sites.google.com/',
  'docs.google.com/forms/',
  'forms.gle/',
  'storage.live.com/',
  'dl.dropboxusercontent.com/',
  'ipfs.io/ipfs/',
  'dweb.link/',
  'cloudflare-ipfs.com/ipfs/',
  'form.jotform.com/',
  'forms.office.com/',
]

/**
 * Top-level domains where abuse dominates registrations, after Spamhaus's
 * "most abused TLDs" statistics and Interisle Consulting's annual Phishing
 * Landscape studies (phishing domains per registered domain). A link there
 * is not proof of anything, only a reason to look twice: warn, never block.
 * Maintained list; re-check against the current reports when updating.
 */
export const ABUSED_TLDS: readonly string[] = [
  'top',
  'xyz',
  'click',
  'online',
  'shop',
  'site',
  'icu',
  'buzz',
  'cyou',
  'rest',
  'monster',
  'sbs',
  'cfd',
  'bond',
  'lol',
  'quest',
  'info',
  'live',
  'support',
  'work',
  'tk',
  'ml',
  'ga',
  'cf',
  'gq',
]

/**
 * Second-level "country" suffixes sold by a private registry (CentralNic):
 * `acme.us.com` reads as an American company's domain but is anyone's for
 * a few dollars, with none of the country registry's rules.
 */
export const LOOKALIKE_COUNTRY_SUFFIXES: readonly string[] = [
  'us.com',
  'eu.com',
  'uk.com',
  'uk.net',
  'gb.net',
  'de.com',
  'br.com',
  'cn.com',
  'jpn.com',
  'ru.com',
  'sa.com',
  'za.com',
  'us.org',
]
