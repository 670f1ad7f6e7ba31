/**
 * An undici connector that decides where a connection may go before it is
 * dialled. It resolves the name itself, refuses the connection when any
 * answer is not a public unicast address, and dials exactly the address it
 * checked, so a DNS answer that changes between check and use (rebinding)
 * has no window. IP-literal hosts are checked the same way, without a lookup.
 */

import { lookup } from 'node:dns/promises'

import { buildConnector } from 'undici'

import { ScanFetchError } from '../../core/sandbox/types.js'
import { canonicalAddress, isIpLiteral, isLoopback, isPublicUnicast, unbracket } from './address.js'

/** Every address a name resolves to. */
export type Resolver = (hostname: string) => Promise<string[]>

/** The system resolver (getaddrinfo, so /etc/hosts counts), every answer in its own order. */
export const systemResolver: Resolver = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true })
  return answers.map((answer) => answer.address)
}

/**
 * Named loopback `address:port` pairs that tests may reach. Only loopback
 * addresses are accepted, and never in production (see `createTestAllowance`).
 */
export class TestAllowance {
  private readonly pairs: ReadonlySet<string>

  constructor(pairs: Iterable<string>) {
    this.pairs = new Set(pairs)
  }

  permits(address: string, port: number): boolean {
    return this.pairs.has(`${canonicalAddress(address)}:${port}`)
  }

  get size(): number {
    return this.pairs.size
  }
}

/**
 * Builds the test allowance from `address:port` entries (`127.0.0.1:4100`,
 * `[::1]:4100`). Refuses anything that is not loopback, and refuses to exist
 * at all under NODE_ENV=production, so a stray setting cannot open the
 * sandbox to the network it runs in.
 */
export function createTestAllowance(entries: readonly string[]): TestAllowance {
  if (process.env.NODE_ENV === 'production') {
    throw new TypeError('the sandbox test allowance cannot be used with NODE_ENV=production')
  }
  return new TestAllowance(entries.map(parseLoopbackPair))
}

function parseLoopbackPair(entry: string): string {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(entry.trim())
  const address = match?.[1] ? unbracket(match[1]) : ''
  const port = Number(match?.[2])
  if (!match || !isLoopback(address) || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new TypeError(`sandbox test allowance entry "${entry}" is not a loopback address:port`)
  }
  return `${canonicalAddress(address)}:${port}`
}

export interface GuardOptions {
  resolve: Resolver
  allowedPorts: ReadonlySet<number>
  allowance: TestAllowance | null
  connectTimeoutMs: number
}

/** The connector to hand to `new Agent({ connect })`. */
export function guardedConnector(options: GuardOptions): buildConnector.connector {
  const dial = buildConnector({ timeout: options.connectTimeoutMs })

  return function connectChecked(params, callback) {
    checkedAddress(params.hostname, params.protocol, params.port, options).then(
      // `host` keeps the original name, so TLS still sends it as SNI and checks the certificate for it.
      (address) => dial({ ...params, hostname: address }, callback),
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null),
    )
  }
}

/**
 * The one address to dial for a host and port, after every check. Exported
 * for the unit tests of the checks themselves.
 */
export async function checkedAddress(
  hostname: string,
  protocol: string,
  rawPort: string,
  options: GuardOptions,
): Promise<string> {
  const port = Number(rawPort) || (protocol === 'https:' ? 443 : 80)
  const host = unbracket(hostname)
  const addresses = isIpLiteral(host) ? [host] : await resolveAll(host, options.resolve)

  const permitted = (address: string) =>
    isPublicUnicast(address) || (options.allowance?.permits(address, port) ?? false)
  const refused = addresses.find((address) => !permitted(address))
  if (refused !== undefined) {
    const what = isIpLiteral(host) ? host : `${host} leads to ${refused}, which`
    throw new ScanFetchError('address_refused', `${what} is not a public internet address`, false)
  }

  const testPair = addresses.every((address) => options.allowance?.permits(address, port))
  if (!options.allowedPorts.has(port) && !testPair) {
    throw new ScanFetchError('port_refused', `port ${port} is not one the sandbox opens`, false)
  }

  const first = addresses[0]
  if (first === undefined) throw new ScanFetchError('dns_failed', `${host} has no address`, true)
  return canonicalAddress(first)
}

async function resolveAll(host: string, resolve: Resolver): Promise<string[]> {
  try {
    const addresses = await resolve(host)
    if (addresses.length > 0) return addresses
  } catch (err) {
    throw new ScanFetchError('dns_failed', `${host} could not be resolved`, true, err)
  }
  throw new ScanFetchError('dns_failed', `${host} has no address`, true)
}
