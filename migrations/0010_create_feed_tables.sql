-- Reputation feeds (URLhaus, PhishTank, OpenPhish) and the Safe Browsing
-- Update API's hash-prefix lists. SQLite is the store of record; the Node
-- server keeps a compact in-memory index built from feed_entries.

-- One row per provider that keeps local data: freshness, counts, failures.
CREATE TABLE feed_state (
  feed TEXT PRIMARY KEY,
  -- last successful sync (ms since the epoch); freshness is measured from it
  synced_at INTEGER,
  -- last attempt, successful or not
  attempted_at INTEGER,
  -- bumped whenever the data changes, so other processes know to reload
  version INTEGER NOT NULL DEFAULT 0,
  entries INTEGER NOT NULL DEFAULT 0,
  -- a short stable code such as http_503, never a URL (it may hold a key)
  last_error TEXT,
  -- consecutive failures, for back-off
  failures INTEGER NOT NULL DEFAULT 0,
  -- the provider asked us not to sync before this time (Safe Browsing minimumWaitDuration)
  not_before INTEGER,
  -- a sync in progress holds the feed until this time, so two syncs never interleave
  lease_until INTEGER
);

-- Feed entries keyed by a 53-bit hash of kind and canonical value. The value
-- is kept so that every in-memory hit is confirmed against the real text.
-- A rowid table with a unique index: rows are appended, and only the small
-- index takes the random-order inserts (measurably faster for a million rows).
CREATE TABLE feed_entries (
  id INTEGER PRIMARY KEY,
  feed TEXT NOT NULL,
  hash INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('url', 'host')),
  value TEXT NOT NULL,
  info TEXT
);

CREATE UNIQUE INDEX feed_entries_hash ON feed_entries (feed, hash);

-- New entries of a sync in progress, appended in arrival order (cheap), then
-- moved into feed_entries in one statement sorted by hash, so the index is
-- written in order instead of page by random page, and all additions of a
-- sync appear at once.
CREATE TABLE feed_staging (
  feed TEXT NOT NULL,
  hash INTEGER NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  info TEXT
);

-- Safe Browsing v4 threat lists: the opaque client state and checksum per list.
CREATE TABLE threat_lists (
  list TEXT PRIMARY KEY,
  client_state TEXT NOT NULL,
  checksum TEXT NOT NULL,
  prefixes INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Sorted hash prefixes of one size, base64 in chunks small enough for a D1 row.
CREATE TABLE threat_list_chunks (
  list TEXT NOT NULL,
  prefix_size INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (list, prefix_size, seq)
);
