-- The audit chain's head moves out of any table named "audit": it is the anchor a verifier
-- compares the events against, and it carries a MAC under a key derived from the master key,
-- so cutting off the newest events and rewinding the head cannot go unnoticed without the key.
-- Events gain the purpose an access was made for (reads of personal data).
ALTER TABLE audit_events ADD COLUMN purpose TEXT NOT NULL DEFAULT '';
CREATE TABLE chain_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    mac BYTEA NOT NULL
);
INSERT INTO chain_head (id, seq, hash, mac) SELECT id, seq, hash, '\x'::bytea FROM audit_head;
DROP TABLE audit_head;

-- The purpose registry: the record of processing activities (Art. 30). Each purpose is kept as
-- its JSON document; every change writes a new version, and the versions stay.
CREATE TABLE purposes (
    purpose_key TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE TABLE purpose_versions (
    purpose_key TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    changed_by TEXT NOT NULL,
    PRIMARY KEY (purpose_key, version)
);
