-- Art. 19 GDPR: every recipient the disclosure log knows for a contact is told of its
-- rectification, erasure or restriction. One task per recipient and event, tracked to done.
-- The contact id is plain text without a reference: the contact may be erased, the task stays.
-- The note (how and when the recipient was told) is sealed under the installation key.
CREATE TABLE recipient_notices (
    id TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    -- rectification, erasure, restriction, restriction_lifted
    event TEXT NOT NULL,
    case_id TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    done_at BIGINT,
    done_by TEXT,
    note BYTEA
);
CREATE INDEX recipient_notices_open ON recipient_notices(done_at, created_at);
CREATE INDEX recipient_notices_contact ON recipient_notices(contact_id);
CREATE INDEX recipient_notices_case ON recipient_notices(case_id);
