import { storeSuite } from '../shared/store-suite.js'
import { freshDatabase } from './d1-harness.js'

storeSuite('D1 in workerd', freshDatabase)
