/**
 * The feed and threat-list storage contract, written once and run on every
 * runtime's database (better-sqlite3 on Node, D1 in workerd): the SQL must
 * mean the same on both.
 */

import { describe, expect, it } from 'vitest'

import type { FeedEntry } from '../../src/core/feeds/feed-store.js'
import { PrefixSet } from '../../src/core/providers/prefix-set.js'
import type { SqlDatabase } from '../../src/core/sql.js'
import { SqlStore } from '../../src/core/sql-store.js'

const T0 = Date.parse('2026-12-03T12:00:00Z')

function entry(hash: number, value: string, kind: FeedEntry['kind'] = 'url'): FeedEntry {
  return { hash, kind, value, info: `info ${hash}` }
}

export function feedStoreSuite(runtime: string, openDb: () => Promise<SqlDatabase>): void {
  async function store() {
    return new SqlStore(await openDb())
  }

  describe(`feed storage on ${runtime}`, () => {
    it('publishes staged entries at once, in hash order, ignoring duplicates', async () => {
      const { feeds } = await store()
      const big = 2 ** 52 + 12345

      await feeds.stageEntries('urlhaus', [entry(big, 'b.example/'), entry(7, 'a.example/')])
      await feeds.stageEntries('urlhaus', [entry(7, 'a.example/'), entry(3, 'h.example', 'host')])
      const before = await feeds.count('urlhaus')
      await feeds.commitStaged('urlhaus')

      expect(before).toBe(0)
      expect(await feeds.count('urlhaus')).toBe(3)
      expect(await feeds.hashPage('urlhaus', -1, 10)).toEqual([3, 7, big])
      expect(await feeds.hashPage('urlhaus', 3, 1)).toEqual([7])
      expect(await feeds.findEntries('urlhaus', [big, 99])).toEqual([entry(big, 'b.example/')])
      expect(await feeds.count('openphish')).toBe(0)
    })

    it('deletes by hash and forgets what a failed sync staged', async () => {
      const { feeds } = await store()
      await feeds.stageEntries('openphish', [entry(1, 'x/'), entry(2, 'y/'), entry(3, 'z/')])
      await feeds.commitStaged('openphish')
      await feeds.stageEntries('openphish', [entry(4, 'w/')])

      await feeds.deleteEntries('openphish', [1, 3])
      await feeds.clearStaged('openphish')
      await feeds.commitStaged('openphish')

      expect(await feeds.hashPage('openphish', -1, 10)).toEqual([2])
    })

    it('lets one sync at a time hold a feed', async () => {
      const { feeds } = await store()

      const first = await feeds.acquireLease('phishtank', T0, T0 + 60_000)
      const second = await feeds.acquireLease('phishtank', T0 + 1, T0 + 60_000)
      const expired = await feeds.acquireLease('phishtank', T0 + 60_001, T0 + 120_000)
      await feeds.releaseLease('phishtank')
      const released = await feeds.acquireLease('phishtank', T0 + 60_002, T0 + 120_000)

      expect([first, second, expired, released]).toEqual([true, false, true, true])
    })

    it('records successes and failures, bumping the version only on change', async () => {
      const { feeds } = await store()

      await feeds.recordFailure('urlhaus', T0, 'http_503', null)
      await feeds.recordSuccess('urlhaus', { at: T0 + 1, entries: 10, changed: true })
      await feeds.recordSuccess('urlhaus', { at: T0 + 2, entries: 10, changed: false })
      await feeds.recordFailure('urlhaus', T0 + 3, 'empty_feed', T0 + 100)

      expect(await feeds.state('urlhaus')).toEqual({
        feed: 'urlhaus',
        syncedAt: T0 + 2,
        attemptedAt: T0 + 3,
        version: 1,
        entries: 10,
        lastError: 'empty_feed',
        failures: 1,
        notBefore: T0 + 100,
      })
      expect((await feeds.states()).map((s) => s.feed)).toEqual(['urlhaus'])
    })

    it('stores a threat list in chunks and reads it back exactly', async () => {
      const { threatLists } = await store()
      const fours = new Uint8Array(4 * 60_000).map((_, i) => (i * 7919) % 251)
      const set = PrefixSet.empty.apply(
        [],
        [
          { size: 4, data: fours },
          { size: 8, data: new Uint8Array([9, 9, 9, 9, 1, 2, 3, 4]) },
        ],
      )
      const record = {
        list: 'MALWARE/ANY_PLATFORM/URL',
        clientState: 'state-1',
        checksum: 'c2hh',
        prefixes: set.count,
        updatedAt: T0,
      }

      await threatLists.save(record, set)
      const loaded = await threatLists.load(record.list)
      await threatLists.clear(record.list)

      expect(loaded?.record).toEqual(record)
      expect(sameBytes(loaded?.set.concatenated(), set.concatenated())).toBe(true)
      expect(loaded?.set.count).toBe(60_001)
      expect(await threatLists.load(record.list)).toBeNull()
    })
  })
}

/** Element by element: deep equality on a 240 KB array is needlessly slow. */
function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((byte, i) => byte === b[i])
}
