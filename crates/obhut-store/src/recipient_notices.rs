//! Art. 19 GDPR: the recipients of a contact's data are told of its rectification, erasure or
//! restriction. One task per recipient and event, tracked until someone marks it done with a
//! note (sealed under the installation key) on how the recipient was told.

use crate::audit::AuditEvent;
use crate::crypto::Crypto;
use crate::db::Conn;
use crate::error::{Result, StoreError};

/// A notification task as stored, its note opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: String,
    pub recipient: String,
    pub contact_id: String,
    /// rectification, erasure, restriction or restriction_lifted.
    pub event: String,
    pub case_id: Option<String>,
    pub created_at: i64,
    pub created_by: String,
    pub done_at: Option<i64>,
    pub done_by: Option<String>,
    pub note: Option<String>,
}

const COLS: &str = "id, recipient, contact_id, event, case_id, created_at, created_by, done_at, done_by, note";

type Row = (String, String, String, String, Option<String>, i64, String, Option<i64>, Option<String>, Option<Vec<u8>>);

fn note_aad(id: &str) -> Vec<u8> {
    format!("recipient-notice:{id}").into_bytes()
}

fn from_row(crypto: &Crypto, r: Row) -> Result<Notice> {
    let note =
        r.9.map(|b| {
            let plain = crypto.open(&note_aad(&r.0), &b).map_err(|_| StoreError::Corrupt("notice note".into()))?;
            String::from_utf8(plain).map_err(|_| StoreError::Corrupt("notice note".into()))
        })
        .transpose()?;
    Ok(Notice {
        id: r.0,
        recipient: r.1,
        contact_id: r.2,
        event: r.3,
        case_id: r.4,
        created_at: r.5,
        created_by: r.6,
        done_at: r.7,
        done_by: r.8,
        note,
    })
}

/// The events of the audit trail that disclosed a contact's data to a recipient (a processor's
/// access, a named export), oldest first. With [`crate::consent::uses::disclosures_of`] (audience
/// exports) this is the disclosure log of Art. 19.
pub async fn disclosure_events(conn: &mut Conn, contact_id: &str) -> Result<Vec<AuditEvent>> {
    let rows: Vec<crate::audit::VerifyRow> = sqlx::query_as(
        "SELECT seq, at, actor, action, record_type, record_id, subject_id, fields, detail, purpose, prev_hash, hash, payload_hash, \
         redacted_at, recipient FROM audit_events WHERE subject_id = $1 AND recipient IS NOT NULL AND recipient <> '' ORDER BY seq",
    )
    .bind(contact_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(crate::audit::from_verify_row).collect())
}

/// Stores new tasks (inside the caller's transaction).
pub async fn insert(conn: &mut Conn, notices: &[Notice]) -> Result<()> {
    for n in notices {
        sqlx::query(&format!("INSERT INTO recipient_notices ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, NULL)"))
            .bind(&n.id)
            .bind(&n.recipient)
            .bind(&n.contact_id)
            .bind(&n.event)
            .bind(&n.case_id)
            .bind(n.created_at)
            .bind(&n.created_by)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Which tasks to list; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct NoticeFilter {
    pub open_only: bool,
    pub case_id: Option<String>,
    pub contact_id: Option<String>,
}

/// Tasks, open ones first and oldest first, at most `limit`.
pub async fn list(conn: &mut Conn, crypto: &Crypto, f: &NoticeFilter, limit: i64) -> Result<Vec<Notice>> {
    let mut w = Vec::new();
    let mut args = Vec::new();
    if f.open_only {
        w.push("done_at IS NULL".to_string());
    }
    if let Some(c) = &f.case_id {
        args.push(c.clone());
        w.push(format!("case_id = ${}", args.len()));
    }
    if let Some(c) = &f.contact_id {
        args.push(c.clone());
        w.push(format!("contact_id = ${}", args.len()));
    }
    let wh = if w.is_empty() { String::new() } else { format!(" WHERE {}", w.join(" AND ")) };
    let sql = format!(
        "SELECT {COLS} FROM recipient_notices{wh} ORDER BY CASE WHEN done_at IS NULL THEN 0 ELSE 1 END, created_at, recipient, id LIMIT {}",
        limit.clamp(1, 10_000)
    );
    let mut q = sqlx::query_as::<_, Row>(&sql);
    for a in &args {
        q = q.bind(a.clone());
    }
    q.fetch_all(&mut *conn).await?.into_iter().map(|r| from_row(crypto, r)).collect()
}

/// One task by id.
pub async fn find(conn: &mut Conn, crypto: &Crypto, id: &str) -> Result<Option<Notice>> {
    let row: Option<Row> =
        sqlx::query_as(&format!("SELECT {COLS} FROM recipient_notices WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    row.map(|r| from_row(crypto, r)).transpose()
}

/// Marks an open task done with its note (sealed). `false` when it is unknown or done already.
pub async fn mark_done(conn: &mut Conn, crypto: &Crypto, id: &str, at: i64, by: &str, note: &str) -> Result<bool> {
    let n = sqlx::query("UPDATE recipient_notices SET done_at = $2, done_by = $3, note = $4 WHERE id = $1 AND done_at IS NULL")
        .bind(id)
        .bind(at)
        .bind(by)
        .bind(crypto.seal(&note_aad(id), note.as_bytes()))
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}
