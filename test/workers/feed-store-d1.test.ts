import { feedStoreSuite } from '../shared/feed-store-suite.js'
import { freshDatabase } from './d1-harness.js'

feedStoreSuite('D1 in workerd', freshDatabase)
