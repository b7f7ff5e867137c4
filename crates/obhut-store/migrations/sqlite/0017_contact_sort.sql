-- Lists sort contacts by name across pages. The name is encrypted, so each contact carries a
-- sort bucket: a keyed hash (HMAC, the blind index's key) of the first four letters of its
-- sort key. The database learns which contacts share their first letters, as the blind name
-- index already tells, and nothing of the letters or their order; the application, which holds
-- the key, puts the buckets in order. Existing contacts get theirs at the next start.
ALTER TABLE contacts ADD COLUMN sort_bucket TEXT;
CREATE INDEX contacts_sort_bucket ON contacts(sort_bucket);
