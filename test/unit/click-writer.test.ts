/**
 * The click writer thread (src/node/click-writer.ts), as the server runs it:
 * the built worker, a real thread. A thread that has stopped must fail each
 * batch at once, so the recorder keeps the clicks and a shutdown can finish.
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { getPriority, tmpdir } from 'node:os'
import { join } from 'node:path'

import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'

import type { PendingClick } from '../../src/core/clicks/recorder.js'
// The thread runs the compiled worker next to the compiled writer (npm test builds first).
import { SEND_CHUNK, WRITER_NICE, startClickWriter } from '../../dist/src/node/click-writer.js'
import { migrate, openSqlite } from '../../dist/src/node/sqlite.js'
import { migrationsDir } from '../../dist/src/node/paths.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const CLICK: PendingClick = {
  at: 1_800_000_000_000,
  linkId: 1,
  messageRef: null,
  recipientRef: null,
  keyId: 'k1',
  verdict: 'allow',
  reason: null,
  userAgent: null,
  ip: '192.0.2.1',
  automated: false,
  evidence: null,
  method: 'GET',
}

/** Settles as `promise` does, or rejects after `ms`: a hang is a failure, not a stuck test. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms).unref(),
    ),
  ])
}

/** The nice values of this process's threads (field 19 of /proc/PID/task/TID/stat). */
function threadNiceValues(): number[] {
  return readdirSync(`/proc/${process.pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
  })
}

/** A database file in a fresh directory, with every migration applied. */
function migratedDatabase(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clickgate-writer-'))
  dirs.push(dir)
  const dbPath = join(dir, 'clicks.db')
  const setup = openSqlite(dbPath)
  migrate(setup, migrationsDir())
  setup.close()
  return dbPath
}

describe('the click writer thread', () => {
  // Where the process already runs at the writer's nice value or above, there is nothing to lower.
  it.runIf(process.platform === 'linux' && getPriority() < WRITER_NICE)(
    'runs at a lower priority than the thread that answers clicks',
    async () => {
      const dbPath = migratedDatabase()
      const before = threadNiceValues().filter((nice) => nice === WRITER_NICE).length
      const writer = startClickWriter({
        dbPath,
        hashSecret: new Uint8Array(32),
        writeLog: () => {},
      })

      // A written batch means the thread has started, and set its priority first.
      await within(writer.writeBatch([CLICK]), 5000)
      const during = threadNiceValues().filter((nice) => nice === WRITER_NICE).length
      await within(writer.close(), 2000)

      expect(during).toBe(before + 1)
    },
  )

  it('writes and logs once each click of a batch sent in pieces, in order', async () => {
    const dbPath = migratedDatabase()
    const logged: string[] = []
    const writer = startClickWriter({
      dbPath,
      hashSecret: new Uint8Array(32),
      writeLog: (lines) => logged.push(...lines.split('\n')),
    })

    // Two full pieces and part of a third, each click told apart by its recipient.
    const count = SEND_CHUNK * 2 + 7
    const batch = Array.from({ length: count }, (_, i) => ({ ...CLICK, recipientRef: `r${i}` }))
    const outcome = await within(writer.writeBatch(batch), 10_000)
    await within(writer.close(), 2000)

    expect(outcome.stored).toBe(count)
    const db = new Database(dbPath, { readonly: true })
    const rows = db.prepare('SELECT recipient_ref AS r FROM clicks ORDER BY id').all() as {
      r: string
    }[]
    db.close()
    expect(rows.map((row) => row.r)).toEqual(batch.map((click) => click.recipientRef))
    const recipients = logged.map(
      (line) => (JSON.parse(line) as { recipientRef: string }).recipientRef,
    )
    expect(recipients).toEqual(batch.map((click) => click.recipientRef))
  })

  it('fails every batch at once after the thread has stopped, and still closes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clickgate-writer-'))
    dirs.push(dir)
    // A directory where the database should be: the thread cannot open it, and stops as it starts.
    const writer = startClickWriter({
      dbPath: dir,
      hashSecret: new Uint8Array(32),
      writeLog: () => {},
    })

    await expect(within(writer.writeBatch([CLICK]), 5000)).rejects.toThrow()
    // Sent once the thread is gone (its exit follows the error): no thread will ever answer it.
    await new Promise((done) => setTimeout(done, 300))
    await expect(within(writer.writeBatch([CLICK]), 2000)).rejects.toThrow()
    await within(writer.close(), 2000)
  })
})
