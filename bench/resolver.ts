/**
 * `npm run bench:resolver`: requests per second of the click path against a
 * bare Hono app answering 302, both loaded by wrk on loopback, then the p99
 * latency of the click path at half its top rate.
 *
 * The click path runs as in production: the built `clickgate serve`, real
 * SQLite, every signal on (admin rules are read on every click, heuristics
 * and unwrapping, message context), the per-link rate limit on, scanner
 * classification, and clicks recorded in batches. The link is allowed and
 * its verdict is cached after the first click. Like a real alert sent to
 * many people, the load spreads over 10,000 recipients' links to the one
 * destination, each a token of its own. CPU per request is the whole
 * process's (the click writer thread included); the main thread's share is
 * printed beside it.
 *
 * Needs wrk (Debian package `wrk`). CI does not run benchmarks.
 */

import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'

import { KeyRing, parseKeyList, signToken, verifyToken } from '../src/core/tokens.js'
import { nodeHmac } from '../src/node/hmac.js'

const ROOT = resolve(import.meta.dirname, '../..')
const CLI = join(ROOT, 'dist/src/cli/main.js')
const BARE = join(ROOT, 'dist/bench/bare-app.js')
const KEYS = 'b1:' + Buffer.alloc(32, 9).toString('base64url')
const REWRITE_TOKEN = 'bench-rewrite-token-0123456789abcdef'
const RECIPIENTS = 10_000
const DURATION = process.env.BENCH_DURATION ?? '10s'
const CONNECTIONS = 50
/** Alternating windows of the bare app and clickgate; the ratio is their median. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
/** wrk's per-connection pause for the paced run, in milliseconds. */
const PACE_MS = 5

interface WrkResult {
  /** Requests wrk saw answered. */
  requests: number
  requestsPerSecond: number
  p50ms: number
  p99ms: number
  non2xx3xx: number
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer()
    probe.once('error', fail)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => done(port))
    })
  })
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url, { redirect: 'manual' })).status < 500) return
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 50))
  }
  throw new Error(`${url} did not come up`)
}

function startClickgate(port: number, dir: string): ChildProcess {
  // BENCH_NODE_ARGS, e.g. "--cpu-prof", profiles the server under load.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0)
  return spawn(process.execPath, [...nodeArgs, CLI, 'serve'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      CLICKGATE_DB: join(dir, 'bench.db'),
      CLICKGATE_KEYS: KEYS,
      CLICKGATE_HASH_SECRET: Buffer.alloc(32, 3).toString('base64url'),
      CLICKGATE_ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
      CLICKGATE_REWRITE_TOKEN: REWRITE_TOKEN,
    },
  })
}

