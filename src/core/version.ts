/** The release, reported by /healthz and `clickgate --version`. */
export const VERSION = '0.1.0'
