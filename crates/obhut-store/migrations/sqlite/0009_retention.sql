-- Retention (DIN 66398 deletion classes, Art. 5(1)(e), 17 GDPR): the rule catalogue (one rule
-- per data type), legal holds that postpone it, what a legal duty keeps restricted until a
-- date, the pseudonym vault (only the DPO resolves it), orders kept for statistics without
-- their buyer, and the log of sweeps. Dates are calendar days (YYYY-MM-DD); times milliseconds.
CREATE TABLE retention_rules (
    data_type TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    start_point TEXT NOT NULL,
    period TEXT NOT NULL,
    year_end BIGINT NOT NULL,
    action TEXT NOT NULL,
    legal_reference TEXT NOT NULL,
    description TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE legal_holds (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL,
    -- Sealed under the installation key: it may describe the person or the dispute.
    reason BLOB NOT NULL,
    until_on TEXT,
    placed_by TEXT NOT NULL,
    placed_at BIGINT NOT NULL,
    released_at BIGINT,
    released_by TEXT
);
CREATE INDEX legal_holds_contact ON legal_holds(contact_id, released_at);

CREATE TABLE retention_restrictions (
    contact_id TEXT PRIMARY KEY,
    -- The day the duty that keeps the contact ends; NULL when a rule restricts for good.
    until_on TEXT,
    erasure_requested BIGINT NOT NULL,
    case_id TEXT,
    at BIGINT NOT NULL
);

CREATE TABLE pseudonyms (
    token TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL UNIQUE,
    sealed BLOB NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE anonymized_activities (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    organization_id TEXT,
    deal_id TEXT,
    anonymized_at BIGINT NOT NULL
);

CREATE TABLE retention_runs (
    id TEXT PRIMARY KEY,
    at_date TEXT NOT NULL,
    actor TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    contacts_erased BIGINT NOT NULL,
    contacts_anonymized BIGINT NOT NULL,
    contacts_pseudonymized BIGINT NOT NULL,
    contacts_restricted BIGINT NOT NULL,
    records_erased BIGINT NOT NULL,
    records_anonymized BIGINT NOT NULL,
    held BIGINT NOT NULL
);

-- What the sweep reads of each contact's activities, without visiting the table.
CREATE INDEX activities_retention ON activities(contact_id, kind, occurred_at, id);

-- Identity checks by email code (Art. 12(6) GDPR): a code sent to an address the contact is
-- known by, kept as a keyed hash, valid for a short time and a few attempts.
CREATE TABLE dsr_identity_codes (
    case_id TEXT PRIMARY KEY,
    code_hash BLOB NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
