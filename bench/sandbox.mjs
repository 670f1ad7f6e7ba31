/**
 * Sandbox benchmark: scans per second through the real pipeline (SQLite job
 * table, worker, safe fetcher, page scanner) against a local target that
 * answers after 50 ms, and memory per concurrent scan with scans held open
 * mid-body. Run with `npm run bench:sandbox`; every loop is bounded.
 */

import { fork } from 'node:child_process'

import { createPageScanner } from '../dist/src/core/sandbox/page-scanner.js'
import { scanGate } from '../dist/src/core/sandbox/job.js'
import { SqlStore } from '../dist/src/core/sql-store.js'
import { migrationsDir } from '../dist/src/node/paths.js'
import { createTestAllowance } from '../dist/src/node/sandbox/connector.js'
import { SafeFetcher } from '../dist/src/node/sandbox/safe-fetch.js'
import { ScanWorker } from '../dist/src/node/sandbox/worker.js'
import { migrate, openSqlite } from '../dist/src/node/sqlite.js'

const ADDRESS = '127.0.0.2'
const LATENCY_MS = 50

// The target runs in its own process, so the figures are the scanner's, not the target's.
const target = fork(new URL('./target-server.mjs', import.meta.url), [ADDRESS])
let heldCount = 0
const port = await new Promise((resolve) => {
  target.on('message', (message) => {
    if (message.port) resolve(message.port)
    if (message.held) heldCount++
  })
})

const fetcher = new SafeFetcher({
  resolve: async () => [ADDRESS],
  testAllowance: createTestAllowance([`${ADDRESS}:${port}`]),
})
const scanner = createPageScanner({ fetcher, timeoutMs: 30_000 })

async function throughput(concurrency, jobs) {
  const db = openSqlite(':memory:')
  migrate(db, migrationsDir())
  const store = new SqlStore(db)
  const urls = Array.from(
    { length: jobs },
    (_, i) => `http://t${i}.bench.test:${port}/c${concurrency}`,
  )
  await store.scans.enqueue(urls, Date.now())

  let done = 0
  let finish
  const finished = new Promise((resolve) => (finish = resolve))
  const worker = new ScanWorker({
    scans: store.scans,
    job: {
      scanners: [scanner],
      gate: scanGate({ signals: () => [] }),
      maxAttempts: 1,
      ttlMs: 3_600_000,
    },
    concurrency,
    leaseMs: 60_000,
    onOutcome: () => {
      if (++done === jobs) finish()
    },
  })
  const started = performance.now()
  const cpu = process.cpuUsage()
  worker.start()
  await finished
  const seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  await worker.stop()
  const counts = await store.scans.counts()
  db.close()
  if (counts.done !== jobs) throw new Error(`only ${counts.done} of ${jobs} done`)
  // CPU per scan does not depend on how busy the machine is; scans per second does.
  return { rate: jobs / seconds, cpuMsPerScan: (used.user + used.system) / 1000 / jobs }
}

/** Memory with `count` scans held open mid-body, after a full GC; releases them after. */
async function memoryWithHeld(count, offset) {
  const controller = new AbortController()
  const start = heldCount
  const scans = Array.from({ length: count }, (_, i) =>
    scanner.scan(`http://m${offset + i}.bench.test:${port}/held`, controller.signal),
  )
  const deadline = Date.now() + 30_000
  while (heldCount - start < count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10))
  }
  await new Promise((r) => setTimeout(r, 200))
  global.gc?.()
  const usage = process.memoryUsage()
  target.send('release')
  const reports = await Promise.all(scans)
  heldCount = 0
  if (!reports.every((r) => r.findings.some((f) => f.reason === 'brand_impersonation'))) {
    throw new Error(`held scans did not finish as expected: ${JSON.stringify(reports[0])}`)
  }
  return usage
}

/**
 * Memory per concurrent scan as the slope between 50 and 250 scans in flight,
 * so that what the process holds anyway (code, pools, caches) cancels out.
 */
async function memoryPerScan() {
  await memoryWithHeld(50, 0) // warm-up: code paths and pools exist before measuring
  const low = await memoryWithHeld(50, 1_000)
  const high = await memoryWithHeld(250, 2_000)
  const slope = (key) => (high[key] - low[key]) / 200 / 1024
  return {
    heapKiB: slope('heapUsed'),
    externalKiB: slope('external') + slope('arrayBuffers'),
  }
}

try {
  const results = []
  for (const concurrency of [1, 8, 32, 64]) {
    const jobs = Math.min(40 * concurrency, 1_200)
    await throughput(concurrency, Math.min(jobs, 50)) // warm-up
    const { rate, cpuMsPerScan } = await throughput(concurrency, jobs)
    results.push({
      concurrency,
      jobs,
      scansPerSecond: Math.round(rate * 10) / 10,
      cpuMsPerScan: Math.round(cpuMsPerScan * 100) / 100,
    })
    console.log(
      `concurrency ${concurrency}: ${rate.toFixed(1)} scans/s over ${jobs} scans, ` +
        `${cpuMsPerScan.toFixed(2)} ms CPU per scan (target latency ${LATENCY_MS} ms)`,
    )
  }

  const memory = await memoryPerScan()
  console.log(
    `memory per concurrent scan (50 vs 250 held mid-body): heap ${memory.heapKiB.toFixed(1)} KiB, ` +
      `buffers ${memory.externalKiB.toFixed(1)} KiB` +
      (global.gc ? '' : ' (run with --expose-gc for steadier figures)'),
  )
  const load = (await import('node:os')).loadavg()[0].toFixed(1)
  console.log(
    `load average during the run: ${load} on ${(await import('node:os')).cpus().length} cores`,
  )
  console.log(JSON.stringify({ throughput: results, memoryPerConcurrentScanKiB: memory }))
} finally {
  await fetcher.close()
  target.send('stop')
}
