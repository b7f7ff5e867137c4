//! Data subject request cases. Free text is sealed under the installation key.

use crate::crypto::Crypto;
use crate::db::Conn;
use crate::error::{Result, StoreError};

/// A case as stored, its free text opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub id: String,
    pub reference: String,
    pub kind: String,
    pub contact_id: String,
    pub received_on: String,
    pub received_via: String,
    pub due_on: String,
    pub first_due_on: String,
    pub extended_at: Option<i64>,
    pub extension_reason: Option<String>,
    pub person_informed_on: Option<String>,
    pub identity_check: Option<String>,
    pub identity_note: Option<String>,
    pub identity_checked_at: Option<i64>,
    pub status: String,
    pub closing_reason: Option<String>,
    pub closed_at: Option<i64>,
    pub reminded: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// A rectification (Art. 16) made through the case: when, and the fields it corrected.
    pub rectified_at: Option<i64>,
    pub rectified_fields: Vec<String>,
}

const COLS: &str = "id, reference, kind, contact_id, received_on, received_via, due_on, first_due_on, extended_at, extension_reason, \
     person_informed_on, identity_check, identity_note, identity_checked_at, status, closing_reason, closed_at, reminded, \
     created_by, created_at, updated_at";
const READ_COLS: &str = "id, reference, kind, contact_id, received_on, received_via, due_on, first_due_on, extended_at, extension_reason, \
     person_informed_on, identity_check, identity_note, identity_checked_at, status, closing_reason, closed_at, reminded, \
     created_by, created_at, updated_at, rectified_at, rectified_fields";

fn aad(id: &str, field: &str) -> Vec<u8> {
    format!("dsr-case:{id}:{field}").into_bytes()
}

fn seal(crypto: &Crypto, id: &str, field: &str, v: &Option<String>) -> Option<Vec<u8>> {
    v.as_ref().map(|t| crypto.seal(&aad(id, field), t.as_bytes()))
}

fn open(crypto: &Crypto, id: &str, field: &str, v: Option<Vec<u8>>) -> Result<Option<String>> {
    v.map(|b| {
        let plain = crypto.open(&aad(id, field), &b).map_err(|_| StoreError::Corrupt(format!("case {field}")))?;
        String::from_utf8(plain).map_err(|_| StoreError::Corrupt(format!("case {field}")))
    })
    .transpose()
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    reference: String,
    kind: String,
    contact_id: String,
    received_on: String,
    received_via: String,
    due_on: String,
    first_due_on: String,
    extended_at: Option<i64>,
    extension_reason: Option<Vec<u8>>,
    person_informed_on: Option<String>,
    identity_check: Option<String>,
    identity_note: Option<Vec<u8>>,
    identity_checked_at: Option<i64>,
    status: String,
    closing_reason: Option<Vec<u8>>,
    closed_at: Option<i64>,
    reminded: Option<String>,
    created_by: String,
    created_at: i64,
    updated_at: i64,
    rectified_at: Option<i64>,
    rectified_fields: Option<String>,
}

fn from_row(crypto: &Crypto, r: Row) -> Result<Case> {
    Ok(Case {
        extension_reason: open(crypto, &r.id, "extension_reason", r.extension_reason)?,
        identity_note: open(crypto, &r.id, "identity_note", r.identity_note)?,
        closing_reason: open(crypto, &r.id, "closing_reason", r.closing_reason)?,
        id: r.id,
        reference: r.reference,
        kind: r.kind,
        contact_id: r.contact_id,
        received_on: r.received_on,
        received_via: r.received_via,
        due_on: r.due_on,
        first_due_on: r.first_due_on,
        extended_at: r.extended_at,
        person_informed_on: r.person_informed_on,
        identity_check: r.identity_check,
        identity_checked_at: r.identity_checked_at,
        status: r.status,
        closed_at: r.closed_at,
        reminded: r.reminded,
        created_by: r.created_by,
        created_at: r.created_at,
        updated_at: r.updated_at,
        rectified_at: r.rectified_at,
        rectified_fields: r.rectified_fields.unwrap_or_default().split(',').filter(|f| !f.is_empty()).map(str::to_string).collect(),
    })
}

