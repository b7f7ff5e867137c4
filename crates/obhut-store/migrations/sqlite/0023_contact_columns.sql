-- Lists that sort and filter at scale.
-- sort_sealed: the contact's name sort key sealed under the contact's own key, so that a page of
-- the name order opens a few dozen bytes per contact of a bucket instead of the whole record
-- (erased with the key, like everything sealed under it). Existing contacts get theirs at the
-- next start.
-- city_token: a keyed hash of the normalised city (the blind index's key), for the city filter
-- and search: the database learns which contacts share a city, not the city.
-- last_activity_at: when the latest activity about the contact took place, kept by triggers.
ALTER TABLE contacts ADD COLUMN sort_sealed BLOB;
ALTER TABLE contacts ADD COLUMN city_token TEXT;
ALTER TABLE contacts ADD COLUMN last_activity_at BIGINT;
CREATE INDEX contacts_city_token ON contacts(city_token);
CREATE INDEX contacts_last_activity ON contacts(last_activity_at);
UPDATE contacts SET last_activity_at = (SELECT MAX(a.occurred_at) FROM activities a WHERE a.contact_id = contacts.id);
CREATE TRIGGER activities_last_insert AFTER INSERT ON activities WHEN (NEW.contact_id IS NOT NULL)
BEGIN
  UPDATE contacts SET last_activity_at = (SELECT MAX(occurred_at) FROM activities WHERE contact_id = NEW.contact_id) WHERE id = NEW.contact_id;
END;
CREATE TRIGGER activities_last_update AFTER UPDATE OF occurred_at, contact_id ON activities
BEGIN
  UPDATE contacts SET last_activity_at = (SELECT MAX(a.occurred_at) FROM activities a WHERE a.contact_id = contacts.id)
  WHERE id = NEW.contact_id OR id = OLD.contact_id;
END;
CREATE TRIGGER activities_last_delete AFTER DELETE ON activities WHEN (OLD.contact_id IS NOT NULL)
BEGIN
  UPDATE contacts SET last_activity_at = (SELECT MAX(occurred_at) FROM activities WHERE contact_id = OLD.contact_id) WHERE id = OLD.contact_id;
END;
