-- The ticket conversation: replies to the customer (sent by mail through the outbox), the
-- customer's answers fetched from the support mailbox, and internal comments. Body, sender and
-- subject are sealed under the key of the person the ticket is about (else its organization),
-- like the ticket's own text, so an erasure shreds them with it. A mail's Message-ID is kept
-- only as a keyed blind index: enough to thread an answer and to take a mail in once.
CREATE TABLE ticket_messages (
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    -- reply | inbound | comment
    kind TEXT NOT NULL,
    author_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    key_subject TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    mail_ref BYTEA,
    outbox_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_messages_ticket ON ticket_messages(ticket_id, created_at);
CREATE INDEX ticket_messages_key_subject ON ticket_messages(key_subject);
CREATE UNIQUE INDEX ticket_messages_mail_ref ON ticket_messages(mail_ref);

-- When the next answer to the customer is due, from the per-priority SLA: set when a ticket
-- opens or the customer writes, cleared by a reply and when the ticket is resolved or closed.
ALTER TABLE tickets ADD COLUMN due_at BIGINT;
UPDATE tickets SET due_at = created_at + 3600000 * (CASE priority WHEN 'urgent' THEN 4 WHEN 'high' THEN 24 WHEN 'low' THEN 168 ELSE 72 END)
    WHERE status NOT IN ('waiting', 'resolved', 'closed');
CREATE INDEX tickets_owner_due ON tickets(owner_id, due_at);
