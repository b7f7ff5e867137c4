-- The consent ledger (Art. 7 GDPR, § 7, § 7a UWG): notices kept word for word, an append-only
-- ledger of events per contact × purpose × channel × topic with sealed evidence, single-use
-- double opt-in tokens, the mail outbox, the suppression list of blind indexes, the uses of
-- consents (exports of audiences), and the restriction of processing (Art. 18) on contacts.
ALTER TABLE contacts ADD COLUMN restricted_at BIGINT;

CREATE TABLE consent_notices (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    channel TEXT NOT NULL,
    language TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (purpose, channel, language, version)
);

CREATE TABLE consent_events (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    contact_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    channel TEXT NOT NULL,
    topic TEXT NOT NULL,
    kind TEXT NOT NULL,
    method TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    notice_id TEXT REFERENCES consent_notices(id),
    language TEXT,
    request_id TEXT,
    facts TEXT NOT NULL DEFAULT '',
    evidence BYTEA,
    -- The evidence's own key, wrapped by the master key: proof outlives the contact's erasure
    -- until its retention ends.
    evidence_key BYTEA
);
CREATE INDEX consent_events_contact ON consent_events(contact_id, seq);
-- Covers what an audience reads, so its walk never visits the table.
CREATE INDEX consent_events_scan ON consent_events(channel, contact_id, seq, purpose, topic, kind, method, at, facts);
CREATE INDEX consent_events_kind ON consent_events(kind, at);

CREATE TABLE consent_tokens (
    token_hash BYTEA PRIMARY KEY,
    request_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    channel TEXT NOT NULL,
    topic TEXT NOT NULL,
    address_blind BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX consent_tokens_address ON consent_tokens(address_blind, created_at);

CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    contact_id TEXT,
    message_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    lease_until BIGINT,
    sent_at BIGINT,
    failed_at BIGINT,
    last_error TEXT,
    transport TEXT,
    wrapped_key BYTEA,
    sealed BYTEA
);
CREATE INDEX outbox_due ON outbox(sent_at, failed_at, next_attempt_at);

CREATE TABLE suppressions (
    token BYTEA NOT NULL,
    channel TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (token, channel)
);

CREATE TABLE audience_exports (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    channel TEXT NOT NULL,
    topic TEXT NOT NULL,
    segment TEXT NOT NULL,
    recipient TEXT NOT NULL,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL,
    permitted BIGINT NOT NULL,
    excluded BIGINT NOT NULL
);

CREATE TABLE consent_uses (
    contact_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    channel TEXT NOT NULL,
    topic TEXT NOT NULL,
    at BIGINT NOT NULL,
    export_id TEXT NOT NULL
);
CREATE INDEX consent_uses_contact ON consent_uses(contact_id, purpose, channel, topic, at);