/** Registers the destination through the API and signs one link per recipient. */
async function recipientLinks(base: string): Promise<string[]> {
  const response = await fetch(`${base}/api/v1/rewrite`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${REWRITE_TOKEN}`,
      'Content-Type': 'text/plain',
      'Clickgate-Message-Id': 'bench-alert@clickgate.example',
    },
    body: 'Read the report at https://news.example/today/report?id=42\n',
  })
  const token = /\/r\/([A-Za-z0-9_-]+)/.exec(await response.text())?.[1] ?? ''
  const ring = new KeyRing(parseKeyList(KEYS), nodeHmac)
  const verified = await verifyToken(ring, token, Math.floor(Date.now() / 1000))
  if (!verified.ok) throw new Error('could not read the rewritten link')

  const { claims } = verified
  const paths: string[] = []
  for (let i = 0; i < RECIPIENTS; i++) {
    const recipientRef = i.toString(16).padStart(12, '0')
    paths.push(
      `/r/${await signToken(ring, { ...claims, issuedAt: claims.issuedAt - 3600, recipientRef })}`,
    )
  }
  return paths
}

function wrkScript(dir: string, paths: string[], paceMs: number | null): string {
  const file = join(dir, paceMs === null ? 'clicks.lua' : 'paced.lua')
  const list = paths.map((p) => `"${p}"`).join(',\n')
  writeFileSync(
    file,
    `local paths = {\n${list}\n}\nlocal i = 0\n` +
      'local headers = { ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0", ' +
      '["Accept"] = "text/html", ["Accept-Language"] = "en" }\n' +
      'request = function()\n  i = i + 1\n' +
      '  return wrk.format("GET", paths[(i % #paths) + 1], headers)\nend\n' +
      (paceMs === null ? '' : `delay = function() return ${paceMs} end\n`),
  )
  return file
}

function wrk(url: string, connections: number, script: string | null): WrkResult {
  const args = ['-t', '1', '-c', String(connections), '-d', DURATION, '--latency']
  if (script) args.push('-s', script)
  const out = execFileSync('wrk', [...args, url], { encoding: 'utf8' })
  return parseWrk(out)
}

function parseWrk(out: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1])
  const non = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0)
  return {
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
    requestsPerSecond: rps,
    p50ms: latency(out, '50%'),
    p99ms: latency(out, '99%'),
    non2xx3xx: non,
  }
}

function latency(out: string, percentile: string): number {
  const match = new RegExp(`${percentile}\\s+([\\d.]+)(us|ms|s)`).exec(out)
  if (!match) return NaN
  const value = Number(match[1])
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value
}

/**
 * CPU seconds a process has used (user + system, /proc/PID/stat fields 14
 * and 15). Dividing by requests served gives a cost per request that holds
 * even when other work on the machine steals time from the run.
 */
function cpuSeconds(child: ChildProcess, thread: 'all' | 'main' = 'all'): number {
  // The main thread's task has the process's id; its stat counts that thread alone.
  const path =
    thread === 'all' ? `/proc/${child.pid}/stat` : `/proc/${child.pid}/task/${child.pid}/stat`
  const stat = readFileSync(path, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  return ticks / CLOCK_TICKS
}

/** USER_HZ on Linux: /proc times are in hundredths of a second. */
const CLOCK_TICKS = 100

function measured(child: ChildProcess, run: () => WrkResult, seconds: number) {
  const before = cpuSeconds(child)
  const mainBefore = cpuSeconds(child, 'main')
  const result = run()
  const cpu = cpuSeconds(child) - before
  const mainCpu = cpuSeconds(child, 'main') - mainBefore
  const requests = Math.max(1, result.requestsPerSecond * seconds)
  return {
    ...result,
    cpuMicrosPerRequest: (cpu * 1e6) / requests,
    // The thread that answers; the rest is the click writer, GC helpers and libuv's pool.
    mainThreadMicrosPerRequest: (mainCpu * 1e6) / requests,
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null) return done()
    child.once('exit', () => done())
    child.kill('SIGTERM')
  })
}

type Measured = ReturnType<typeof measured>

function report({
  loadBefore,
  rounds,
  middle,
  paced,
  barePaced,
  pacedConnections,
}: {
  loadBefore: string
  rounds: { bare: Measured; click: Measured; ratio: number }[]
  middle: { bare: Measured; click: Measured; ratio: number }
  paced: Measured
  barePaced: Measured
  pacedConnections: number
}): void {
  console.log(`machine load average before the run: ${loadBefore}`)
  rounds.forEach(({ bare, click, ratio }, i) => {
    console.log(
      `round ${i + 1}: bare Hono 302 ${bare.requestsPerSecond.toFixed(0)} req/s ` +
        `(${bare.cpuMicrosPerRequest.toFixed(1)} µs CPU/req); clickgate ` +
        `${click.requestsPerSecond.toFixed(0)} req/s (non-3xx ${click.non2xx3xx}, ` +
        `${click.cpuMicrosPerRequest.toFixed(1)} µs CPU/req, main thread ` +
        `${click.mainThreadMicrosPerRequest.toFixed(1)} µs); ratio ${ratio.toFixed(2)}x`,
    )
  })
  const ratios = rounds.map((r) => r.ratio)
  const { ratio } = middle
  console.log(
    `ratio: median ${ratio.toFixed(2)}x the bare app's req/s over ${rounds.length} rounds ` +
      `(${Math.min(...ratios).toFixed(2)} to ${Math.max(...ratios).toFixed(2)}; goal >= 0.5x): ` +
      (ratio >= 0.5 ? 'met' : 'NOT met'),
  )
  console.log(
    `CPU per request at the same paced rate: bare ${barePaced.cpuMicrosPerRequest.toFixed(1)} µs, ` +
      `clickgate ${paced.cpuMicrosPerRequest.toFixed(1)} µs`,
  )
  console.log(
    `at half the median round's load (${paced.requestsPerSecond.toFixed(0)} req/s over ` +
      `${pacedConnections} paced connections): p50 ${paced.p50ms} ms, p99 ${paced.p99ms} ms ` +
      `(goal <= 5 ms): ${paced.p99ms <= 5 ? 'met' : 'NOT met'}`,
  )
  // The bare app under the same paced load shows how much of the tail the machine itself adds.
  console.log(`bare app at the same pace: p50 ${barePaced.p50ms} ms, p99 ${barePaced.p99ms} ms`)
}

