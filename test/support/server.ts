/**
 * Spawns the real built `clickgate serve` on loopback with a throwaway data
 * directory, and collects its JSON log lines.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '../..')
export const CLI = join(ROOT, 'dist/src/cli/main.js')

export interface RunningServer {
  baseUrl: string
  dir: string
  env: Record<string, string>
  logs: Record<string, unknown>[]
  /** SIGTERM, wait for the exit, remove the data directory. */
  stop: () => Promise<void>
  /** SIGTERM and wait for the exit, keeping the data directory to inspect; resolves the exit code. */
  terminate: () => Promise<number | null>
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer()
    probe.once('error', fail)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => done(port))
    })
  })
}

export function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" (npm test does)`)
}

export async function startServer(extraEnv: Record<string, string> = {}): Promise<RunningServer> {
  requireBuild()
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'clickgate-e2e-'))
  const env = {
    PATH: process.env.PATH ?? '',
    PORT: String(port),
    CLICKGATE_DB: join(dir, 'e2e.db'),
    ...extraEnv,
  }

  const child = spawn(process.execPath, [CLI, 'serve'], { cwd: dir, env, stdio: 'pipe' })
  const logs: Record<string, unknown>[] = []
  await waitForStart(child, logs)

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    dir,
    env,
    logs,
    stop: async () => {
      await terminate(child)
      rmSync(dir, { recursive: true, force: true })
    },
    terminate: () => terminate(child),
  }
}

async function terminate(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode
  // 'close' comes after the output streams are drained, so the last log lines are in.
  const exited = new Promise<number | null>((done) => child.once('close', (code) => done(code)))
  child.kill('SIGTERM')
  return exited
}

function waitForStart(child: ChildProcess, logs: Record<string, unknown>[]): Promise<void> {
  return new Promise((done, fail) => {
    let buffered = ''
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.once('exit', (code) => fail(new Error(`server exited with ${code}: ${stderr}`)))

    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        const entry = JSON.parse(line) as Record<string, unknown>
        logs.push(entry)
        if (entry.event === 'server.started') done()
      }
    })
  })
}
