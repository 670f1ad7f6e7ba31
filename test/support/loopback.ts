/**
 * Real HTTP servers on loopback for sandbox tests, with hit counting, and a
 * resolver the tests control (the "DNS" that maps test host names).
 */

import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import { type Server as NetServer, createServer as createNetServer } from 'node:net'

import type { Resolver } from '../../src/node/sandbox/connector.js'

/** Loopback address of the "public internet" in tests; the test allowance names it. */
export const SITE_ADDRESS = '127.0.0.2'

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

export interface SiteServer {
  port: number
  /** Requests seen per path (query excluded). */
  hits: Map<string, number>
  /** Every request's path with query, in order. */
  log: string[]
  origin: (host?: string) => string
  close: () => Promise<void>
}

export async function startSite(handler: Handler, address = SITE_ADDRESS): Promise<SiteServer> {
  const hits = new Map<string, number>()
  const log: string[] = []
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    hits.set(path, (hits.get(path) ?? 0) + 1)
    log.push(req.url ?? '/')
    handler(req, res)
  })
  const port = await listen(server, 0, address)
  return {
    port,
    hits,
    log,
    origin: (host = address) => `http://${host}:${port}`,
    close: () => closeServer(server),
  }
}

export interface CountingListener {
  /** TCP connections accepted on every socket of the listener. */
  readonly connections: number
  /** The port each socket is bound to, in the order given. */
  ports: number[]
  close: () => Promise<void>
}

/** Accepts and counts connections on each `[address, port]` given; answers nothing. */
export async function startCountingListener(
  sockets: readonly (readonly [string, number])[],
): Promise<CountingListener> {
  let connections = 0
  const servers: NetServer[] = []
  const ports: number[] = []
  for (const [address, port] of sockets) {
    const server = createNetServer((socket) => {
      connections++
      socket.destroy()
    })
    ports.push(await listen(server, port, address))
    servers.push(server)
  }
  return {
    ports,
    get connections() {
      return connections
    },
    close: async () => {
      await Promise.all(servers.map((server) => closeServer(server)))
    },
  }
}

/** A resolver over a fixed table; names not in it do not exist. Counts lookups per name. */
export function tableResolver(
  table: Record<string, string[] | (() => string[])>,
): Resolver & { lookups: Map<string, number> } {
  const lookups = new Map<string, number>()
  const resolve = async (hostname: string) => {
    const name = hostname.toLowerCase().replace(/\.$/, '')
    lookups.set(name, (lookups.get(name) ?? 0) + 1)
    const entry = table[name]
    if (entry === undefined)
      throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' })
    return typeof entry === 'function' ? entry() : entry
  }
  return Object.assign(resolve, { lookups })
}

export function listen(server: Server | NetServer, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, address, () => {
      const bound = server.address()
      resolve(typeof bound === 'object' && bound ? bound.port : 0)
    })
  })
}

function closeServer(server: Server | NetServer): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

/** Resolves when `check` is true, polling; fails after `ms` (a safety net, not a timing assertion). */
export async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
