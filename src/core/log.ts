/**
 * Structured events. The core and the HTTP layer describe what happened; the
 * runtime decides where it goes. Field names are stable: dashboards and
 * alerts are built on them. Never pass tokens, secrets or addresses.
 */

export type LogLevel = 'info' | 'warn' | 'error'

export type Logger = (level: LogLevel, event: string, fields?: Record<string, unknown>) => void

/**
 * One JSON object per line, for stdout on Node and the console on Workers.
 * `time` gives each line's timestamp; a writer logging a whole batch at
 * once can read the clock once for all of it.
 */
export function jsonLogger(
  write: (line: string) => void,
  time: () => string = () => new Date().toISOString(),
): Logger {
  return (level, event, fields = {}) => {
    write(JSON.stringify({ time: time(), level, event, ...fields }))
  }
}

export const silentLogger: Logger = () => {}
