import { describe } from 'vitest'

import { httpSuite } from '../shared/http-suite.js'
import { createNodeHarness } from '../support/harness.js'

describe('HTTP on Node (better-sqlite3)', () => {
  httpSuite(createNodeHarness, { runtime: 'node', unavailable: [] })
})
