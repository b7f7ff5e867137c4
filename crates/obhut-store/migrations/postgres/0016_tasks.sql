-- Tasks and follow-ups ("Wiedervorlagen"): work on one record (a contact, an organization, a
-- deal or a ticket), decided by the gate exactly like that record. The title and notes are
-- sealed under the key of the person the record is about (else its organization), so an
-- erasure shreds them with the rest; a task goes with the record it is on.
CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    number BIGINT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    priority TEXT NOT NULL,
    contact_id TEXT REFERENCES contacts(id) ON DELETE CASCADE,
    organization_id TEXT REFERENCES organizations(id) ON DELETE CASCADE,
    deal_id TEXT REFERENCES deals(id) ON DELETE CASCADE,
    ticket_id TEXT REFERENCES tickets(id) ON DELETE CASCADE,
    assignee_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    -- days since 1970-01-01
    due_on BIGINT,
    remind_at BIGINT,
    reminded_at BIGINT,
    done_at BIGINT,
    done_by TEXT,
    key_subject TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
INSERT INTO counters (name, value) VALUES ('task_number', 0);
CREATE INDEX tasks_assignee ON tasks(assignee_id, done_at, due_on);
CREATE INDEX tasks_contact ON tasks(contact_id);
CREATE INDEX tasks_organization ON tasks(organization_id);
CREATE INDEX tasks_deal ON tasks(deal_id);
CREATE INDEX tasks_ticket ON tasks(ticket_id);
CREATE INDEX tasks_key_subject ON tasks(key_subject);
CREATE INDEX tasks_reminders ON tasks(remind_at) WHERE reminded_at IS NULL AND done_at IS NULL;

-- A staff member's work address, for reminders (sealed under the master key).
CREATE TABLE user_mail (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    sealed BYTEA NOT NULL
);

-- The records a user opened last, for their start page (ids only; the names are read
-- through the gate when shown).
CREATE TABLE recent_views (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    record_kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    viewed_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, record_kind, record_id)
);
CREATE INDEX recent_views_user ON recent_views(user_id, viewed_at);
CREATE INDEX recent_views_record ON recent_views(record_id);
