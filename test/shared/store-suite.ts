/**
 * The storage contract, written once. Each runtime's test file calls
 * `storeSuite` with a factory for a migrated, empty database.
 */

import { describe, expect, it } from 'vitest'

import type { SqlDatabase } from '../../src/core/sql.js'
import { SqlStore } from '../../src/core/sql-store.js'
import { ruleQueryFor } from '../../src/core/url.js'

const T0 = Date.parse('2026-12-03T12:00:00Z')

export function storeSuite(runtime: string, openDb: () => Promise<SqlDatabase>): void {
  async function store() {
    return new SqlStore(await openDb())
  }

  describe(`SqlStore on ${runtime}`, () => {
    it('registers each distinct URL once and returns stable ids', async () => {
      const s = await store()

      const first = await s.registerLinks(['https://a.example/', 'https://b.example/x'], T0)
      const again = await s.registerLinks(['https://b.example/x', 'https://a.example/'], T0 + 1)

      expect(first.size).toBe(2)
      expect(again.get('https://a.example/')).toBe(first.get('https://a.example/'))
      expect((await s.counts()).links).toBe(2)
      expect(await s.getLinkUrl(first.get('https://b.example/x') ?? -1)).toBe('https://b.example/x')
    })

    it('keeps long and non-ASCII URLs exactly', async () => {
      const s = await store()
      const long = 'https://long.example/?' + 'q'.repeat(7000)
      const unicode = 'https://bücher.example/straße?x=ü'

      const ids = await s.registerLinks([long, unicode], T0)

      expect(await s.getLinkUrl(ids.get(long) ?? -1)).toBe(long)
      expect(await s.getLinkUrl(ids.get(unicode) ?? -1)).toBe(unicode)
    })

    it('registers more URLs than fit one batch', async () => {
      const s = await store()
      const urls = Array.from({ length: 130 }, (_, i) => `https://n${i}.example/`)

      const ids = await s.registerLinks(urls, T0)

      expect(ids.size).toBe(130)
      expect(new Set(ids.values()).size).toBe(130)
    })

    it('gives one row per message key', async () => {
      const s = await store()

      const a = await s.registerMessage('key-a', T0)
      const b = await s.registerMessage('key-b', T0)

      expect(await s.registerMessage('key-a', T0 + 5)).toBe(a)
      expect(b).not.toBe(a)
      expect((await s.counts()).messages).toBe(2)
    })

    it("a later message with the same Message-ID cannot clear an earlier one's findings", async () => {
      const s = await store()
      const warn = (reason: string, source: string, checkedAt: number) => ({
        verdict: 'warn' as const,
        reason,
        source,
        checkedAt,
      })

      const id = await s.registerMessage('key-a', T0, [warn('dmarc_fail', 'auth', T0)])
      await s.registerMessage('key-a', T0 + 1, [
        warn('script_link_in_message', 'rewriter', T0 + 1),
        warn('dmarc_fail', 'auth', T0 + 1),
      ])
      await s.registerMessage('key-a', T0 + 2, [])

      expect(await s.getMessageFindings(id)).toEqual([
        warn('dmarc_fail', 'auth', T0),
        warn('script_link_in_message', 'rewriter', T0 + 1),
      ])
    })

    it('records the first authentication result of a message and reads it back', async () => {
      const s = await store()
      const auth = {
        source: 'relay' as const,
        authservId: 'mx.corp.example',
        fromDomains: ['shop.example'],
        dkim: [{ result: 'pass', domain: 'shop.example', selector: 's1' }],
        spf: null,
        dmarc: { result: 'pass', domain: 'shop.example', policy: null },
        arc: null,
        arcOverride: null,
        notes: [],
        checkedAt: T0,
      }

      const id = await s.registerMessage('key-a', T0, [], auth)
      await s.registerMessage('key-a', T0 + 1, [], { ...auth, authservId: 'other.example' })
      const bare = await s.registerMessage('key-b', T0)

      expect(await s.getMessageAuth(id)).toEqual(auth)
      expect(await s.getMessageAuth(bare)).toBeNull()
      expect(await s.getMessageAuth(999_999)).toBeNull()
    })

    it('answers null for an unknown link', async () => {
      expect(await (await store()).getLinkUrl(999_999)).toBeNull()
    })

    it('matches domain rules on subdomains, host rules exactly, prefixes and URLs', async () => {
      const s = await store()
      const rule = (id: string, type: 'domain' | 'host' | 'prefix' | 'url', value: string) =>
        s.addRule({ id, action: 'block', type, value, note: null, expiresAt: null }, T0)
      await rule('d', 'domain', 'evil.example')
      await rule('h', 'host', 'only.host.example')
      await rule('p', 'prefix', 'https://files.example/bad/')
      await rule('u', 'url', 'https://exact.example/x?y=1')

      const ids = async (target: string) =>
        (await s.matchRules(ruleQueryFor(target), T0)).map((r) => r.id).sort()

      expect(await ids('https://login.evil.example/a')).toEqual(['d'])
      expect(await ids('https://EVIL.example./a')).toEqual(['d'])
      expect(await ids('https://notevil.example/')).toEqual([])
      expect(await ids('https://only.host.example/')).toEqual(['h'])
      expect(await ids('https://sub.only.host.example/')).toEqual([])
      expect(await ids('https://files.example/bad/payload.exe')).toEqual(['p'])
      expect(await ids('https://files.example/good/')).toEqual([])
      expect(await ids('https://exact.example/x?y=1')).toEqual(['u'])
      expect(await ids('https://exact.example/x?y=2')).toEqual([])
    })

    it('ignores expired rules and removes rules', async () => {
      const s = await store()
      await s.addRule(
        {
          id: 'old',
          action: 'block',
          type: 'host',
          value: 'a.example',
          note: 'n',
          expiresAt: T0 + 10,
        },
        T0,
      )

      expect(await s.matchRules(ruleQueryFor('https://a.example/'), T0 + 9)).toHaveLength(1)
      expect(await s.matchRules(ruleQueryFor('https://a.example/'), T0 + 10)).toHaveLength(0)
      expect(await s.removeRule('old')).toBe(true)
      expect(await s.removeRule('old')).toBe(false)
      expect(await s.listRules()).toEqual([])
    })

    it('records, lists and prunes clicks', async () => {
      const s = await store()
      const ids = await s.registerLinks(['https://a.example/'], T0)
      const linkId = ids.get('https://a.example/') ?? -1
      const click = (at: number, recipientRef: string | null) => ({
        at,
        linkId,
        messageRef: null,
        recipientRef,
        keyId: 'k1',
        verdict: 'allow',
        reason: null,
        userAgent: 'test',
        ipHash: null,
        automated: false,
        evidence: null,
      })

      await s.recordClicks([click(T0, 'aaaaaaaaaaaa'), click(T0 + 1, 'bbbbbbbbbbbb')])

      const mine = await s.listClicks({ recipientRef: 'aaaaaaaaaaaa', limit: 10 })
      expect(mine).toHaveLength(1)
      expect(mine[0]).toMatchObject({ url: 'https://a.example/', verdict: 'allow' })
      expect(await s.pruneClicks(T0 + 1)).toBe(1)
      expect((await s.counts()).clicks).toBe(1)
    })

    it('prunes at most the given number of clicks, oldest first', async () => {
      const s = await store()
      const linkId = (await s.registerLinks(['https://a.example/'], T0)).get('https://a.example/')
      const click = (at: number) => ({
        at,
        linkId: linkId ?? -1,
        messageRef: null,
        recipientRef: null,
        keyId: 'k1',
        verdict: 'allow',
        reason: null,
        userAgent: null,
        ipHash: null,
        automated: false,
        evidence: null,
      })
      await s.recordClicks([T0 + 4, T0 + 1, T0 + 3, T0 + 2, T0 + 9].map(click))

      expect(await s.pruneClicks(T0 + 5, 3)).toBe(3)
      expect((await s.listClicks({ limit: 10 })).map((c) => c.at)).toEqual([T0 + 9, T0 + 4])
      expect(await s.pruneClicks(T0 + 5, 3)).toBe(1)
      expect(await s.pruneClicks(T0 + 5, 3)).toBe(0)
    })
  })
}
