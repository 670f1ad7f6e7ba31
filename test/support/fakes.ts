/**
 * Stand-ins for the internet reputation services, on 127.0.0.1. Each fake
 * serves the request and response shapes its provider documents and records
 * what it was sent, so tests can check our side of the protocol too.
 */

import { createHash } from 'node:crypto'
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface FakeRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingMessage['headers']
  body: string
}

export interface FakeAnswer {
  status?: number
  headers?: Record<string, string>
  body?: string | Uint8Array
}

/** `hang` accepts the request and never answers: a provider that is down in the worst way. */
export type FakeHandler = (request: FakeRequest) => FakeAnswer | 'hang'

export interface FakeServer {
  url: string
  requests: FakeRequest[]
  /** Connections the client closed (for example by aborting) while we held them. */
  closedByClient: number
  close(): Promise<void>
}

export async function startFake(handler: FakeHandler): Promise<FakeServer> {
  const requests: FakeRequest[] = []
  const sockets = new Set<Socket>()
  const state = { closedByClient: 0 }

  const server = createServer((req, res) => {
    void collect(req).then((body) => {
      const url = new URL(req.url ?? '/', 'http://fake')
      const request = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      }
      requests.push(request)
      const answer = handler(request)
      if (answer === 'hang') {
        res.on('close', () => state.closedByClient++)
        return
      }
      send(res, answer)
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo // node:http types the address loosely
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get closedByClient() {
      return state.closedByClient
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

async function collect(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks).toString('utf8')
}

function send(res: ServerResponse, answer: FakeAnswer): void {
  const body = answer.body ?? ''
  res.writeHead(answer.status ?? 200, {
    'Content-Length': String(typeof body === 'string' ? Buffer.byteLength(body) : body.length),
    ...answer.headers,
  })
  res.end(body)
}

export function json(value: unknown, status = 200): FakeAnswer {
  return { status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(value) }
}

/** A Google-style error for a request without a valid key. */
export function googleKeyCheck(request: FakeRequest, key: string): FakeAnswer | null {
  if (request.headers['x-goog-api-key'] === key || request.query.get('key') === key) return null
  return json(
    { error: { code: 403, message: 'API key not valid', status: 'PERMISSION_DENIED' } },
    403,
  )
}

export function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest()
}

/** A URLhaus CSV dump as abuse.ch writes it: comment header, every field quoted. */
export function urlhausCsv(rows: { id: number; url: string; threat?: string; tags?: string }[]) {
  const header = [
    '################################################################',
    '# abuse.ch URLhaus Database Dump (CSV - recent URLs only)      #',
    '# Last updated: 2026-12-03 11:55:02 (UTC)                      #',
    '################################################################',
    '#',
    '# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter',
  ]
  const lines = rows.map((row) =>
    [
      row.id,
      '2026-12-03 10:00:00',
      row.url,
      'online',
      '2026-12-03 11:00:00',
      row.threat ?? 'malware_download',
      row.tags ?? 'elf,mozi',
      `https://urlhaus.abuse.ch/url/${row.id}/`,
      'reporter',
    ]
      .map((field) => `"${String(field).replace(/"/g, '""')}"`)
      .join(','),
  )
  return [...header, ...lines].join('\r\n') + '\r\n'
}

/** A URLhaus JSON dump: an object of id → [entry]. */
export function urlhausJson(rows: { id: number; url: string }[]) {
  const out: Record<string, unknown[]> = {}
  for (const row of rows) {
    out[String(row.id)] = [
      {
        dateadded: '2026-12-03 10:00:00 UTC',
        url: row.url,
        url_status: 'online',
        last_online: '2026-12-03 11:00:00 UTC',
        threat: 'malware_download',
        tags: ['exe', 'Loader'],
        urlhaus_link: `https://urlhaus.abuse.ch/url/${row.id}/`,
        reporter: 'reporter',
      },
    ]
  }
  return JSON.stringify(out)
}

/** The URLhaus hostfile: a hosts file of hosts serving malware. */
export function urlhausHostfile(hosts: string[]) {
  return ['# URLhaus hostfile', '#', '127.0.0.1\tlocalhost', ...hosts.map((h) => `127.0.0.1\t${h}`)]
    .join('\n')
    .concat('\n')
}

/** PhishTank's online-valid.json. */
export function phishtankJson(rows: { id: number; url: string; target?: string }[]) {
  return JSON.stringify(
    rows.map((row) => ({
      phish_id: row.id,
      url: row.url,
      phish_detail_url: `http://www.phishtank.com/phish_detail.php?phish_id=${row.id}`,
      submission_time: '2026-12-03T09:00:00+00:00',
      verified: 'yes',
      verification_time: '2026-12-03T09:30:00+00:00',
      online: 'yes',
      details: [
        {
          ip_address: '192.0.2.1',
          cidr_block: '192.0.2.0/24',
          announcing_network: '64496',
          rir: 'arin',
          country: 'US',
          detail_time: '2026-12-03T09:31:00+00:00',
        },
      ],
      target: row.target ?? 'Other',
    })),
  )
}

/** PhishTank's online-valid.csv. */
export function phishtankCsv(rows: { id: number; url: string; target?: string }[]) {
  const header =
    'phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target'
  const lines = rows.map((row) =>
    [
      row.id,
      row.url.includes(',') ? `"${row.url}"` : row.url,
      `http://www.phishtank.com/phish_detail.php?phish_id=${row.id}`,
      '2026-12-03T09:00:00+00:00',
      'yes',
      '2026-12-03T09:30:00+00:00',
      'yes',
      row.target ?? 'Other',
    ].join(','),
  )
  return [header, ...lines].join('\n') + '\n'
}
