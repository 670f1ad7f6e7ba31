/**
 * Mail and link scanners: what their requests look like. A request that
 * matches is labelled automated in the click log, and never spends a
 * one-time link.
 *
 * Maintained list. User-agent fragments are matched case-insensitively as
 * substrings; generic bots, crawlers and HTTP libraries are recognised by
 * the `isbot` package on top of this list. Address ranges are the mail and
 * scanning ranges the vendors publish (Microsoft's "Office 365 URLs and IP
 * address ranges" for Exchange Online Protection, Proofpoint's, Mimecast's
 * and Barracuda's customer documentation, Google's crawler ranges); vendors
 * change them, so re-check against their pages when updating, and add your
 * own gateway's ranges with CLICKGATE_SCANNER_RANGES.
 */

export const SCANNER_USER_AGENTS: readonly string[] = [
  'barracuda',
  'mimecast',
  'proofpoint',
  'ppops',
  'messagelabs',
  'symantec',
  'forcepoint',
  'websense',
  'trend micro',
  'trendmicro',
  'sophos',
  'fireeye',
  'trellix',
  'ironport',
  'cisco',
  'zscaler',
  'safelinks',
  'bingpreview',
  'google-safety',
  'ms-office',
  'msoffice',
  'microsoft office',
  'skypeuripreview',
  'outlook-ios',
  'urlscan',
  'virustotal',
  'checkpoint',
  'avanan',
  'abnormal',
  'headlesschrome',
  'phantomjs',
]

export const SCANNER_RANGES: readonly string[] = [
  // Microsoft Exchange Online Protection / Defender for Office 365
  '40.92.0.0/15',
  '40.107.0.0/16',
  '52.100.0.0/14',
  '104.47.0.0/17',
  // Proofpoint (pphosted)
  '148.163.128.0/19',
  '67.231.144.0/20',
  // Mimecast
  '205.139.110.0/24',
  '207.211.30.0/24',
  '170.10.128.0/24',
  // Barracuda Email Security Service
  '64.235.144.0/20',
  '209.222.80.0/21',
  // Google crawlers and Safe Browsing fetchers
  '66.249.64.0/19',
]
