import { describe, expect, it } from 'vitest'

import { presentedBrand } from '../../src/core/sandbox/brand.js'
import { detectDownload } from '../../src/core/sandbox/download.js'
import { analysePage, parseRefresh, scriptRedirect } from '../../src/core/sandbox/page.js'

const PAGE = 'https://pages.example/a/b'

describe('static redirects', () => {
  it('reads meta refresh in its common spellings, and ignores long delays and plain reloads', () => {
    expect(parseRefresh('0;url=https://x.example/')).toBe('https://x.example/')
    expect(parseRefresh("0; URL='/next'")).toBe('/next')
    expect(parseRefresh('3, url="next.html"')).toBe('next.html')
    expect(parseRefresh('5')).toBeNull()
    expect(parseRefresh('600; url=/later')).toBeNull()
  })

  it('finds string-literal assignments to the location in scripts', () => {
    expect(scriptRedirect('window.location = "https://a.example/"')).toBe('https://a.example/')
    expect(scriptRedirect("top.location.href='/b'")).toBe('/b')
    expect(scriptRedirect('document.location.replace(`https://c.example/x`)')).toBe(
      'https://c.example/x',
    )
    expect(scriptRedirect("location.assign('\\x2fd')")).toBe('/d')
    expect(scriptRedirect('if (location == "x") {}')).toBeNull()
    expect(scriptRedirect('var u = atob("aHR0cA=="); location.href = u')).toBeNull()
  })

  it('resolves the page redirect against <base href>, meta refresh first', () => {
    const page = analysePage(
      '<base href="https://cdn.example/r/"><meta http-equiv=Refresh content="0;url=go">' +
        '<script>location.href="/script"</script>',
      PAGE,
    )

    expect(page.redirect).toEqual({ url: 'https://cdn.example/r/go', via: 'meta' })
  })
})

describe('forms', () => {
  it('records where each password form posts, and password fields outside any form', () => {
    const page = analysePage(
      '<form action="/login" method=POST><input type=password></form>' +
        '<form><input name=q></form><input type=password id=loose>',
      PAGE,
    )

    expect(page.forms).toEqual([
      expect.objectContaining({
        action: 'https://pages.example/login',
        method: 'post',
        hasPassword: true,
      }),
      expect.objectContaining({ action: PAGE, hasPassword: false }),
      expect.objectContaining({ action: null, hasPassword: true }),
    ])
  })
})

describe('brand presentation', () => {
  it('does not take a "Sign in with Google" button for an imitation of Google', () => {
    const page = analysePage(
      '<title>Acme forum</title><form><input type=password>' +
        '<button><img src="/google-logo.svg"> Sign in with Google</button></form>',
      PAGE,
    )

    expect(presentedBrand(page)).toBeNull()
  })

  it('needs more than a passing mention', () => {
    const page = analysePage('<title>News</title><p>Microsoft released an update.</p>', PAGE)

    expect(presentedBrand(page)).toBeNull()
  })

  it('does not match a brand inside another word', () => {
    const page = analysePage('<title>Purchase order</title><img src="purchase.png">', PAGE)

    expect(presentedBrand(page)).toBeNull()
  })
})

describe('downloads', () => {
  const none = new Uint8Array()

  it('recognises executables and archives by type, name and first bytes', () => {
    const exe = {
      url: 'https://a.example/setup',
      mediaType: 'application/x-msdownload',
      disposition: null,
      head: none,
    }
    expect(detectDownload(exe)?.kind).toBe('executable')
    expect(
      detectDownload({
        url: 'https://a.example/f.iso',
        mediaType: null,
        disposition: null,
        head: none,
      })?.kind,
    ).toBe('archive')
    expect(
      detectDownload({
        url: 'https://a.example/x',
        mediaType: 'text/plain',
        disposition: "attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz.js",
        head: none,
      }),
    ).toEqual({ kind: 'executable', name: 'Rechnung März.js', why: 'its file name ends in .js' })
  })

  it('leaves office documents and PDFs alone, though a .docx is a zip inside', () => {
    const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04])
    expect(
      detectDownload({
        url: 'https://a.example/report.docx',
        mediaType: null,
        disposition: null,
        head: zip,
      }),
    ).toBeNull()
    expect(
      detectDownload({
        url: 'https://a.example/r.pdf',
        mediaType: 'application/pdf',
        disposition: null,
        head: none,
      }),
    ).toBeNull()
  })
})
