-- Erasures (Art. 17 GDPR). One row per erased contact: when, by whom, under which request
-- case, and why (sealed under the installation key; a reason should never name the person).
-- The id is a random reference nothing links to once the contact's rows and key are gone. It
-- is kept so that a request for the contact answers 410 Gone, and so that a restore of an
-- older backup erases the contact again.
CREATE TABLE erasures (
    contact_id TEXT PRIMARY KEY,
    erased_at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    case_id TEXT,
    reason BYTEA NOT NULL
);
