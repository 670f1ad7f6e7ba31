-- Sandbox scans: one row per distinct destination, which is both the job
-- (queued, running under a lease, retried with backoff) and its cached result.
-- A crashed worker's lease runs out and another claims the job, so queued work
-- survives a restart. Reports are a JSON array, one entry per scanner.
CREATE TABLE scans (
  url TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'skipped')),
  priority INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  queued_at INTEGER NOT NULL,
  run_after INTEGER NOT NULL,
  lease_until INTEGER,
  requested_at INTEGER,
  finished_at INTEGER,
  expires_at INTEGER,
  skip_reason TEXT,
  last_error TEXT,
  reports TEXT
);

CREATE INDEX scans_due ON scans (state, priority, run_after);
