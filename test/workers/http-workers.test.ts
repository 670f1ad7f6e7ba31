import { describe } from 'vitest'

import { httpSuite } from '../shared/http-suite.js'
import { createD1Harness } from './d1-harness.js'

describe('HTTP in workerd (D1)', () => {
  httpSuite(createD1Harness, { runtime: 'workers', unavailable: ['dkim', 'arc', 'sandbox_fetch'] })
})
