/**
 * Structured events. The core and the HTTP layer describe what happened; the
 * runtime decides where it goes. Field names are stable: dashboards and
 * alerts are built on them. Never pass tokens, secrets or addresses.
 */

export type LogLevel = 'info' | 'warn' | 'error'

export type Logger = (level: LogLevel, event: string, fields?: Record<string, unknown>) => void

/** One JSON object per line, for stdout on Node and the console on Workers. */
export function jsonLogger(write: (line: string) => void): Logger {
  return (level, event, fields = {}) => {
    write(JSON.stringify({ time: new Date().toISOString(), level, event, ...fields }))
  }
}

export const silentLogger: Logger = () => {}
