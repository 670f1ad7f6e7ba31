-- Message-level findings (a script link in the message, failed sender
-- authentication, …) raise every link of the message to at least a warning.
-- One JSON array per message row, so storage still grows per message only.
ALTER TABLE messages ADD COLUMN findings TEXT;
