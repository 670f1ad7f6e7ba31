import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { binaryToBytes, bytesToBinary } from '../../src/core/bytes.js'
import { parseMime, serializeMime, type ParsedMime } from '../../src/core/rewrite/mime.js'
import { QP_MAX_LINE, reencodeQuotedPrintable } from '../../src/core/rewrite/qp.js'

// The shared corpus sits beside the checkout (see ../shared/corpus/README.md);
// it is read at test time only and never copied into the repository.
const CORPUS = join(import.meta.dirname, '../../../shared/corpus/eml')
const files = existsSync(CORPUS) ? readdirSync(CORPUS).filter((f) => f.endsWith('.eml')) : []

const SAFE_LINK = 'https://go.safelink.example/r/AbC?s=2a9f&x=gl'
const URL_PATTERN = /https?:\/\/[^\s"'<>]+/g

/** Files carrying each flag, for the summary printed at the end. */
const flagFiles = new Map<string, Set<string>>()

function recordFlag(reason: string, file: string): void {
  const set = flagFiles.get(reason) ?? new Set<string>()
  set.add(file)
  flagFiles.set(reason, set)
}

function bodyOf(message: ParsedMime, path: string): string {
  const slot = message.slots.get(path)
  if (!slot) throw new Error(`no slot for ${path}`)
  return message.source.slice(slot.bodyStart, slot.bodyEnd)
}

describe.skipIf(files.length === 0)('MIME round trip over the shared corpus', () => {
  afterAll(() => {
    const rows = [...flagFiles].sort(([a], [b]) => a.localeCompare(b))
    const summary = rows.map(([reason, set]) => `  ${reason}: ${set.size} files`).join('\n')
    console.log(`MIME flags over ${files.length} corpus files:\n${summary}`)
  })

  it.each(files)('%s', (file) => {
    const bytes = new Uint8Array(readFileSync(join(CORPUS, file)))
    const input = bytesToBinary(bytes)

    const message = parseMime(bytes)
    for (const { reason } of message.flags) recordFlag(reason, file)

    // Nothing to rewrite: byte for byte.
    expect(bytesToBinary(serializeMime(message, new Map()).bytes) === input).toBe(true)

    // Every leaf "replaced" by its own decoded text: still byte for byte.
    const same = new Map(message.leaves.map((leaf) => [leaf.path, leaf.decoded]))
    expect(bytesToBinary(serializeMime(message, same).bytes) === input).toBe(true)

    // The QP line-identity rule reproduces every QP body from its own text.
    for (const leaf of message.leaves) {
      if (leaf.transferEncoding !== 'quoted-printable') continue
      const slot = message.slots.get(leaf.path)
      const body = bodyOf(message, leaf.path)
      expect(slot && reencodeQuotedPrintable(body, leaf.decoded, slot.lineEnding) === body).toBe(
        true,
      )
    }

    // Rewrite every link in every leaf; the result parses back to the edits.
    const edited = new Map(
      message.leaves.map((leaf) => [leaf.path, leaf.decoded.replace(URL_PATTERN, SAFE_LINK)]),
    )
    const output = serializeMime(message, edited)
    for (const { reason } of output.flags) recordFlag(`${reason} (after rewriting)`, file)
    const reparsed = parseMime(output.bytes)

    expect(reparsed.leaves.map((leaf) => leaf.path)).toEqual(message.leaves.map((l) => l.path))
    for (const leaf of reparsed.leaves) {
      expect(leaf.decoded === edited.get(leaf.path)).toBe(true)
      if (leaf.transferEncoding === 'quoted-printable') {
        // Lines the encoder wrote (those not copied from the original) fit in 76.
        const before = new Set(bodyOf(message, leaf.path).split(/\r?\n/))
        const written = bodyOf(reparsed, leaf.path)
          .split(/\r?\n/)
          .filter((line) => !before.has(line))
        for (const line of written) expect(line.length).toBeLessThanOrEqual(QP_MAX_LINE)
      }
    }
  })

  // Damaged copies (truncated, a delimiter line dropped, a stray `=` or
  // boundary inserted) must still parse without throwing and come back whole.
  it.each(files)('%s, damaged', (file) => {
    const input = bytesToBinary(new Uint8Array(readFileSync(join(CORPUS, file))))

    for (const damaged of damage(input)) {
      const message = parseMime(binaryToBytes(damaged))
      expect(bytesToBinary(serializeMime(message, new Map()).bytes) === damaged).toBe(true)
      const same = new Map(message.leaves.map((leaf) => [leaf.path, leaf.decoded]))
      expect(bytesToBinary(serializeMime(message, same).bytes) === damaged).toBe(true)
    }
  })
})

function damage(input: string): string[] {
  const third = Math.floor(input.length / 3)
  const delimiter = input.indexOf('\n--', third)
  const dropped =
    delimiter < 0
      ? input
      : input.slice(0, delimiter) + input.slice(input.indexOf('\n', delimiter + 1))
  return [
    input.slice(0, third),
    input.slice(0, 2 * third),
    dropped,
    input.slice(0, third) + '=\r\n--\r\n' + input.slice(third),
  ]
}