async function main(): Promise<void> {
  // `wrk --version` exits 1 even when wrk is there; only a missing binary matters.
  if (spawnSync('wrk', ['--version']).error) {
    throw new Error('wrk is not installed: apt-get install wrk')
  }
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  const dir = mkdtempSync(join(tmpdir(), 'clickgate-bench-'))
  const [clickPort, barePort] = [await freePort(), await freePort()]
  const clickgate = startClickgate(clickPort, dir)
  const bare = spawn(process.execPath, [BARE, String(barePort)], { stdio: 'ignore' })

  try {
    const base = `http://127.0.0.1:${clickPort}`
    await waitFor(`${base}/healthz`)
    await waitFor(`http://127.0.0.1:${barePort}/`)
    const paths = await recipientLinks(base)
    await fetch(base + (paths[0] ?? ''), { redirect: 'manual' }) // the verdict is now cached

    // Both servers get the same requests from the same script, so the client costs the same.
    const script = wrkScript(dir, paths, null)
    const seconds = Number.parseFloat(DURATION)
    const bareUrl = `http://127.0.0.1:${barePort}/`
    wrk(bareUrl, CONNECTIONS, script) // warm-up
    let answered = 1 + wrk(base, CONNECTIONS, script).requests // the first click, and a warm-up

    // Throughput on this shared machine moves by a fifth from one window to the next, so the
    // two servers take turns, and the ratio is the median of the rounds' ratios.
    const rounds: { bare: Measured; click: Measured; ratio: number }[] = []
    for (let i = 0; i < ROUNDS; i++) {
      const bareRun = measured(bare, () => wrk(bareUrl, CONNECTIONS, script), seconds)
      const clickRun = measured(clickgate, () => wrk(base, CONNECTIONS, script), seconds)
      answered += clickRun.requests
      rounds.push({
        bare: bareRun,
        click: clickRun,
        ratio: clickRun.requestsPerSecond / bareRun.requestsPerSecond,
      })
    }
    const byRatio = [...rounds].sort((a, b) => a.ratio - b.ratio)
    const middle = byRatio[Math.floor(byRatio.length / 2)] ?? rounds[0]
    if (!middle) throw new Error('no rounds')

    const halfRate = middle.click.requestsPerSecond / 2
    const pacedConnections = Math.max(1, Math.round((halfRate * PACE_MS) / 1000))
    const pacedScript = wrkScript(dir, paths, PACE_MS)
    const paced = measured(clickgate, () => wrk(base, pacedConnections, pacedScript), seconds)
    answered += paced.requests
    // The bare app at the same pace: CPU per request compared without either side saturated.
    const barePaced = measured(bare, () => wrk(bareUrl, pacedConnections, pacedScript), seconds)

    report({ loadBefore, rounds, middle, paced, barePaced, pacedConnections })

    // Every answered click is stored once the server has shut down cleanly. wrk stops with
    // requests in flight, which the server answered and stored but wrk did not count.
    await stop(clickgate)
    const db = new Database(join(dir, 'bench.db'), { readonly: true })
    const stored = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM clicks').get()?.n ?? 0
    db.close()
    console.log(
      `clicks stored after a clean shutdown: ${stored} for ${answered} answers wrk counted ` +
        `(${stored >= answered ? 'none lost' : `${answered - stored} LOST`})`,
    )
  } finally {
    await Promise.all([stop(clickgate), stop(bare)])
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
