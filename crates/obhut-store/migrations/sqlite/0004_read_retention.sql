-- Read events can outlive their use: the chain now covers a digest of each event's details
-- (actor, record, subject, fields, sealed values, purpose) instead of the details themselves,
-- so a retention rule can empty the details of old read events and the chain still verifies.
-- Events written before carry no digest and verify as they always did. Disclosures name their
-- recipient (a processor, or the third party an export went to).
ALTER TABLE audit_events ADD COLUMN payload_hash BLOB;
ALTER TABLE audit_events ADD COLUMN redacted_at BIGINT;
ALTER TABLE audit_events ADD COLUMN recipient TEXT NOT NULL DEFAULT '';
