/**
 * Reads of the rules version (a number every rule change moves; see
 * migrations/0022) for the click path. With sharing, one read serves every
 * click handled in the same turn of the event loop: under load that is many
 * clicks, and the read was the costliest step of a cached click. The next
 * turn reads again, so a change by another process (the CLI, another node)
 * shows on the next click that starts after it; this process's own changes
 * (`changed`) drop the shared read at once.
 */

import type { SqlDatabase } from './sql.js'

const RULES_VERSION_QUERY = 'SELECT version FROM rules_version WHERE id = 1'

/**
 * Runs a task once the current turn of the event loop is over. Node's
 * `setImmediate` runs right after this turn's I/O callbacks; `setTimeout(0)`
 * waits at least a millisecond and can outlast several turns, so a click in a
 * later turn would still share a version read from before another process's
 * rule change. Runtimes without `setImmediate` fall back to the timer.
 */
const afterThisTurn: (task: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? (task) => void globalThis.setImmediate(task)
    : (task) => void setTimeout(task, 0)

/** A read of the rules version shared by one turn's clicks; `known` once it has answered. */
interface SharedRead {
  /** This process's rule changes when the read began: a later change of its own voids it. */
  changes: number
  version: Promise<number>
  known?: number
}

export class RulesVersionReads {
  /** This process's own rule changes, so a shared read is never reused past one. */
  private changes = 0
  private shared: SharedRead | null = null

  /**
   * `share`: only where a promise may outlive the request that made it: on
   * Node, not on Workers, whose I/O belongs to one request.
   */
  constructor(
    private readonly db: SqlDatabase,
    private readonly share: boolean,
  ) {}

  /** The version, from this turn's shared read when sharing. */
  read(): Promise<number> {
    return this.share ? this.sharedRead().version : this.readOnce()
  }

  /** The version when it is known without waiting; undefined without sharing. */
  now(): number | undefined {
    return this.share ? this.sharedRead().known : undefined
  }

  /** This process changed a rule: the next click reads the version again. */
  changed(): void {
    this.changes++
  }

  /** This turn's read, begun if there is none yet. */
  private sharedRead(): SharedRead {
    const shared = this.shared
    if (shared && shared.changes === this.changes) return shared

    const entry: SharedRead = { changes: this.changes, ...this.readAtOnce() }
    // Whoever asks for the version sees a failure; a read begun for `now` alone must not end
    // as an unhandled rejection.
    entry.version.then(
      (version) => (entry.known = version),
      () => {},
    )
    this.shared = entry
    afterThisTurn(() => {
      if (this.shared === entry) this.shared = null
    })
    return entry
  }

  /** At once where the database answers synchronously, otherwise as a promise. */
  private readAtOnce(): Pick<SharedRead, 'version' | 'known'> {
    const statement = this.db.prepare(RULES_VERSION_QUERY)
    if (!statement.firstNow) return { version: this.readOnce() }
    try {
      const known = statement.firstNow<{ version: number }>()?.version ?? 0
      return { version: Promise.resolve(known), known }
    } catch (err) {
      return { version: Promise.reject(err instanceof Error ? err : new Error(String(err))) }
    }
  }

  private async readOnce(): Promise<number> {
    const row = await this.db.prepare(RULES_VERSION_QUERY).first<{ version: number }>()
    return row?.version ?? 0
  }
}
