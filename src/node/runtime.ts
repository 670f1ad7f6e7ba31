/** Builds the services and runtime hooks for Node: SQLite storage, stdout logs, setImmediate. */

import { getConnInfo } from '@hono/node-server/conninfo'

import type { Logger } from '../core/log.js'
import { type Services, createServices } from '../core/services.js'
import { SqlStore } from '../core/sql-store.js'
import type { RuntimeHooks } from '../http/env.js'
import { type ClickWriter, WRITER_BATCH_SIZE, startClickWriter } from './click-writer.js'
import { zoneResolver } from './dns-zone.js'
import { createNodeMailAuth } from './mail-auth.js'
import { migrationsDir } from './paths.js'
import { type NodeSandbox, type NodeSandboxOptions, createNodeSandbox } from './sandbox/wiring.js'
import type { NodeSettings } from './settings.js'
import { type SqliteDatabase, migrate, openSqlite } from './sqlite.js'

export interface NodeRuntime {
  services: Services
  db: SqliteDatabase
  /** The thread that writes clicks; null for an in-memory database, which one thread owns. */
  clickWriter: ClickWriter | null
  /** Set when CLICKGATE_SANDBOX=on; not started until `startSandbox`. */
  sandbox: NodeSandbox | null
}

export interface ClickThreadOptions {
  clickThread?: boolean
  /** Takes the writer thread's `click` log lines (JSON, one per line). */
  writeClickLog?: (lines: string) => void
}

export function openRuntime(
  settings: NodeSettings,
  sandboxOptions: NodeSandboxOptions = {},
  /**
   * The server writes clicks on a thread of its own, whose `click` log lines go to
   * `writeClickLog`; CLI commands have no clicks to write.
   */
  { clickThread = false, writeClickLog = () => {} }: ClickThreadOptions = {},
): NodeRuntime {
  const db = openSqlite(settings.dbPath)
  migrate(db, migrationsDir())
  const store = new SqlStore(db, { shareRulesVersionReads: true })

  const sandbox = settings.config.sandbox.enabled
    ? createNodeSandbox(settings.config.sandbox, store.scans, {
        ...(settings.sandboxTestAllowance ? { testAllowance: settings.sandboxTestAllowance } : {}),
        ...sandboxOptions,
      })
    : null
  const extras = sandbox ? { scanQueue: sandbox.queue } : {}
  const { seal, sign, testZone, timeoutMs } = settings.mailAuth
  const mailAuth = createNodeMailAuth({
    authservId: settings.config.auth.authservId,
    seal,
    sign,
    resolver: testZone ? zoneResolver(testZone) : undefined,
    timeoutMs,
  })
  const clickWriter =
    clickThread && settings.dbPath !== ':memory:'
      ? startClickWriter({
          dbPath: settings.dbPath,
          hashSecret: settings.config.hashSecret,
          writeLog: writeClickLog,
        })
      : null
  const options = {
    ...extras,
    mailAuth,
    cacheLinkTargets: true,
    ...(clickWriter
      ? { clickBatches: clickWriter.writeBatch, clickBatchSize: WRITER_BATCH_SIZE }
      : {}),
  }
  return { services: createServices(settings.config, store, options), db, sandbox, clickWriter }
}

/** Starts working scan jobs, with the gate the services built from their signals. */
export function startSandbox(runtime: NodeRuntime): void {
  const gate = runtime.services.scanGate
  if (runtime.sandbox && gate) runtime.sandbox.start(gate)
}

export function nodeHooks(logger: Logger): RuntimeHooks {
  return {
    logger,
    defer(_c, task) {
      // After the response is written: the redirect never waits for the click insert.
      setImmediate(() => {
        task().catch((err: unknown) => {
          logger('error', 'deferred.failed', {
            error: err instanceof Error ? err.message : 'unknown',
          })
        })
      })
    },
    // A full batch for the writer thread (one transaction) starts a flush before the timer.
    clickFlushThreshold: WRITER_BATCH_SIZE,
    clientIp(c) {
      try {
        return getConnInfo(c).remote.address ?? null
      } catch {
        // app.request() in tests has no socket behind it.
        return null
      }
    },
  }
}
