-- Each click is labelled human or automated (mail scanners that open every
-- link before the reader does), with the evidence codes that decided it,
-- e.g. 'head,scanner_ua'. Old rows predate the label and read as human.
ALTER TABLE clicks ADD COLUMN automated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clicks ADD COLUMN evidence TEXT;
