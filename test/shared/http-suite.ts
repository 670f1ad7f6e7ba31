/**
 * The HTTP test suite, written once. Each runtime's test file calls
 * `httpSuite` with a factory for a harness over its own database: Node with
 * better-sqlite3 (test/unit/http-node.test.ts), workerd with real local D1
 * (test/workers/http-workers.test.ts).
 */

import type { HarnessFactory } from '../support/harness-core.js'
import { alertTests } from './http/alert.js'
import { apiTests } from './http/api.js'
import { pageTests } from './http/pages.js'
import { resolverTests } from './http/resolver.js'
import { type RuntimeExpectations, runtimeTests } from './http/runtime.js'

export function httpSuite(make: HarnessFactory, runtime: RuntimeExpectations): void {
  alertTests(make)
  resolverTests(make)
  pageTests(make)
  apiTests(make)
  runtimeTests(make, runtime)
}
