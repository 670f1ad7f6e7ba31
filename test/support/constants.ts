/** Fixed test settings, free of imports so that vitest.config.ts can use them too. */

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789'
export const REWRITE_TOKEN = 'rewrite-token-for-tests-0123456789'
export const BASE_URL = 'https://go.clickgate.example'
export const HASH_SECRET = 'aGFzaC1zZWNyZXQtZm9yLXRlc3RzLTAxMjM0NTY3ODkwMTIz'
