-- Data subject requests (Art. 15–21 GDPR) as cases with deadlines (Art. 12(3)). Dates are
-- calendar days (YYYY-MM-DD); times are milliseconds. Free text (notes, reasons) is sealed
-- under the installation key: it may describe the person.
CREATE TABLE dsr_cases (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    received_on TEXT NOT NULL,
    received_via TEXT NOT NULL,
    due_on TEXT NOT NULL,
    -- The first deadline, kept when the case is extended.
    first_due_on TEXT NOT NULL,
    extended_at BIGINT,
    extension_reason BLOB,
    person_informed_on TEXT,
    identity_check TEXT,
    identity_note BLOB,
    identity_checked_at BIGINT,
    status TEXT NOT NULL,
    closing_reason BLOB,
    closed_at BIGINT,
    -- The last reminder raised: 'due_soon' or 'overdue'.
    reminded TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX dsr_cases_due ON dsr_cases(status, due_on);
CREATE INDEX dsr_cases_contact ON dsr_cases(contact_id, kind, status);
