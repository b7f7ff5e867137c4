-- The name order's bucket counts are kept per filter by the server until the contacts change:
-- this counter moves with every change that can move a contact between buckets or filters.
-- The index lets a page's buckets be read without touching the contacts that fail a filter.
INSERT INTO counters (name, value) VALUES ('contacts_epoch', 0);
CREATE TRIGGER contacts_epoch_insert AFTER INSERT ON contacts
BEGIN UPDATE counters SET value = value + 1 WHERE name = 'contacts_epoch'; END;
CREATE TRIGGER contacts_epoch_delete AFTER DELETE ON contacts
BEGIN UPDATE counters SET value = value + 1 WHERE name = 'contacts_epoch'; END;
CREATE TRIGGER contacts_epoch_update AFTER UPDATE OF sort_bucket, kind, organization_id, owner_id, language, record_class, team, restricted_at ON contacts
BEGIN UPDATE counters SET value = value + 1 WHERE name = 'contacts_epoch'; END;
CREATE TRIGGER contact_tags_epoch_insert AFTER INSERT ON contact_tags
BEGIN UPDATE counters SET value = value + 1 WHERE name = 'contacts_epoch'; END;
CREATE TRIGGER contact_tags_epoch_delete AFTER DELETE ON contact_tags
BEGIN UPDATE counters SET value = value + 1 WHERE name = 'contacts_epoch'; END;
DROP INDEX contacts_sort_bucket;
CREATE INDEX contacts_sort_bucket ON contacts(sort_bucket, id);
