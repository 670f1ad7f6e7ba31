/**
 * `npm run bench:feeds`: the reputation feed figures the issue names.
 *
 * 1. Writes a synthetic URLhaus CSV dump of 1,000,000 URLs and a hostfile of
 *    200,000 domains to a temporary folder, and serves them from a child
 *    process on 127.0.0.1 (so the server's work does not count against us).
 * 2. Imports both through the real sync path (fetch, stream parsing,
 *    canonicalisation, SQLite through the D1-shaped adapter, index build) into
 *    a file database, timing it and sampling resident memory.
 * 3. Times in-process lookups (canonicalise, hash, binary search) one by one
 *    and reports the median, and the full signal for a hit and a miss.
 *
 * Goals: import <= 60 s, lookup median <= 20 µs, RSS growth <= 64 MB.
 */

import { spawn } from 'node:child_process'
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

import { lookupKeys } from '../src/core/feeds/keys.js'
import { providersFromEnv } from '../src/core/providers/config.js'
import { ProviderSet } from '../src/core/providers/provider-set.js'
import { SqlStore } from '../src/core/sql-store.js'
import { syncInWorker } from '../src/node/feed-sync.js'
import { migrationsDir } from '../src/node/paths.js'
import { migrate, openSqlite } from '../src/node/sqlite.js'

const URLS = Number(process.env.BENCH_URLS ?? 1_000_000)
const DOMAINS = Number(process.env.BENCH_DOMAINS ?? 200_000)
const LOOKUPS = 200_000
const GOALS = { importSeconds: 60, lookupMedianMicros: 20, rssGrowthMb: 64 }

/** A small deterministic generator, so every run imports the same feed. */
function random(seed: number) {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 2246822507) + 0x6d2b79f5) >>> 0
    return state / 4294967296
  }
}

const WORDS = [
  'login',
  'secure',
  'update',
  'account',
  'verify',
  'office',
  'bins',
  'files',
  'cdn',
  'mail',
]
const TLDS = ['com', 'net', 'org', 'ru', 'cn', 'top', 'xyz', 'info', 'co.uk', 'com.br']

function hostFor(i: number, next: () => number): string {
  const word = WORDS[Math.floor(next() * WORDS.length)] ?? 'x'
  const tld = TLDS[Math.floor(next() * TLDS.length)] ?? 'com'
  if (i % 7 === 0)
    return `${Math.floor(next() * 223) + 1}.${i % 256}.${(i >> 8) % 256}.${(i >> 16) % 256}`
  return `${word}-${i.toString(36)}.${tld}`
}

/** URL number `i`, the same every time it is asked for. */
function urlFor(i: number): string {
  const next = random(Math.imul(i + 1, 2654435761))
  const host = hostFor(i, next)
  const port = i % 5 === 0 ? `:${8000 + (i % 1000)}` : ''
  const word = WORDS[Math.floor(next() * WORDS.length)] ?? 'x'
  return `http://${host}${port}/${word}/${i}/payload.${i % 2 ? 'exe' : 'sh'}?id=${i}`
}

async function writeFeeds(dir: string): Promise<void> {
  const csv = createWriteStream(join(dir, 'csv_recent.csv'))
  csv.write('# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n')
  for (let i = 0; i < URLS; i++) {
    const line = `"${i}","2026-12-03 10:00:00","${urlFor(i)}","online","2026-12-03 11:00:00","malware_download","elf,mozi","https://urlhaus.abuse.ch/url/${i}/","bench"\n`
    if (!csv.write(line)) await once(csv, 'drain')
  }
  csv.end()
  await once(csv, 'finish')

  const hosts = createWriteStream(join(dir, 'hostfile.txt'))
  hosts.write('# URLhaus hostfile (synthetic)\n127.0.0.1\tlocalhost\n')
  for (let i = 0; i < DOMAINS; i++) {
    if (!hosts.write(`127.0.0.1\tdomain-${i.toString(36)}.bad-${i % 97}.example\n`)) {
      await once(hosts, 'drain')
    }
  }
  hosts.end()
  await once(hosts, 'finish')
}

