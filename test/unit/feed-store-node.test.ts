import { migrationsDir } from '../../src/node/paths.js'
import { migrate, openSqlite } from '../../src/node/sqlite.js'
import { feedStoreSuite } from '../shared/feed-store-suite.js'

feedStoreSuite('better-sqlite3', async () => {
  const db = openSqlite(':memory:')
  migrate(db, migrationsDir())
  return db
})
