import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

import { URLSCAN_FAKE_KEY, startUrlscanFake } from './test/support/urlscan-fake.js'
import { WORKER_TEST_VARS } from './test/workers/vars.js'

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/unit/**/*.test.{ts,tsx}', 'test/e2e/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        // Inside workerd, with the real local D1, Queues and Rate Limiting of wrangler.toml.
        plugins: [
          cloudflareTest(async () => ({
            main: './src/worker.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                ...WORKER_TEST_VARS,
                TEST_MIGRATIONS: await readD1Migrations('migrations'),
              },
              // Small enough to reach in a test; wrangler.toml's own limit is 600 a minute.
              ratelimits: { REWRITE_LIMITER: { simple: { limit: 2, period: 60 } } },
              // Deliver queued jobs at once instead of after wrangler.toml's 5 s batch window.
              queueConsumers: { 'clickgate-jobs': { maxBatchTimeout: 0, maxRetries: 3 } },
            },
          })),
        ],
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts'],
          globalSetup: ['test/workers/node-fixture.ts'],

          // One D1 database serves every file; files take turns so each test can reset it.
          fileParallelism: false,
          // The Worker logs JSON lines to the console; show them only for failing tests.
          silent: 'passed-only',
          testTimeout: 20_000,
        },
      },
      {
        // The Worker with the sandbox on: scans are queue jobs sent to a urlscan.io fake on loopback.
        plugins: [
          cloudflareTest(async () => ({
            main: './src/worker.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                ...WORKER_TEST_VARS,
                TEST_MIGRATIONS: await readD1Migrations('migrations'),
                CLICKGATE_SANDBOX: 'on',
                CLICKGATE_SANDBOX_CLICK_WAIT_MS: '0',
                CLICKGATE_URLSCAN_API_KEY: URLSCAN_FAKE_KEY,
                CLICKGATE_URLSCAN_API_URL: (await startUrlscanFake()).origin,
                CLICKGATE_EXTERNAL_SCAN_FIRST_POLL_MS: '0',
                CLICKGATE_EXTERNAL_SCAN_POLL_MS: '50',
              },
              queueConsumers: { 'clickgate-jobs': { maxBatchTimeout: 0, maxRetries: 3 } },
            },
          })),
        ],
        test: {
          name: 'workers-sandbox',
          include: ['test/workers-sandbox/**/*.test.ts'],
          fileParallelism: false,
          silent: 'passed-only',
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'corpus',
          include: ['test/corpus/**/*.test.ts'],
          testTimeout: 600_000,
        },
      },
    ],
  },
})
