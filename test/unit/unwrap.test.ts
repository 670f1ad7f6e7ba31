import { describe, expect, it } from 'vitest'

import { MAX_UNWRAP_DEPTH, decodeProofpointV3, unwrapLayers } from '../../src/core/unwrap.js'

const b64url = (text: string) => Buffer.from(text).toString('base64url')
const urls = (target: string) => unwrapLayers(target).map((layer) => layer.url)
const kinds = (target: string) => unwrapLayers(target).map((layer) => layer.via)

describe('unwrapLayers', () => {
  it('unwraps Microsoft Safe Links', () => {
    const wrapped =
      'https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fevil.example%2Flogin%3Fa%3D1&data=05%7C01%7C%7Cabc&sdata=xyz&reserved=0'

    expect(urls(wrapped)).toEqual([wrapped, 'https://evil.example/login?a=1'])
    expect(kinds(wrapped)).toEqual([null, 'safelinks'])
  })

  it('unwraps Proofpoint URL Defense v1 (percent-encoded u)', () => {
    const wrapped =
      'https://urldefense.proofpoint.com/v1/url?u=http%3A%2F%2Fevil.example%2Fpay%3Fid%3D7&k=abc%3D%0A&r=def&m=ghi&s=jkl'

    expect(urls(wrapped)[1]).toBe('http://evil.example/pay?id=7')
    expect(kinds(wrapped)[1]).toBe('proofpoint_v1')
  })

  it('unwraps Proofpoint v2, where - stands for % and _ for /', () => {
    const wrapped =
      'https://urldefense.proofpoint.com/v2/url?u=https-3A__evil.example_login-3Fnext-3D1-26x-3D2&d=DwMFaQ&c=abc&r=def&m=ghi&s=jkl&e='

    expect(urls(wrapped)[1]).toBe('https://evil.example/login?next=1&x=2')
    expect(kinds(wrapped)[1]).toBe('proofpoint_v2')
  })

  it('unwraps Proofpoint v3, filling * and **X from the base64url after __;', () => {
    // "%@" fills the two single stars; the run "**A" (length 2) takes "$#".
    const replaced = b64url('%@$#')
    const wrapped = `https://urldefense.com/v3/__https://evil.example/owa*2Findex.html?user=bob*example.com&k=a**Ab__;${replaced}!!AbCdEf!GhIj$`

    expect(decodeProofpointV3(wrapped)).toBe(
      'https://evil.example/owa%2Findex.html?user=bob@example.com&k=a$#b',
    )
    expect(kinds(wrapped)[1]).toBe('proofpoint_v3')
  })

  it('restores the second slash Proofpoint v3 drops after the scheme', () => {
    expect(decodeProofpointV3('https://urldefense.com/v3/__https:/evil.example/x__;!!a$')).toBe(
      'https://evil.example/x',
    )
  })

  it('rejects a v3 link whose stars outnumber its replacement characters', () => {
    expect(
      decodeProofpointV3(`https://urldefense.com/v3/__https://a.example/**Z__;${b64url('%')}!!a$`),
    ).toBeNull()
  })

  it('unwraps Google and Outlook Web App redirect links', () => {
    const google = 'https://www.google.com/url?q=https://evil.example/&sa=D&source=editors&usg=AOv'
    const googleDe = 'https://www.google.de/url?url=https%3A%2F%2Fevil.example%2Fde'
    const owa =
      'https://mail.contoso.example/owa/redir.aspx?C=abc&URL=https%3a%2f%2fevil.example%2fowa'

    expect(urls(google)[1]).toBe('https://evil.example/')
    expect(urls(googleDe)[1]).toBe('https://evil.example/de')
    expect(kinds(owa)).toEqual([null, 'outlook_redirect'])
    expect(urls(owa)[1]).toBe('https://evil.example/owa')
  })

  it('unwraps open-redirect parameters on known redirectors', () => {
    const bing = `https://www.bing.com/ck/a?!&&p=abc&ptn=3&u=a1${b64url('https://evil.example/bing')}&ntb=1`
    const facebook = 'https://l.facebook.com/l.php?u=https%3A%2F%2Fevil.example%2Ffb&h=AT0'
    const amp = 'https://www.google.com/amp/s/evil.example/amp/page'

    expect(urls(bing)[1]).toBe('https://evil.example/bing')
    expect(urls(facebook)[1]).toBe('https://evil.example/fb')
    expect(urls(amp)[1]).toBe('https://evil.example/amp/page')
    expect(kinds(bing)[1]).toBe('open_redirect')
  })

  it('follows nested wrappers, outermost first', () => {
    const inner = 'https://www.google.com/url?q=https://evil.example/deep'
    const proofpoint = `https://urldefense.proofpoint.com/v2/url?u=${inner
      .replace(/%/g, '-25')
      .replace(/:/g, '-3A')
      .replace(/\?/g, '-3F')
      .replace(/=/g, '-3D')
      .replace(/\//g, '_')}&d=x&c=y`
    const safelinks = `https://nam02.safelinks.protection.outlook.com/?url=${encodeURIComponent(proofpoint)}&data=z`

    expect(kinds(safelinks)).toEqual([null, 'safelinks', 'proofpoint_v2', 'google_redirect'])
    expect(urls(safelinks).at(-1)).toBe('https://evil.example/deep')
  })

  it('stops at the fixed depth however deep the nesting goes', () => {
    let url = 'https://evil.example/core'
    for (let i = 0; i < 20; i++) url = `https://www.google.com/url?q=${encodeURIComponent(url)}`

    expect(unwrapLayers(url)).toHaveLength(MAX_UNWRAP_DEPTH + 1)
  })

  it('checks a full URL carried in any other query parameter as a possible destination', () => {
    const tracker = 'https://click.news.example/c?id=7&url=https%3A%2F%2Fshop.example%2Fsale'
    const mention = 'https://share.example/post?text=https%3A%2F%2Fshop.example%2Fsale'

    expect(kinds(tracker)).toEqual([null, 'redirect_param'])
    expect(urls(tracker)[1]).toBe('https://shop.example/sale')
    expect(kinds(mention)).toEqual([null, 'embedded_url'])
  })

  it('leaves look-alike parameters on other hosts and paths alone (benign twins)', () => {
    for (const url of [
      'https://www.google.com/search?q=evil.example',
      'https://safelinks.protection.outlook.com.evil.example/?url=bank.example/',
      'https://urldefense.proofpoint.com/v2/url?u=not a url&d=x',
      'https://www.bing.com/search?u=a1aHR0cHM6Ly9ldmlsLmV4YW1wbGUv',
    ]) {
      expect(unwrapLayers(url), url).toHaveLength(1)
    }
  })
})
