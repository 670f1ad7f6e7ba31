/**
 * Where the shared corpus is: $CORPUS_DIR, or ../shared/corpus beside the
 * checkout. Files are read at test time and never copied into the repository.
 */

import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const CORPUS_DIR = resolve(
  process.env.CORPUS_DIR ?? join(import.meta.dirname, '../../../shared/corpus'),
)

export const HAS_CORPUS = existsSync(join(CORPUS_DIR, 'eml'))

/** The corpus messages, sorted by name. */
export function corpusFiles(): string[] {
  if (!HAS_CORPUS) return []
  return readdirSync(join(CORPUS_DIR, 'eml'))
    .filter((f) => f.endsWith('.eml'))
    .sort()
}

export function readCorpus(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(CORPUS_DIR, 'eml', name)))
}

export function readVector(path: string): string {
  return readFileSync(join(CORPUS_DIR, 'vectors', path), 'utf8')
}
