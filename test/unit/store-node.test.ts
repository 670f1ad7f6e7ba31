import { migrationsDir } from '../../src/node/paths.js'
import { migrate, openSqlite } from '../../src/node/sqlite.js'
import { storeSuite } from '../shared/store-suite.js'

storeSuite('better-sqlite3', async () => {
  const db = openSqlite(':memory:')
  migrate(db, migrationsDir())
  return db
})
