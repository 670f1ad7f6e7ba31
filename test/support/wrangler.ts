/**
 * Runs the project's own wrangler offline: no metrics, no banner (which
 * checks for updates), no fetch of Request.cf data. Everything it needs
 * comes from node_modules and the local persistence folder.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'

import { ROOT } from './server.js'

export const WRANGLER = join(ROOT, 'node_modules/wrangler/bin/wrangler.js')

export const OFFLINE_ENV: Record<string, string> = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  NO_COLOR: '1',
}

function env(): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? ROOT, ...OFFLINE_ENV }
}

/** Runs one wrangler command to completion; throws with its output when it fails. */
export function wrangler(args: string[]): string {
  const result = spawnSync(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    env: env(),
    encoding: 'utf8',
    timeout: 120_000,
  })
  const output = `${result.stdout}${result.stderr}`
  if (result.status !== 0) throw new Error(`wrangler ${args.join(' ')} failed:\n${output}`)
  return output
}

export interface DevServer {
  child: ChildProcess
  /** Everything wrangler dev printed so far, the Worker's console lines included. */
  output: () => string
  stop: () => Promise<void>
}

/** Starts `wrangler dev` in its own process group and resolves once it is ready. */
export async function wranglerDev(args: string[]): Promise<DevServer> {
  const child = spawn(process.execPath, [WRANGLER, 'dev', ...args], {
    cwd: ROOT,
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))

  await new Promise<void>((done, fail) => {
    const settle = (error?: Error) => {
      clearInterval(poll)
      clearTimeout(timer)
      if (error) fail(error)
      else done()
    }
    const poll = setInterval(() => output.includes('Ready on') && settle(), 50)
    const timer = setTimeout(
      () => settle(new Error(`wrangler dev never got ready:\n${output}`)),
      90_000,
    )
    child.once('exit', (code) => settle(new Error(`wrangler dev exited with ${code}:\n${output}`)))
  })

  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return
    const exited = new Promise((done) => child.once('exit', done))
    // The whole group: wrangler, and the workerd processes it started.
    process.kill(-child.pid, 'SIGTERM')
    await exited
  }
  return { child, output: () => output, stop }
}