/**
 * Child mode: write the feeds, serve them on loopback and print the port.
 * Generating here keeps the measured process's heap untouched before its baseline.
 */
async function serve(dir: string): Promise<void> {
  const written = Date.now()
  await writeFeeds(dir)
  const csvMb = statSync(join(dir, 'csv_recent.csv')).size / 1_048_576
  process.stderr.write(
    `wrote ${URLS} URLs (${csvMb.toFixed(0)} MB) and ${DOMAINS} domains in ${((Date.now() - written) / 1000).toFixed(1)} s\n`,
  )

  const server = createServer((req, res) => {
    const file = req.url === '/hostfile/' ? 'hostfile.txt' : 'csv_recent.csv'
    const path = join(dir, file)
    res.writeHead(200, { 'Content-Length': String(statSync(path).size) })
    createReadStream(path).pipe(res)
  })
  server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`)
  })
}

function rssMb(): number {
  return process.memoryUsage.rss() / 1_048_576
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc // present with --expose-gc
  gc?.()
  gc?.()
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0
}

async function startChild(dir: string) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer]
  return { child, url: `http://127.0.0.1:${chunk.toString().trim()}` }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'clickgate-bench-feeds-'))
  try {
    const { child, url } = await startChild(dir)
    try {
      await run(dir, url)
    } finally {
      child.kill()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function run(dir: string, url: string): Promise<void> {
  const db = openSqlite(join(dir, 'bench.db'))
  migrate(db, migrationsDir())
  const store = new SqlStore(db)
  const env = {
    CLICKGATE_PROVIDERS: 'urlhaus',
    CLICKGATE_PROVIDER_USE: 'noncommercial',
    CLICKGATE_URLHAUS_URL: `${url}/csv_recent/`,
    CLICKGATE_URLHAUS_HOSTFILE_URL: `${url}/hostfile/`,
  }
  const config = providersFromEnv(env)
  const providers = new ProviderSet(config, {
    feeds: store.feeds,
    threatLists: store.threatLists,
    now: () => Date.now(),
  })

  collect()
  const baseline = rssMb()
  const before = process.memoryUsage()
  process.stderr.write(
    `before import: heap ${(before.heapUsed / 1_048_576).toFixed(1)} MB used of ${(before.heapTotal / 1_048_576).toFixed(1)}\n`,
  )
  let peak = baseline
  let peakParts = ''
  const sampler = setInterval(() => {
    const rss = rssMb()
    if (rss > peak) {
      peak = rss
      const u = process.memoryUsage()
      peakParts = `heap ${(u.heapTotal / 1_048_576).toFixed(1)} (used ${(u.heapUsed / 1_048_576).toFixed(1)}), external ${(u.external / 1_048_576).toFixed(1)}, buffers ${(u.arrayBuffers / 1_048_576).toFixed(1)} MB`
    }
  }, 25)

  // The path `clickgate feeds sync` and the server's schedule take: a worker thread.
  const started = process.hrtime.bigint()
  const cpu = process.cpuUsage()
  const dbPath = join(dir, 'bench.db')
  const { summary, index } = await syncInWorker({ dbPath, env, name: 'urlhaus' })
  const importSeconds = Number(process.hrtime.bigint() - started) / 1e9
  const used = process.cpuUsage(cpu)
  const importCpuSeconds = (used.user + used.system) / 1e6
  if (index) providers.feeds.adoptIndex('urlhaus', index.version, index.values)
  clearInterval(sampler)
  peak = Math.max(peak, rssMb())
  process.stderr.write(`at peak RSS ${peak.toFixed(1)} MB: ${peakParts}\n`)
  collect()
  const settled = rssMb()
  const usage = process.memoryUsage()
  process.stderr.write(
    `after import: heap ${(usage.heapUsed / 1_048_576).toFixed(1)} MB used of ${(usage.heapTotal / 1_048_576).toFixed(1)}, ` +
      `external ${(usage.external / 1_048_576).toFixed(1)} MB, array buffers ${(usage.arrayBuffers / 1_048_576).toFixed(1)} MB\n`,
  )

  const version = (await store.feeds.state('urlhaus'))?.version ?? 0
  const lookup = measureLookups(providers, version)
  const signal = await measureSignal(providers)
  db.close()

  const figures = {
    urls: URLS,
    domains: DOMAINS,
    entries: summary.entries,
    importSeconds: round(importSeconds, 1),
    importCpuSeconds: round(importCpuSeconds, 1),
    entriesPerSecond: Math.round(summary.entries / importSeconds),
    lookupMedianMicros: round(lookup.median, 2),
    lookupP99Micros: round(lookup.p99, 2),
    signalMissMedianMicros: round(signal.miss, 1),
    signalHitMedianMicros: round(signal.hit, 1),
    rssBaselineMb: round(baseline, 1),
    rssGrowthSettledMb: round(settled - baseline, 1),
    rssGrowthPeakMb: round(peak - baseline, 1),
  }
  const met = {
    import: figures.importSeconds <= GOALS.importSeconds,
    lookup: figures.lookupMedianMicros <= GOALS.lookupMedianMicros,
    memory: figures.rssGrowthPeakMb <= GOALS.rssGrowthMb,
  }
  process.stdout.write(JSON.stringify({ figures, goals: GOALS, met }, null, 2) + '\n')
  if (!met.import || !met.lookup || !met.memory) process.exitCode = 1
}

/** The in-process part of a click's feed check, timed one lookup at a time. */
function measureLookups(providers: ProviderSet, version: number) {
  const next = random(7)
  const targets: string[] = []
  for (let i = 0; i < LOOKUPS; i++) {
    const pick = Math.floor(next() * URLS)
    const kind = i % 4
    if (kind === 0 || kind === 1) targets.push(urlFor(pick).replace('http://', 'HTTP://'))
    else if (kind === 2)
      targets.push(`https://www.domain-${pick.toString(36)}.bad-${pick % 97}.example/login`)
    else targets.push(`https://unlisted-${i}.example.org/account/verify?session=${i}`)
  }

  const timings: number[] = []
  let hits = 0
  for (const target of targets) {
    const start = process.hrtime.bigint()
    const keys = lookupKeys(target)
    const found = keys ? providers.feeds.candidates('urlhaus', keys, version) : null
    timings.push(Number(process.hrtime.bigint() - start) / 1000)
    if (found && found.length > 0) hits++
  }
  process.stderr.write(`lookups: ${hits} of ${LOOKUPS} hit the index\n`)
  return { median: median(timings), p99: percentile(timings, 0.99) }
}

/** The whole signal (state check, index, SQL confirmation of a hit), for a miss and a hit. */
async function measureSignal(providers: ProviderSet) {
  const signal = providers.signals[0]
  if (!signal) throw new Error('no urlhaus signal')
  const time = async (target: string) => {
    const timings: number[] = []
    for (let i = 0; i < 20_000; i++) {
      const start = process.hrtime.bigint()
      await signal.evaluate({ target, linkId: 1, messageRef: null, now: Date.now() })
      timings.push(Number(process.hrtime.bigint() - start) / 1000)
    }
    return median(timings)
  }
  return { miss: await time('https://clean.example.org/a/b'), hit: await time(urlFor(12345)) }
}

function round(value: number, digits: number): number {
  return Math.round(value * 10 ** digits) / 10 ** digits
}

if (process.argv[2] === '--serve') void serve(process.argv[3] ?? '.')
else {
  main().catch((err: unknown) => {
    process.stderr.write(`bench:feeds failed: ${err instanceof Error ? err.stack : String(err)}\n`)
    process.exitCode = 1
  })
}
