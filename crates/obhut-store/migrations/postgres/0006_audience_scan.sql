-- An audience walks every contact of a segment in id order and needs only what the gate and
-- the permission rules look at: an index-only scan instead of reading the sealed rows.
CREATE INDEX contacts_scan ON contacts (id) INCLUDE (kind, restricted_at, record_class, owner_id, team, tags, language);

-- The ledger side reads one consent's events (channel, purpose, topic) and the channel's
-- objections (purpose and topic '*') as ranges in contact order.
DROP INDEX consent_events_scan;
CREATE INDEX consent_events_scan ON consent_events (channel, purpose, topic, contact_id, seq) INCLUDE (kind, method, at, facts);
