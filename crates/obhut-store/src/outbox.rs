//! The mail outbox: mails queued in the transaction of the change that sends them, sealed at
//! rest, leased for delivery by one process at a time, and marked sent, to retry or failed.
//! Consent confirmations and data subject request answers both go out through it.

use crate::crypto::Crypto;
use crate::db::Conn;
use crate::error::Result;

/// A mail to send: the envelope and the whole RFC 5322 message. Sealed at rest (it holds the
/// recipient's address and name) and emptied once delivered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    #[serde(with = "b64")]
    pub message: Vec<u8>,
}

mod b64 {
    use base64::Engine;
    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v))
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        base64::engine::general_purpose::STANDARD.decode(s).map_err(serde::de::Error::custom)
    }
}

fn outbox_aad(id: &str) -> Vec<u8> {
    format!("outbox:{id}").into_bytes()
}

/// Queues a mail, inside the caller's transaction (so the mail exists exactly when the change
/// that sends it does).
#[allow(clippy::too_many_arguments)]
pub async fn enqueue(
    conn: &mut Conn,
    crypto: &Crypto,
    id: &str,
    kind: &str,
    contact_id: Option<&str>,
    message_id: &str,
    mail: &Mail,
    now: i64,
) -> Result<()> {
    let key = crypto.new_subject_key();
    let subject = format!("outbox:{id}");
    sqlx::query(
        "INSERT INTO outbox (id, kind, contact_id, message_id, created_at, next_attempt_at, wrapped_key, sealed) VALUES ($1, $2, $3, $4, $5, $5, $6, $7)",
    )
    .bind(id)
    .bind(kind)
    .bind(contact_id.map(str::to_string))
    .bind(message_id)
    .bind(now)
    .bind(crypto.wrap(&subject, &key))
    .bind(key.seal_json(&outbox_aad(id), mail))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A queued mail this process leased for delivery.
#[derive(Debug, Clone)]
pub struct Leased {
    pub id: String,
    pub kind: String,
    pub message_id: String,
    pub attempts: i64,
    pub mail: Mail,
}

/// Leases up to `limit` due mails for `lease_ms`: another process (a CLI beside the server)
/// skips them meanwhile. Mails to a restricted contact (Art. 18) wait, except those about its
/// own data subject request (kinds `dsr…`); a process that died mid-delivery gives its mails
/// back when their lease ends.
pub async fn lease_due(conn: &mut Conn, crypto: &Crypto, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<Leased>> {
    let ids: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
         AND (lease_until IS NULL OR lease_until <= $1) \
         AND (contact_id IS NULL OR kind LIKE 'dsr%' OR contact_id NOT IN (SELECT id FROM contacts WHERE restricted_at IS NOT NULL)) \
         ORDER BY next_attempt_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for (id,) in ids {
        let n = sqlx::query(
            "UPDATE outbox SET lease_until = $1, attempts = attempts + 1 WHERE id = $2 AND sent_at IS NULL AND failed_at IS NULL \
             AND (lease_until IS NULL OR lease_until <= $3)",
        )
        .bind(now + lease_ms)
        .bind(&id)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if n != 1 {
            continue;
        }
        let row: (String, String, i64, Option<Vec<u8>>, Option<Vec<u8>>) =
            sqlx::query_as("SELECT kind, message_id, attempts, wrapped_key, sealed FROM outbox WHERE id = $1")
                .bind(&id)
                .fetch_one(&mut *conn)
                .await?;
        let (Some(wrapped), Some(sealed)) = (row.3, row.4) else { continue };
        let key = crypto.unwrap_key(&format!("outbox:{id}"), &wrapped)?;
        let mail: Mail = key.open_json(&outbox_aad(&id), &sealed)?;
        out.push(Leased { id, kind: row.0, message_id: row.1, attempts: row.2, mail });
    }
    Ok(out)
}

/// Delivered: the message itself is deleted (its key and sealed body), the record stays.
pub async fn mark_sent(conn: &mut Conn, id: &str, now: i64, transport: &str) -> Result<()> {
    sqlx::query("UPDATE outbox SET sent_at = $1, transport = $2, lease_until = NULL, last_error = NULL, wrapped_key = NULL, sealed = NULL WHERE id = $3")
        .bind(now)
        .bind(transport)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Mails the file transport delivered before `sent_before` whose file is still there: (id,
/// message id), oldest first.
pub async fn delivered_files(conn: &mut Conn, sent_before: i64, limit: i64) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, message_id FROM outbox WHERE transport = 'file' AND file_removed_at IS NULL AND sent_at <= $1 ORDER BY sent_at LIMIT $2",
    )
    .bind(sent_before)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// The file transport's copy of a mail was removed.
pub async fn mark_file_removed(conn: &mut Conn, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE outbox SET file_removed_at = $1 WHERE id = $2").bind(now).bind(id).execute(&mut *conn).await?;
    Ok(())
}

/// A temporary failure: try again at `next_at`.
pub async fn mark_retry(conn: &mut Conn, id: &str, next_at: i64, error: &str) -> Result<()> {
    sqlx::query("UPDATE outbox SET next_attempt_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3")
        .bind(next_at)
        .bind(error)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Refused for good (or out of attempts): kept, with the reason, for the operator to see.
pub async fn mark_failed(conn: &mut Conn, id: &str, now: i64, error: &str) -> Result<()> {
    sqlx::query("UPDATE outbox SET failed_at = $1, lease_until = NULL, last_error = $2, wrapped_key = NULL, sealed = NULL WHERE id = $3")
        .bind(now)
        .bind(error)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One outbox entry as the operator sees it (no address, no body).
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutboxEntry {
    pub id: String,
    pub kind: String,
    pub contact_id: Option<String>,
    pub message_id: String,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<String>,
    pub transport: Option<String>,
}

pub async fn list_outbox(conn: &mut Conn, limit: i64) -> Result<Vec<OutboxEntry>> {
    let rows: Vec<(String, String, Option<String>, String, i64, i64, i64, Option<i64>, Option<i64>, Option<String>, Option<String>)> =
        sqlx::query_as(
            "SELECT id, kind, contact_id, message_id, created_at, attempts, next_attempt_at, sent_at, failed_at, last_error, transport \
         FROM outbox ORDER BY created_at DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| OutboxEntry {
            id: r.0,
            kind: r.1,
            contact_id: r.2,
            message_id: r.3,
            created_at: r.4,
            attempts: r.5,
            next_attempt_at: r.6,
            sent_at: r.7,
            failed_at: r.8,
            last_error: r.9,
            transport: r.10,
        })
        .collect())
}
