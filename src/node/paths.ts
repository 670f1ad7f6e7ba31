import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The package root, found by walking up from this file. The same code runs
 * from `src/` under the test runner and from `dist/src/` when built.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'migrations'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('cannot find the clickgate package root')
    dir = parent
  }
  return dir
}

export function migrationsDir(): string {
  return join(packageRoot(), 'migrations')
}
