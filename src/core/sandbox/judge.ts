/**
 * Turns what a scan saw into findings, each with a verdict and the evidence
 * for the warning page. The mapping, strongest first:
 *
 * - block: a protected brand's look asking for credentials on a domain the
 *   brand does not own; an executable download.
 * - warn: a password form posting to another site or over plain http; an
 *   archive or disk-image download; a page too large to read whole; a page
 *   the sandbox could not load, was refused, or that answered with an error.
 *
 * A page the sandbox could not look at is a warning, not a pass: phishing
 * kits hide from scanners (cloaking), and a link we cannot judge is never
 * waved through silently.
 */

import { getDomain } from 'tldts'

import { type Brand, DEFAULT_BRANDS, brandOwning } from '../brands.js'
import type { FormFact, ScanFailure, ScanFinding, ScanReport } from './types.js'

export function judgeReport(
  report: ScanReport,
  brands: readonly Brand[] = DEFAULT_BRANDS,
): ScanFinding[] {
  const findings: ScanFinding[] = []
  if (report.failure) findings.push(failureFinding(report.failure, report))
  if (report.download) findings.push(downloadFinding(report))
  if (report.status !== null && report.status >= 400) findings.push(statusFinding(report.status))
  if (report.truncated && report.page) findings.push(tooLargeFinding())
  if (report.page && report.finalUrl) findings.push(...pageFindings(report, brands))
  return findings
}

function failureFinding(failure: ScanFailure, report: ScanReport): ScanFinding {
  const hop = report.chain.at(-1)?.url ?? report.url
  const evidence = report.chain.length > 1 ? [`stopped at ${hop}`] : undefined
  const reasons: Record<ScanFailure['code'], string> = {
    bad_url: 'scan_bad_url',
    scheme_refused: 'scan_scheme_refused',
    port_refused: 'scan_port_refused',
    address_refused: 'scan_address_refused',
    dns_failed: 'scan_unreachable',
    connect_failed: 'scan_unreachable',
    timeout: 'scan_timeout',
    too_many_redirects: 'too_many_redirects',
    scanner_unavailable: 'scanner_unavailable',
  }
  return {
    verdict: 'warn',
    reason: reasons[failure.code],
    detail: `The link could not be checked in the sandbox: ${failure.message}.`,
    ...(evidence ? { evidence } : {}),
  }
}

function downloadFinding(report: ScanReport): ScanFinding {
  const download = report.download
  const name = download?.name ? ` “${download.name}”` : ''
  const executable = download?.kind === 'executable'
  return {
    verdict: executable ? 'block' : 'warn',
    reason: executable ? 'executable_download' : 'archive_download',
    detail: executable
      ? `The link downloads a program${name} instead of opening a page.`
      : `The link downloads an archive or disk image${name}, a common way to deliver malware.`,
    evidence: download ? [download.why] : [],
  }
}

function statusFinding(status: number): ScanFinding {
  return {
    verdict: 'warn',
    reason: 'scan_http_error',
    detail: `The site answered the sandbox with an error (HTTP ${status}), so its content could not be checked.`,
  }
}

function tooLargeFinding(): ScanFinding {
  return {
    verdict: 'warn',
    reason: 'page_too_large',
    detail: 'The page is larger than the sandbox reads, so only its beginning could be checked.',
  }
}

function pageFindings(report: ScanReport, brands: readonly Brand[]): ScanFinding[] {
  const page = report.page
  const finalUrl = report.finalUrl
  if (!page || !finalUrl) return []

  const host = hostOf(finalUrl)
  const credentialForms = page.forms.filter((form) => form.hasPassword || form.asksIdentity)
  const brand = page.brand ? brands.find((b) => b.name === page.brand?.brand) : undefined
  const owner = host ? brandOwning(host, brands) : null

  if (brand && page.brand && credentialForms.length > 0 && owner !== brand) {
    const where = host ? (getDomain(host) ?? host) : finalUrl
    return [
      {
        verdict: 'block',
        reason: 'brand_impersonation',
        detail: `The page looks like a ${brand.name} sign-in page and asks for credentials, but ${where} does not belong to ${brand.name}.`,
        evidence: [...page.brand.evidence, ...credentialForms.map(describeForm)],
      },
    ]
  }
  return page.forms
    .filter((form) => form.hasPassword)
    .flatMap((form) => passwordFormFindings(form, finalUrl, brands))
}

function passwordFormFindings(form: FormFact, pageUrl: string, brands: readonly Brand[]) {
  const findings: ScanFinding[] = []
  if (!form.action) return findings

  const action = safeUrl(form.action)
  if (action && action.protocol === 'http:') {
    findings.push({
      verdict: 'warn',
      reason: 'credential_form_insecure',
      detail: 'The page asks for a password and sends it unencrypted (http).',
      evidence: [describeForm(form)],
    })
  }
  if (action && crossSite(pageUrl, action.href, brands)) {
    findings.push({
      verdict: 'warn',
      reason: 'credential_form_offsite',
      detail: `The page asks for a password and sends it to another site, ${getDomain(action.hostname) ?? action.hostname}.`,
      evidence: [describeForm(form)],
    })
  }
  return findings
}

/** Different registrable domains, unless one brand owns both (login.live.com → microsoftonline.com). */
function crossSite(pageUrl: string, actionUrl: string, brands: readonly Brand[]): boolean {
  const page = hostOf(pageUrl)
  const action = hostOf(actionUrl)
  if (!page || !action) return false
  if ((getDomain(page) ?? page) === (getDomain(action) ?? action)) return false

  const owner = brandOwning(page, brands)
  return owner === null || owner !== brandOwning(action, brands)
}

function describeForm(form: FormFact): string {
  const asks = form.hasPassword ? 'a password' : 'an e-mail address or user name'
  return form.action
    ? `a form asks for ${asks} and posts to ${form.action}`
    : `the page asks for ${asks}`
}

function hostOf(url: string): string | null {
  return safeUrl(url)?.hostname ?? null
}

function safeUrl(text: string): URL | null {
  try {
    return new URL(text)
  } catch {
    // Judged as "no usable URL"; the caller decides what that means.
    return null
  }
}
