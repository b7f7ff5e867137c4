//! Erasure (Art. 17 GDPR) by crypto-shredding: the contact's row holds its only copy of the
//! subject key (wrapped by the master key). Deleting the row with its blind indexes, tags,
//! activities, tickets, tasks, pending consent tokens and queued mails destroys the key, so what the
//! audit trail sealed under it stays in the chain but can no longer be read. With SQLite's
//! `secure_delete` the freed pages are overwritten, and a checkpoint empties the WAL.
//!
//! What a legal duty keeps is not here: the consent proof has a key of its own (§ 7a UWG),
//! and the suppression list holds blind indexes only.

use crate::contacts::delete_contact;
use crate::crypto::Crypto;
use crate::db::Conn;
use crate::error::{Result, StoreError};
use obhut_core::ids::ContactId;

/// What an erasure removed beyond the rows: the message ids of the contact's mails, whose
/// delivered copies (files of the file transport) the caller deletes.
#[derive(Debug, Default)]
pub struct Erased {
    pub message_ids: Vec<String>,
}

/// Erases a contact inside the caller's transaction and records the erasure. `Ok(None)` when
/// there is no such contact.
pub async fn erase_contact(
    conn: &mut Conn,
    crypto: &Crypto,
    id: ContactId,
    at: i64,
    actor: &str,
    case_id: Option<&str>,
    reason: &str,
) -> Result<Option<Erased>> {
    let sid = id.to_string();
    let message_ids: Vec<(Option<String>,)> =
        sqlx::query_as("SELECT message_id FROM outbox WHERE contact_id = $1").bind(&sid).fetch_all(&mut *conn).await?;
    if !delete_contact(conn, id).await? {
        return Ok(None);
    }
    sqlx::query("DELETE FROM outbox WHERE contact_id = $1").bind(&sid).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM consent_tokens WHERE contact_id = $1").bind(&sid).execute(&mut *conn).await?;
    crate::retention::forget(conn, &sid).await?;
    record(conn, crypto, &sid, at, actor, case_id, reason).await?;
    Ok(Some(Erased { message_ids: message_ids.into_iter().filter_map(|m| m.0).collect() }))
}

fn reason_aad(contact_id: &str) -> Vec<u8> {
    format!("erasure-reason:{contact_id}").into_bytes()
}

/// Records an erasure (also when re-applied after a restore).
pub async fn record(
    conn: &mut Conn,
    crypto: &Crypto,
    contact_id: &str,
    at: i64,
    actor: &str,
    case_id: Option<&str>,
    reason: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO erasures (contact_id, erased_at, actor, case_id, reason) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (contact_id) DO NOTHING",
    )
    .bind(contact_id)
    .bind(at)
    .bind(actor)
    .bind(case_id)
    .bind(crypto.seal(&reason_aad(contact_id), reason.as_bytes()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One recorded erasure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureRecord {
    pub contact_id: String,
    pub erased_at: i64,
    pub actor: String,
    pub case_id: Option<String>,
    pub reason: String,
}

type Row = (String, i64, String, Option<String>, Vec<u8>);

fn open(crypto: &Crypto, r: Row) -> Result<ErasureRecord> {
    let reason = crypto.open(&reason_aad(&r.0), &r.4).map_err(|_| StoreError::Corrupt("erasure reason".into()))?;
    Ok(ErasureRecord {
        contact_id: r.0,
        erased_at: r.1,
        actor: r.2,
        case_id: r.3,
        reason: String::from_utf8(reason).map_err(|_| StoreError::Corrupt("erasure reason".into()))?,
    })
}

/// The erasure of a contact, if it was erased.
pub async fn find(conn: &mut Conn, crypto: &Crypto, contact_id: &str) -> Result<Option<ErasureRecord>> {
    let row: Option<Row> = sqlx::query_as("SELECT contact_id, erased_at, actor, case_id, reason FROM erasures WHERE contact_id = $1")
        .bind(contact_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| open(crypto, r)).transpose()
}

/// Every recorded erasure, oldest first.
pub async fn all(conn: &mut Conn, crypto: &Crypto) -> Result<Vec<ErasureRecord>> {
    let rows: Vec<Row> =
        sqlx::query_as("SELECT contact_id, erased_at, actor, case_id, reason FROM erasures ORDER BY erased_at, contact_id")
            .fetch_all(&mut *conn)
            .await?;
    rows.into_iter().map(|r| open(crypto, r)).collect()
}

/// Whether the database has the `erasures` table at all (one from before the migration that
/// added it has not, and has recorded no erasure). SQLite only: it reads `sqlite_master`, for
/// a restore that looks into the embedded database it is about to replace.
pub async fn has_erasures_table(conn: &mut Conn) -> Result<bool> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'erasures'").fetch_optional(&mut *conn).await?;
    Ok(row.is_some())
}
