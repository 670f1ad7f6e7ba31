import { describe, expect, it } from 'vitest'

import { brandOwning } from '../../src/core/brands.js'
import { looksOneTime } from '../../src/core/one-time.js'

describe('looksOneTime', () => {
  it('recognises one-time links by whole words in path and query', () => {
    for (const url of [
      'https://app.example.com/auth/verify?token=once-8f2c',
      'https://shop.example/reset-password?k=1',
      'https://x.example/api/auth/callback/email?magic_link=abc',
      'https://news.example/list?unsubscribe=1&u=2',
      'https://id.example/Confirm/Email',
      'https://id.example/login-token/abc',
    ]) {
      expect(looksOneTime(url), url).toBe(true)
    }
  })

  it('reads camelCase and PascalCase words, as web frameworks name their routes', () => {
    for (const url of [
      'https://a.example/account/resetPassword?token=x',
      'https://a.example/verifyEmail?t=1',
      'https://a.example/auth/ConfirmSignup?code=1',
      'https://a.example/login?magicToken=abc',
      'https://a.example/EmailVerification/abc',
      'https://a.example/OTPCode/123',
    ]) {
      expect(looksOneTime(url), url).toBe(true)
    }
    expect(looksOneTime('https://a.example/presetColors/Resetting')).toBe(false)
  })

  it('leaves look-alike words and ordinary pages alone', () => {
    for (const url of [
      'https://news.example/verifying-the-news',
      'https://shop.example/resets/collection',
      'https://docs.example/guide?v=2#install',
      'not a url',
    ]) {
      expect(looksOneTime(url), url).toBe(false)
    }
  })

  it('takes a configured word list', () => {
    expect(looksOneTime('https://a.example/claim/123', ['claim'])).toBe(true)
    expect(looksOneTime('https://a.example/auth/verify', ['claim'])).toBe(false)
  })
})

describe('brandOwning', () => {
  it('names the brand that owns a registrable domain, and only that', () => {
    expect(brandOwning('login.microsoftonline.com')?.name).toBe('Microsoft')
    expect(brandOwning('microsoft.com.evil.example')).toBeNull()
    expect(brandOwning('paypal-login.example')).toBeNull()
  })
})
