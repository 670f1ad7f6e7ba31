-- Storage grows with distinct destinations and distinct messages, never with
-- recipients times links: per-recipient context travels inside the token.

CREATE TABLE links (
  id INTEGER PRIMARY KEY,
  url TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  -- keyed hash of the Message-ID; the clear value is never stored
  message_key TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);

CREATE TABLE rules (
  id TEXT PRIMARY KEY,
  action TEXT NOT NULL CHECK (action IN ('block', 'allow')),
  type TEXT NOT NULL CHECK (type IN ('domain', 'host', 'prefix', 'url')),
  value TEXT NOT NULL,
  note TEXT,
  expires_at INTEGER,
  created_at INTEGER NOT NULL
);

CREATE INDEX rules_type_value ON rules (type, value);

CREATE TABLE clicks (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  link_id INTEGER NOT NULL,
  message_ref INTEGER,
  recipient_ref TEXT,
  key_id TEXT NOT NULL,
  verdict TEXT NOT NULL,
  reason TEXT,
  user_agent TEXT,
  ip_hash TEXT
);

CREATE INDEX clicks_at ON clicks (at);
CREATE INDEX clicks_recipient ON clicks (recipient_ref);
CREATE INDEX clicks_link ON clicks (link_id);
