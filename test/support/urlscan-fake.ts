/**
 * A stand-in for urlscan.io on loopback, serving the documented shapes
 * (urlscan.io API documentation, "Submission" and "Result API"): `POST
 * /api/v1/scan/` with the `API-Key` header answers a uuid, `GET
 * /api/v1/result/{uuid}/` answers 404 once (still running), then the result.
 * A URL containing `phish` is rated malicious; one containing `busy` gets
 * 429 on submission. `GET /__seen` lists every submitted URL, for tests
 * running inside workerd, which cannot read this process's memory.
 */

import { randomUUID } from 'node:crypto'
import { type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export const URLSCAN_FAKE_KEY = 'urlscan-fake-key-0123456789'

export interface UrlscanFake {
  origin: string
  server: Server
}

export async function startUrlscanFake(): Promise<UrlscanFake> {
  const submitted = new Map<string, string>()
  const polled = new Set<string>()
  const seen: string[] = []

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const path = req.url ?? '/'
      if (path === '/__seen') return json(res, 200, seen)
      if (req.headers['api-key'] !== URLSCAN_FAKE_KEY) {
        return json(res, 401, { message: 'Missing or invalid API key', status: 401 })
      }
      if (req.method === 'POST' && path === '/api/v1/scan/') {
        const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
        const url = typeof body === 'object' && body && 'url' in body ? String(body.url) : ''
        seen.push(url)
        if (url.includes('busy')) return json(res, 429, { message: 'Rate limit exceeded' })
        const uuid = randomUUID()
        submitted.set(uuid, url)
        return json(res, 200, {
          message: 'Submission successful',
          uuid,
          result: `https://urlscan.io/result/${uuid}/`,
          api: `https://urlscan.io/api/v1/result/${uuid}/`,
          visibility: 'unlisted',
          url,
        })
      }
      const match = /^\/api\/v1\/result\/([0-9a-f-]+)\/$/.exec(path)
      const url = match?.[1] ? submitted.get(match[1]) : undefined
      if (req.method === 'GET' && match?.[1] && url !== undefined) {
        if (!polled.has(match[1])) {
          polled.add(match[1])
          return json(res, 404, { message: 'Scan is not finished yet', status: 404 })
        }
        return json(res, 200, result(match[1], url))
      }
      json(res, 404, { message: 'Not found', status: 404 })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  server.unref()
  const { port } = server.address() as AddressInfo // node:http always listens on TCP here
  return { origin: `http://127.0.0.1:${port}`, server }
}

function result(uuid: string, url: string) {
  const malicious = url.includes('phish')
  return {
    task: { uuid, url, visibility: 'unlisted', reportURL: `https://urlscan.io/result/${uuid}/` },
    page: { url, status: '200', mimeType: 'text/html', title: 'Sign in' },
    verdicts: {
      overall: {
        score: malicious ? 100 : 0,
        categories: malicious ? ['phishing'] : [],
        brands: malicious ? ['microsoft'] : [],
        malicious,
        hasVerdicts: malicious,
      },
    },
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' })
  res.end(JSON.stringify(body))
}
