//! The ticket conversation: replies, the customer's answers and internal comments, sealed under
//! the ticket's key subject (its contact, else its organization). A mail's Message-ID is kept
//! as a keyed blind index only, to thread an answer to its ticket and to take a mail in once.

use crate::crypto::Crypto;
use crate::db::{parse_uuid, Conn};
use crate::error::{Result, StoreError};
use obhut_core::ids::{TicketId, TicketMessageId, UserId};
use obhut_core::ticket::{MessageKind, MessageText};

/// The blind index of a mail's Message-ID (angle brackets and case of the domain do not count).
pub fn mail_ref(crypto: &Crypto, message_id: &str) -> Vec<u8> {
    let id = message_id.trim().trim_start_matches('<').trim_end_matches('>');
    let normalized = match id.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
        None => id.to_string(),
    };
    crypto.blind("mail-ref", &normalized).to_vec()
}

fn aad(id: &str) -> Vec<u8> {
    format!("ticket-message:{id}").into_bytes()
}

#[derive(Debug, Clone)]
pub struct MessageRecord {
    pub id: TicketMessageId,
    pub ticket_id: TicketId,
    pub kind: MessageKind,
    pub author_id: Option<UserId>,
    pub text: MessageText,
    /// A reply: the outbox entry it went out through.
    pub outbox_id: Option<String>,
    pub created_at: i64,
}

pub struct NewMessage<'a> {
    pub id: TicketMessageId,
    pub ticket_id: TicketId,
    pub kind: MessageKind,
    pub author_id: Option<UserId>,
    pub key_subject: &'a str,
    pub text: &'a MessageText,
    pub mail_ref: Option<Vec<u8>>,
    pub outbox_id: Option<&'a str>,
    pub at: i64,
}

/// Stores a message inside the caller's transaction.
pub async fn insert(conn: &mut Conn, crypto: &Crypto, m: &NewMessage<'_>) -> Result<()> {
    let key = crate::activities::subject_key(conn, crypto, m.key_subject).await?;
    let sid = m.id.to_string();
    sqlx::query(
        "INSERT INTO ticket_messages (id, ticket_id, kind, author_id, key_subject, sealed, mail_ref, outbox_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&sid)
    .bind(m.ticket_id.to_string())
    .bind(m.kind.as_str())
    .bind(m.author_id.map(|u| u.to_string()))
    .bind(m.key_subject)
    .bind(key.seal_json(&aad(&sid), m.text))
    .bind(m.mail_ref.clone())
    .bind(m.outbox_id)
    .bind(m.at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    ticket_id: String,
    kind: String,
    author_id: Option<String>,
    key_subject: String,
    sealed: Vec<u8>,
    outbox_id: Option<String>,
    created_at: i64,
}

/// A ticket's messages, oldest first.
pub async fn list(conn: &mut Conn, crypto: &Crypto, ticket: TicketId) -> Result<Vec<MessageRecord>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, ticket_id, kind, author_id, key_subject, sealed, outbox_id, created_at FROM ticket_messages \
         WHERE ticket_id = $1 ORDER BY created_at, id",
    )
    .bind(ticket.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut keys = crate::activities::KeyRing::default();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let key = keys.key(conn, crypto, &r.key_subject).await?;
        out.push(MessageRecord {
            text: key.open_json(&aad(&r.id), &r.sealed)?,
            id: TicketMessageId(parse_uuid(&r.id)?),
            ticket_id: TicketId(parse_uuid(&r.ticket_id)?),
            kind: MessageKind::parse(&r.kind).map_err(StoreError::Corrupt)?,
            author_id: r.author_id.as_deref().map(parse_uuid).transpose()?.map(UserId),
            outbox_id: r.outbox_id,
            created_at: r.created_at,
        });
    }
    Ok(out)
}

/// The ticket a mail belongs to by one of the Message-IDs it answers (In-Reply-To, References).
pub async fn ticket_of_refs(conn: &mut Conn, refs: &[Vec<u8>]) -> Result<Option<TicketId>> {
    for r in refs {
        let hit: Option<(String,)> =
            sqlx::query_as("SELECT ticket_id FROM ticket_messages WHERE mail_ref = $1").bind(r.clone()).fetch_optional(&mut *conn).await?;
        if let Some((t,)) = hit {
            return Ok(Some(TicketId(parse_uuid(&t)?)));
        }
    }
    Ok(None)
}

/// Whether a mail with this Message-ID was taken in already (or is one of ours).
pub async fn known(conn: &mut Conn, mail_ref: &[u8]) -> Result<bool> {
    let hit: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM ticket_messages WHERE mail_ref = $1").bind(mail_ref.to_vec()).fetch_optional(&mut *conn).await?;
    Ok(hit.is_some())
}

/// Seals a ticket's messages under `subject` where the ticket moved to another contact or
/// organization (inside the caller's transaction, with the ticket's own text).
pub async fn reseal(conn: &mut Conn, crypto: &Crypto, ticket: TicketId, subject: &str) -> Result<usize> {
    let rows: Vec<(String, String, Vec<u8>)> =
        sqlx::query_as("SELECT id, key_subject, sealed FROM ticket_messages WHERE ticket_id = $1 AND key_subject <> $2")
            .bind(ticket.to_string())
            .bind(subject)
            .fetch_all(&mut *conn)
            .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let new_key = crate::activities::subject_key(conn, crypto, subject).await?;
    let mut keys = crate::activities::KeyRing::default();
    for (id, old, sealed) in &rows {
        let text: MessageText = keys.key(conn, crypto, old).await?.open_json(&aad(id), sealed)?;
        sqlx::query("UPDATE ticket_messages SET key_subject = $1, sealed = $2 WHERE id = $3")
            .bind(subject)
            .bind(new_key.seal_json(&aad(id), &text))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(rows.len())
}

/// Deletes the messages sealed under a subject's key (its erasure; the tickets go too).
pub async fn delete_of_subject(conn: &mut Conn, subject: &str) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM ticket_messages WHERE key_subject = $1").bind(subject).execute(&mut *conn).await?.rows_affected())
}
