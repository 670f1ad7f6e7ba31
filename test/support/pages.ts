/**
 * Page fixtures of our own, served from loopback: what phishing and benign
 * pages look like to the sandbox. Written for this project; no real kit.
 */

import type { Handler } from './loopback.js'

/** A Microsoft-style sign-in page. `action` decides where the credentials go. */
export function microsoftSignIn(action: string): string {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in to your account</title>
<link rel="icon" href="/favicon.ico"></head>
<body>
  <img src="/assets/microsoft_logo.svg" alt="Microsoft">
  <form method="post" action="${action}">
    <div role="heading">Sign in</div>
    <input type="email" name="loginfmt" placeholder="Email, phone, or Skype">
    <input type="password" name="passwd" placeholder="Password">
    <a href="#">Can't access your account?</a>
    <input type="submit" value="Next">
  </form>
  <footer>©2026 Microsoft · Terms of use · Privacy &amp; cookies</footer>
</body></html>`
}

/** An ordinary login page of a small site, no brand, posting somewhere else. */
export function offsiteLogin(action: string): string {
  return `<!DOCTYPE html><html><head><title>Member area</title></head><body>
  <h1>Member area</h1>
  <form method="post" action="${action}">
    <label>User name <input name="username"></label>
    <label>Password <input type="password" name="pw"></label>
    <button>Log in</button>
  </form></body></html>`
}

export const LANDING = `<!DOCTYPE html><html><head><title>Welcome</title></head>
<body><h1>Quarterly newsletter</h1><p>Nothing to sign in to here.</p></body></html>`

export function metaRefresh(to: string): string {
  return `<!DOCTYPE html><html><head><meta http-equiv="refresh" content="0; url='${to}'">
<title>Redirecting</title></head><body>One moment…</body></html>`
}

export function scriptRedirect(to: string): string {
  return `<!DOCTYPE html><html><head><title>Loading</title>
<script>var t = 1; window.location.href = "${to}";</script></head><body>Loading…</body></html>`
}

/** The first bytes of a Windows program. */
export const EXE_BYTES = Buffer.concat([Buffer.from('MZ\x90\x00', 'latin1'), Buffer.alloc(508, 0)])
export const ZIP_BYTES = Buffer.concat([
  Buffer.from([0x50, 0x4b, 0x03, 0x04]),
  Buffer.alloc(200, 1),
])

/** Bytes the oversized page would send in full; the sandbox must stop long before. */
export const OVERSIZED_BYTES = 32 * 1024 * 1024

export function html(body: string, status = 200): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' })
    res.end(body)
  }
}

export function redirect(to: string, status = 302, close = false): Handler {
  return (_req, res) => {
    res.writeHead(status, { Location: to, ...(close ? { Connection: 'close' } : {}) })
    res.end()
  }
}

/** Streams HTML until the client goes away or `OVERSIZED_BYTES` are sent; reports bytes written. */
export function oversized(sent: { bytes: number }): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' })
    res.write('<html><head><title>Big</title></head><body>')
    const chunk = Buffer.alloc(64 * 1024, 'a')
    const pump = () => {
      while (sent.bytes < OVERSIZED_BYTES && !res.destroyed) {
        sent.bytes += chunk.length
        if (!res.write(chunk)) return void res.once('drain', pump)
      }
      res.end()
    }
    pump()
  }
}

/** Never answers; the sandbox must give up by its own time limit. */
export const silent: Handler = () => {}

/** Routes by path; unknown paths get 404. */
export function router(routes: Record<string, Handler>): Handler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const handler = routes[path]
    if (handler) return handler(req, res)
    res.writeHead(404, { 'Content-Type': 'text/plain' })
    res.end('not found')
  }
}
