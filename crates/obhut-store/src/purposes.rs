//! The purpose registry and the controller's details: the Art. 30 record, versioned.

use crate::db::Conn;
use crate::error::{Result, StoreError};
use obhut_core::purpose::{Controller, Purpose};

/// All purposes, by key.
pub async fn list_purposes(conn: &mut Conn) -> Result<Vec<Purpose>> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT body, version FROM purposes ORDER BY purpose_key").fetch_all(&mut *conn).await?;
    rows.into_iter()
        .map(|(body, version)| {
            let mut p: Purpose = serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("purpose: {e}")))?;
            p.version = version;
            Ok(p.with_default_texts())
        })
        .collect()
}

/// Saves a purpose as its next version (the first is 1) and keeps the version before.
/// Runs inside the caller's transaction; returns the new version.
pub async fn save_purpose(conn: &mut Conn, p: &Purpose, now: i64, by: &str) -> Result<i64> {
    p.check().map_err(StoreError::Invalid)?;
    let current: Option<(i64,)> =
        sqlx::query_as("SELECT version FROM purposes WHERE purpose_key = $1").bind(&p.key).fetch_optional(&mut *conn).await?;
    let version = current.map_or(1, |c| c.0 + 1);
    let mut stored = p.clone();
    stored.version = version;
    let body = serde_json::to_string(&stored).map_err(|e| StoreError::Invalid(e.to_string()))?;
    sqlx::query(
        "INSERT INTO purposes (purpose_key, version, body, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (purpose_key) DO UPDATE SET version = excluded.version, body = excluded.body, \
         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(&p.key)
    .bind(version)
    .bind(&body)
    .bind(now)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    // The history keeps a copy of exactly what was just stored.
    sqlx::query(
        "INSERT INTO purpose_versions (purpose_key, version, body, changed_at, changed_by) \
         SELECT purpose_key, version, body, updated_at, updated_by FROM purposes WHERE purpose_key = $1",
    )
    .bind(&p.key)
    .execute(&mut *conn)
    .await?;
    Ok(version)
}

/// Every version of one purpose, oldest first: `(version, purpose, changed_at, changed_by)`.
pub async fn purpose_history(conn: &mut Conn, key: &str) -> Result<Vec<(i64, Purpose, i64, String)>> {
    let rows: Vec<(i64, String, i64, String)> =
        sqlx::query_as("SELECT version, body, changed_at, changed_by FROM purpose_versions WHERE purpose_key = $1 ORDER BY version")
            .bind(key)
            .fetch_all(&mut *conn)
            .await?;
    rows.into_iter()
        .map(|(v, body, at, by)| {
            let p: Purpose = serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("purpose: {e}")))?;
            Ok((v, p, at, by))
        })
        .collect()
}

/// The controller's details; the defaults until the DPO fills them in.
pub async fn controller(conn: &mut Conn) -> Result<Controller> {
    let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT value FROM settings WHERE name = 'controller'").fetch_optional(&mut *conn).await?;
    match row {
        Some((v,)) => serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt(format!("controller: {e}"))),
        None => Ok(Controller::default()),
    }
}

pub async fn save_controller(conn: &mut Conn, c: &Controller) -> Result<()> {
    let v = serde_json::to_vec(c).map_err(|e| StoreError::Invalid(e.to_string()))?;
    sqlx::query("INSERT INTO settings (name, value) VALUES ('controller', $1) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
        .bind(v)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
