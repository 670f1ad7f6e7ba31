/**
 * The page fixtures, each served from loopback and scanned by the real
 * sandbox (safe fetcher, page scanner, judge), with its expected verdict.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createPageScanner } from '../../src/core/sandbox/page-scanner.js'
import type { ScanReport } from '../../src/core/sandbox/types.js'
import { createTestAllowance } from '../../src/node/sandbox/connector.js'
import { SafeFetcher } from '../../src/node/sandbox/safe-fetch.js'
import { SITE_ADDRESS, type SiteServer, startSite, tableResolver } from '../support/loopback.js'
import {
  EXE_BYTES,
  LANDING,
  OVERSIZED_BYTES,
  ZIP_BYTES,
  html,
  metaRefresh,
  microsoftSignIn,
  offsiteLogin,
  oversized,
  redirect,
  router,
  scriptRedirect,
  silent,
} from '../support/pages.js'

const MAX_BYTES = 256 * 1024
const sent = { bytes: 0 }
let site: SiteServer
let fetcher: SafeFetcher

function scanner(timeoutMs = 5_000) {
  return createPageScanner({ fetcher, maxBytes: MAX_BYTES, timeoutMs })
}

async function scan(path: string, host = 'fixtures.example', timeoutMs?: number) {
  return scanner(timeoutMs).scan(`http://${host}:${site.port}${path}`, new AbortController().signal)
}

/** The verdict the findings add up to, as the click policy would take it. */
function verdictOf(report: ScanReport): 'allow' | 'warn' | 'block' {
  if (report.findings.some((f) => f.verdict === 'block')) return 'block'
  return report.findings.length > 0 ? 'warn' : 'allow'
}

function reasons(report: ScanReport): string[] {
  return report.findings.map((f) => f.reason)
}

beforeAll(async () => {
  site = await startSite(
    router({
      '/signin': html(microsoftSignIn('https://collect.msft-account-check.example/post.php')),
      '/common/login': html(microsoftSignIn('https://login.microsoftonline.com/common/login')),
      '/start': redirect('/hop-1'),
      '/hop-1': html(metaRefresh('/hop-2')),
      '/hop-2': html(metaRefresh('/landing')),
      '/landing': html(LANDING),
      '/loading': html(scriptRedirect('/signin')),
      '/invoice': (_req, res) => {
        res.writeHead(200, {
          'Content-Type': 'application/octet-stream',
          'Content-Disposition': 'attachment; filename="invoice-2291.pdf.exe"',
        })
        res.end(EXE_BYTES)
      },
      '/statement': (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' })
        res.end(ZIP_BYTES)
      },
      '/big': oversized(sent),
      '/slow': silent,
      '/members': html(offsiteLogin('https://elsewhere.example/collect')),
    }),
  )
  fetcher = new SafeFetcher({
    resolve: tableResolver({
      'fixtures.example': [SITE_ADDRESS],
      'msft-account-check.example': [SITE_ADDRESS],
      'login.microsoftonline.com': [SITE_ADDRESS],
    }),
    testAllowance: createTestAllowance([`${SITE_ADDRESS}:${site.port}`]),
  })
})

afterAll(async () => {
  await fetcher?.close()
  await site?.close()
})

describe('sandbox page fixtures', () => {
  it('blocks a fake Microsoft sign-in page on a host Microsoft does not own', async () => {
    const report = await scan('/signin', 'msft-account-check.example')

    expect(verdictOf(report)).toBe('block')
    expect(reasons(report)).toEqual(['brand_impersonation'])
    const finding = report.findings[0]
    expect(finding?.detail).toContain('msft-account-check.example does not belong to Microsoft')
    expect(finding?.evidence).toEqual(
      expect.arrayContaining([
        'it shows an image named “microsoft_logo.svg”',
        'a form asks for a password and posts to https://collect.msft-account-check.example/post.php',
      ]),
    )
    expect(report.page?.title).toBe('Sign in to your account')
  })

  it('allows the same sign-in page on its own brand domain', async () => {
    const report = await scan('/common/login', 'login.microsoftonline.com')

    expect(report.page?.brand?.brand).toBe('Microsoft')
    expect(report.page?.forms[0]?.hasPassword).toBe(true)
    expect(verdictOf(report)).toBe('allow')
    expect(report.findings).toEqual([])
  })

  it('follows a redirect and two meta refreshes, and allows the benign landing page', async () => {
    const report = await scan('/start')

    expect(report.chain.map((hop) => [new URL(hop.url).pathname, hop.via])).toEqual([
      ['/start', 'start'],
      ['/hop-1', 'http'],
      ['/hop-2', 'meta'],
      ['/landing', 'meta'],
    ])
    expect(report.finalUrl).toBe(`http://fixtures.example:${site.port}/landing`)
    expect(verdictOf(report)).toBe('allow')
  })

  it('follows a script redirect to the fake sign-in page and blocks it', async () => {
    const report = await scan('/loading')

    expect(report.chain.map((hop) => hop.via)).toEqual(['start', 'script'])
    expect(report.finalUrl).toBe(`http://fixtures.example:${site.port}/signin`)
    expect(verdictOf(report)).toBe('block')
    expect(reasons(report)).toContain('brand_impersonation')
  })

  it('blocks an executable download that calls itself a PDF', async () => {
    const report = await scan('/invoice')

    expect(report.download).toEqual({
      kind: 'executable',
      name: 'invoice-2291.pdf.exe',
      why: 'its first bytes are a Windows program (MZ header)',
    })
    expect(verdictOf(report)).toBe('block')
    expect(reasons(report)).toEqual(['executable_download'])
  })

  it('warns on an archive download recognised by its first bytes', async () => {
    const report = await scan('/statement')

    expect(report.download?.kind).toBe('archive')
    expect(verdictOf(report)).toBe('warn')
    expect(reasons(report)).toEqual(['archive_download'])
  })

  it('stops reading an oversized body at the limit and warns', async () => {
    const report = await scan('/big')

    expect(report.truncated).toBe(true)
    expect(report.page?.title).toBe('Big')
    expect(verdictOf(report)).toBe('warn')
    expect(reasons(report)).toEqual(['page_too_large'])
    expect(sent.bytes).toBeLessThan(OVERSIZED_BYTES)
  })

  it('gives up on a server that never answers, by its own time limit, and warns', async () => {
    const report = await scan('/slow', 'fixtures.example', 200)

    expect(report.failure).toMatchObject({ code: 'timeout', transient: true })
    expect(verdictOf(report)).toBe('warn')
    expect(reasons(report)).toEqual(['scan_timeout'])
  })

  it('warns on a password form that posts to another site', async () => {
    const report = await scan('/members')

    expect(report.page?.brand).toBeNull()
    expect(verdictOf(report)).toBe('warn')
    expect(reasons(report)).toEqual(['credential_form_offsite'])
  })

  it('warns on a page that answers with an error', async () => {
    const report = await scan('/nothing-here')

    expect(report.status).toBe(404)
    expect(reasons(report)).toEqual(['scan_http_error'])
  })
})
