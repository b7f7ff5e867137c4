//! Restriction of processing (Art. 18 GDPR): a restricted contact is only stored. The flag
//! (`restricted_at`) is what every list, search, audience and export filters by; beside it the
//! reason (sealed under the installation key), the calendar day it ends where it ends at a
//! date, who restricted it and under which request case.

use crate::crypto::Crypto;
use crate::db::Conn;
use crate::error::{Result, StoreError};

/// A contact's restriction as stored, its reason opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restriction {
    pub contact_id: String,
    /// Milliseconds since 1970.
    pub restricted_at: i64,
    /// `YYYY-MM-DD`: the restriction ends at this day (for example when a legal duty to keep ends).
    pub until: Option<String>,
    pub restricted_by: Option<String>,
    pub reason: Option<String>,
    pub case_id: Option<String>,
}

fn reason_aad(contact_id: &str) -> Vec<u8> {
    format!("restriction-reason:{contact_id}").into_bytes()
}

/// Restricts processing of a contact inside the caller's transaction: from `at` (ms), until
/// the calendar day `until` if given, by `actor`, for `reason` (sealed), under `case_id`.
/// A contact already restricted gets the new details (the earlier time is kept). Returns
/// `false` when there is no such contact. The caller writes the audit event in the same
/// transaction (the retention rules do so through `services::rights::restrict_within`).
#[allow(clippy::too_many_arguments)]
pub async fn set_restricted(
    conn: &mut Conn,
    crypto: &Crypto,
    contact_id: &str,
    at: i64,
    until: Option<time::Date>,
    actor: &str,
    reason: &str,
    case_id: Option<&str>,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE contacts SET restricted_at = COALESCE(restricted_at, $2), restricted_until = $3, restricted_by = $4, \
         restriction_reason = $5, restriction_case_id = $6 WHERE id = $1",
    )
    .bind(contact_id)
    .bind(at)
    .bind(until.map(|d| d.to_string()))
    .bind(actor)
    .bind(crypto.seal(&reason_aad(contact_id), reason.as_bytes()))
    .bind(case_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Lifts a restriction inside the caller's transaction. Returns `false` when the contact does
/// not exist or was not restricted.
pub async fn lift(conn: &mut Conn, contact_id: &str) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE contacts SET restricted_at = NULL, restricted_until = NULL, restricted_by = NULL, restriction_reason = NULL, \
         restriction_case_id = NULL WHERE id = $1 AND restricted_at IS NOT NULL",
    )
    .bind(contact_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

type Row = (String, Option<i64>, Option<String>, Option<String>, Option<Vec<u8>>, Option<String>);

/// The restriction of a contact, if it is restricted.
pub async fn find(conn: &mut Conn, crypto: &Crypto, contact_id: &str) -> Result<Option<Restriction>> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, restricted_at, restricted_until, restricted_by, restriction_reason, restriction_case_id FROM contacts WHERE id = $1",
    )
    .bind(contact_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, Some(at), until, by, reason, case_id)) = row else { return Ok(None) };
    let reason = reason
        .map(|b| {
            let plain = crypto.open(&reason_aad(&id), &b).map_err(|_| StoreError::Corrupt("restriction reason".into()))?;
            String::from_utf8(plain).map_err(|_| StoreError::Corrupt("restriction reason".into()))
        })
        .transpose()?;
    Ok(Some(Restriction { contact_id: id, restricted_at: at, until, restricted_by: by, reason, case_id }))
}

/// Contacts whose restriction ends on or before `day` (`YYYY-MM-DD`), at most `limit`: for the
/// retention rules that restricted them until a date.
pub async fn ending_by(conn: &mut Conn, day: &str, limit: i64) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, restricted_until FROM contacts WHERE restricted_at IS NOT NULL AND restricted_until IS NOT NULL \
         AND restricted_until <= $1 ORDER BY restricted_until, id LIMIT $2",
    )
    .bind(day)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// Restriction of processing (Art. 18): the flag alone set (`Some(at)`) or lifted (`None`),
/// leaving the details as they are. Returns `false` when there is no such contact.
pub async fn set_restricted_at(conn: &mut Conn, contact_id: &str, at: Option<i64>) -> Result<bool> {
    Ok(sqlx::query("UPDATE contacts SET restricted_at = $1 WHERE id = $2")
        .bind(at)
        .bind(contact_id)
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 1)
}

/// When processing of a contact was restricted, if it is (and the contact exists).
pub async fn restricted_at(conn: &mut Conn, contact_id: &str) -> Result<Option<i64>> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT restricted_at FROM contacts WHERE id = $1").bind(contact_id).fetch_optional(&mut *conn).await?;
    Ok(row.and_then(|r| r.0))
}
