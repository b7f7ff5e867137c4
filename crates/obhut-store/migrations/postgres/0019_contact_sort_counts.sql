-- The name order's bucket counts are kept per filter by the server until the contacts change:
-- this counter moves with every change that can move a contact between buckets or filters.
-- The index lets a page's buckets be read without touching the contacts that fail a filter.
INSERT INTO counters (name, value) VALUES ('contacts_epoch', 0);
CREATE FUNCTION obhut_bump_contacts_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE counters SET value = value + 1 WHERE name = 'contacts_epoch';
  RETURN NULL;
END
$$;
CREATE TRIGGER contacts_epoch AFTER INSERT OR DELETE ON contacts
FOR EACH STATEMENT EXECUTE FUNCTION obhut_bump_contacts_epoch();
CREATE TRIGGER contacts_epoch_update AFTER UPDATE OF sort_bucket, kind, organization_id, owner_id, language, record_class, team, restricted_at ON contacts
FOR EACH STATEMENT EXECUTE FUNCTION obhut_bump_contacts_epoch();
CREATE TRIGGER contact_tags_epoch AFTER INSERT OR DELETE ON contact_tags
FOR EACH STATEMENT EXECUTE FUNCTION obhut_bump_contacts_epoch();
DROP INDEX contacts_sort_bucket;
CREATE INDEX contacts_sort_bucket ON contacts(sort_bucket, id);
