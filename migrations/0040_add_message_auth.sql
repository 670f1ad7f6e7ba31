-- Sender authentication result (DKIM, SPF, DMARC, ARC, or a trusted relay's
-- Authentication-Results) recorded with the message, as one JSON object.
ALTER TABLE messages ADD COLUMN auth TEXT;
