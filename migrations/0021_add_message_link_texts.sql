-- The text each link showed, for links whose text names a site: a JSON
-- object from link id to a list of texts. Checked at click time against
-- where the link really goes. One row per message, not per recipient.
ALTER TABLE messages ADD COLUMN link_texts TEXT;