/// The next free reference of a year: `DSR-2026-0001`, …
pub async fn next_reference(conn: &mut Conn, year: i32) -> Result<String> {
    let prefix = format!("DSR-{year}-");
    let n: (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM dsr_cases WHERE reference LIKE $1").bind(format!("{prefix}%")).fetch_one(&mut *conn).await?;
    Ok(format!("{prefix}{:04}", n.0 + 1))
}

pub async fn insert(conn: &mut Conn, crypto: &Crypto, c: &Case) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO dsr_cases ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
    ))
    .bind(&c.id)
    .bind(&c.reference)
    .bind(&c.kind)
    .bind(&c.contact_id)
    .bind(&c.received_on)
    .bind(&c.received_via)
    .bind(&c.due_on)
    .bind(&c.first_due_on)
    .bind(c.extended_at)
    .bind(seal(crypto, &c.id, "extension_reason", &c.extension_reason))
    .bind(&c.person_informed_on)
    .bind(&c.identity_check)
    .bind(seal(crypto, &c.id, "identity_note", &c.identity_note))
    .bind(c.identity_checked_at)
    .bind(&c.status)
    .bind(seal(crypto, &c.id, "closing_reason", &c.closing_reason))
    .bind(c.closed_at)
    .bind(&c.reminded)
    .bind(&c.created_by)
    .bind(c.created_at)
    .bind(c.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes a case's changing parts back.
pub async fn update(conn: &mut Conn, crypto: &Crypto, c: &Case) -> Result<()> {
    let n = sqlx::query(
        "UPDATE dsr_cases SET due_on = $2, extended_at = $3, extension_reason = $4, person_informed_on = $5, identity_check = $6, \
         identity_note = $7, identity_checked_at = $8, status = $9, closing_reason = $10, closed_at = $11, reminded = $12, updated_at = $13 \
         WHERE id = $1",
    )
    .bind(&c.id)
    .bind(&c.due_on)
    .bind(c.extended_at)
    .bind(seal(crypto, &c.id, "extension_reason", &c.extension_reason))
    .bind(&c.person_informed_on)
    .bind(&c.identity_check)
    .bind(seal(crypto, &c.id, "identity_note", &c.identity_note))
    .bind(c.identity_checked_at)
    .bind(&c.status)
    .bind(seal(crypto, &c.id, "closing_reason", &c.closing_reason))
    .bind(c.closed_at)
    .bind(&c.reminded)
    .bind(c.updated_at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound("case"))
    }
}

/// A case by its id or its reference.
pub async fn find(conn: &mut Conn, crypto: &Crypto, id_or_reference: &str) -> Result<Option<Case>> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {READ_COLS} FROM dsr_cases WHERE id = $1 OR reference = $1"))
        .bind(id_or_reference)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| from_row(crypto, r)).transpose()
}

/// Cases by due date (open ones first), at most `limit`.
pub async fn list(conn: &mut Conn, crypto: &Crypto, open_only: bool, limit: i64) -> Result<Vec<Case>> {
    let wh = if open_only { " WHERE status IN ('received', 'in_progress')" } else { "" };
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {READ_COLS} FROM dsr_cases{wh} ORDER BY CASE WHEN status IN ('received', 'in_progress') THEN 0 ELSE 1 END, due_on, reference LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(|r| from_row(crypto, r)).collect()
}

/// The open case of a kind for a contact, if there is one.
pub async fn open_case(conn: &mut Conn, contact_id: &str, kind: &str) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT reference FROM dsr_cases WHERE contact_id = $1 AND kind = $2 AND status IN ('received', 'in_progress') LIMIT 1",
    )
    .bind(contact_id)
    .bind(kind)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.0))
}

/// A pending identity code of a case: its keyed hash, expiry and failed attempts.
pub async fn put_identity_code(conn: &mut Conn, case_id: &str, code_hash: &[u8], expires_at: i64, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO dsr_identity_codes (case_id, code_hash, expires_at, attempts, created_at) VALUES ($1, $2, $3, 0, $4) \
         ON CONFLICT (case_id) DO UPDATE SET code_hash = $2, expires_at = $3, attempts = 0, created_at = $4",
    )
    .bind(case_id)
    .bind(code_hash)
    .bind(expires_at)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The pending code of a case: (hash, expires_at, attempts).
pub async fn identity_code(conn: &mut Conn, case_id: &str) -> Result<Option<(Vec<u8>, i64, i64)>> {
    Ok(sqlx::query_as("SELECT code_hash, expires_at, attempts FROM dsr_identity_codes WHERE case_id = $1")
        .bind(case_id)
        .fetch_optional(&mut *conn)
        .await?)
}

/// Counts a wrong code.
pub async fn count_code_attempt(conn: &mut Conn, case_id: &str) -> Result<()> {
    sqlx::query("UPDATE dsr_identity_codes SET attempts = attempts + 1 WHERE case_id = $1").bind(case_id).execute(&mut *conn).await?;
    Ok(())
}

/// Removes a case's code (used, or the case closed).
pub async fn delete_identity_code(conn: &mut Conn, case_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM dsr_identity_codes WHERE case_id = $1").bind(case_id).execute(&mut *conn).await?;
    Ok(())
}

/// Records on a case the rectification made through it: when, and which fields (names only).
pub async fn record_rectification(conn: &mut Conn, id: &str, at: i64, fields: &[String]) -> Result<()> {
    sqlx::query("UPDATE dsr_cases SET rectified_at = $2, rectified_fields = $3, updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(at)
        .bind(fields.join(","))
        .execute(&mut *conn)
        .await?;
    Ok(())
}
