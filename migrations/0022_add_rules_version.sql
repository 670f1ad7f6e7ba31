-- A counter that every change to the rules table bumps, so click-time rule
-- matches can be cached and still be dropped on the very next click after
-- any change, whichever process made it (the API, the CLI, another node).
CREATE TABLE rules_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
);

INSERT INTO rules_version (id, version) VALUES (1, 0);

CREATE TRIGGER rules_version_insert AFTER INSERT ON rules
BEGIN
  UPDATE rules_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER rules_version_update AFTER UPDATE ON rules
BEGIN
  UPDATE rules_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER rules_version_delete AFTER DELETE ON rules
BEGIN
  UPDATE rules_version SET version = version + 1 WHERE id = 1;
END;
