/**
 * A stand-in destination site on loopback that counts every request it
 * receives, so a test can prove a one-time link was (or was not) spent.
 */

import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface HitCounter {
  origin: string
  hits: { method: string; url: string }[]
  close: () => Promise<void>
}

export async function startHitCounter(): Promise<HitCounter> {
  const hits: HitCounter['hits'] = []
  const server: Server = createServer((req, res) => {
    hits.push({ method: req.method ?? '', url: req.url ?? '' })
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
    res.end('<!doctype html><title>target</title><h1>Password reset done</h1>')
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo // listen() on a port always gives AddressInfo

  return {
    origin: `http://localhost:${port}`,
    hits,
    close: () => new Promise((done) => server.close(() => done())),
  }
}
