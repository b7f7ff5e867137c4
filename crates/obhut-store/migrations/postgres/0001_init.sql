-- Obhut schema, PostgreSQL. Keep in step with ../sqlite/0001_init.sql (a test compares them).
-- Personal data lives only in the `sealed` columns (AEAD under the record's subject key,
-- itself wrapped by the master key in `wrapped_key`) and as keyed blind indexes.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    language TEXT,
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL UNIQUE,
    label TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT
);

CREATE TABLE sessions (
    id_hash BYTEA PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE setup_tokens (
    token_hash BYTEA PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Installation facts, e.g. the key check: a keyed hash proving which master key this database is sealed under.
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('ticket_number', 0);

CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    website TEXT,
    industry TEXT,
    vat_id TEXT,
    postal_code TEXT,
    city TEXT,
    country TEXT,
    owner_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    tags TEXT NOT NULL DEFAULT '',
    wrapped_key BYTEA NOT NULL,
    sealed BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX organizations_name ON organizations(name_folded);
CREATE INDEX organizations_created ON organizations(created_at);

CREATE TABLE import_runs (
    id TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    format TEXT NOT NULL,
    actor TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    rows_total BIGINT NOT NULL DEFAULT 0,
    rows_imported BIGINT NOT NULL DEFAULT 0,
    rows_skipped BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    organization_id TEXT REFERENCES organizations(id) ON DELETE SET NULL,
    owner_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    language TEXT,
    tags TEXT NOT NULL DEFAULT '',
    wrapped_key BYTEA NOT NULL,
    sealed BYTEA NOT NULL,
    -- The contact's own blind index entries (kind code + token each), so that an update or a
    -- deletion removes exactly these rows from blind_indexes.
    index_tokens BYTEA NOT NULL,
    origin_source TEXT NOT NULL,
    origin_detail TEXT,
    import_run_id TEXT REFERENCES import_runs(id) ON DELETE SET NULL,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX contacts_created ON contacts(created_at);
CREATE INDEX contacts_updated ON contacts(updated_at);
CREATE INDEX contacts_organization ON contacts(organization_id);
CREATE INDEX contacts_owner ON contacts(owner_id);

CREATE TABLE contact_tags (
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (contact_id, tag)
);
CREATE INDEX contact_tags_tag ON contact_tags(tag, contact_id);

-- Keyed blind indexes (HMAC-SHA-256, truncated): exact email and phone, short name prefixes.
-- No foreign key and no index by contact: the contact row lists its own entries, and the store
-- removes exactly those; bulk imports then append to one B-tree instead of three.
CREATE TABLE blind_indexes (
    kind TEXT NOT NULL,
    token BYTEA NOT NULL,
    -- The contact's id as its 16 bytes.
    contact_id BYTEA NOT NULL,
    PRIMARY KEY (kind, token, contact_id)
);

CREATE TABLE pipeline_stages (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    probability BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE deals (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    stage_id TEXT NOT NULL REFERENCES pipeline_stages(id),
    organization_id TEXT REFERENCES organizations(id) ON DELETE CASCADE,
    contact_id TEXT REFERENCES contacts(id) ON DELETE SET NULL,
    amount_cents BIGINT,
    currency TEXT NOT NULL,
    expected_close_on TEXT,
    owner_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX deals_stage ON deals(stage_id, updated_at);
CREATE INDEX deals_organization ON deals(organization_id);
CREATE INDEX deals_contact ON deals(contact_id);

CREATE TABLE activities (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    contact_id TEXT REFERENCES contacts(id) ON DELETE CASCADE,
    organization_id TEXT REFERENCES organizations(id) ON DELETE CASCADE,
    deal_id TEXT REFERENCES deals(id) ON DELETE CASCADE,
    key_subject TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    created_by TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX activities_contact ON activities(contact_id, occurred_at);
CREATE INDEX activities_organization ON activities(organization_id, occurred_at);
CREATE INDEX activities_deal ON activities(deal_id, occurred_at);

CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    number BIGINT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    contact_id TEXT REFERENCES contacts(id) ON DELETE CASCADE,
    organization_id TEXT REFERENCES organizations(id) ON DELETE CASCADE,
    owner_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    key_subject TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX tickets_status ON tickets(status, updated_at);
CREATE INDEX tickets_contact ON tickets(contact_id);
CREATE INDEX tickets_organization ON tickets(organization_id);

-- The audit trail: append-only, each event chained to the one before by SHA-256.
CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id TEXT,
    subject_id TEXT,
    fields TEXT NOT NULL,
    detail BYTEA,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL
);
CREATE INDEX audit_events_subject ON audit_events(subject_id, seq);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash BYTEA NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
