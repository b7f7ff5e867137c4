-- The privacy gate's policy engine: record classes and teams on contacts, scope, teams and a
-- processor grant on users, the Cedar policies (every saved version kept, the newest in force)
-- and the processors of Art. 28.
ALTER TABLE contacts ADD COLUMN record_class TEXT NOT NULL DEFAULT 'standard';
ALTER TABLE contacts ADD COLUMN team TEXT;
ALTER TABLE users ADD COLUMN scope TEXT NOT NULL DEFAULT 'all';
ALTER TABLE users ADD COLUMN teams TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN processor_key TEXT;
CREATE TABLE policy_versions (
    version BIGINT PRIMARY KEY,
    source TEXT NOT NULL,
    saved_at BIGINT NOT NULL,
    saved_by TEXT NOT NULL
);
CREATE TABLE processors (
    processor_key TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
