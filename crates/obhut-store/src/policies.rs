//! The gate's Cedar policies and the processors (Art. 28). Every saved policy set is kept as
//! a version; the newest is in force. Processors are kept as JSON documents, versioned.

use crate::db::Conn;
use crate::error::{Result, StoreError};
use obhut_core::processor::Processor;

/// The policy set in force and its version, if any was saved.
pub async fn current_policies(conn: &mut Conn) -> Result<Option<(i64, String)>> {
    Ok(sqlx::query_as("SELECT version, source FROM policy_versions ORDER BY version DESC LIMIT 1").fetch_optional(&mut *conn).await?)
}

/// Saves a policy set as the next version (validation is the caller's); returns the version.
pub async fn save_policies(conn: &mut Conn, source: &str, now: i64, by: &str) -> Result<i64> {
    let (last,): (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM policy_versions").fetch_one(&mut *conn).await?;
    let version = last.unwrap_or(0) + 1;
    sqlx::query("INSERT INTO policy_versions (version, source, saved_at, saved_by) VALUES ($1, $2, $3, $4)")
        .bind(version)
        .bind(source)
        .bind(now)
        .bind(by)
        .execute(&mut *conn)
        .await?;
    Ok(version)
}

/// Every saved version, newest first: `(version, saved_at, saved_by)`.
pub async fn policy_history(conn: &mut Conn) -> Result<Vec<(i64, i64, String)>> {
    Ok(sqlx::query_as("SELECT version, saved_at, saved_by FROM policy_versions ORDER BY version DESC").fetch_all(&mut *conn).await?)
}

pub async fn list_processors(conn: &mut Conn) -> Result<Vec<Processor>> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT body, version FROM processors ORDER BY processor_key").fetch_all(&mut *conn).await?;
    rows.into_iter().map(|(b, v)| parse(&b, v)).collect()
}

pub async fn find_processor(conn: &mut Conn, key: &str) -> Result<Option<Processor>> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT body, version FROM processors WHERE processor_key = $1").bind(key).fetch_optional(&mut *conn).await?;
    row.map(|(b, v)| parse(&b, v)).transpose()
}

fn parse(body: &str, version: i64) -> Result<Processor> {
    let mut p: Processor = serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("processor: {e}")))?;
    p.version = version;
    Ok(p)
}

/// Saves a processor as its next version; returns the version.
pub async fn save_processor(conn: &mut Conn, p: &Processor, now: i64, by: &str) -> Result<i64> {
    p.check().map_err(StoreError::Invalid)?;
    let current: Option<(i64,)> =
        sqlx::query_as("SELECT version FROM processors WHERE processor_key = $1").bind(&p.key).fetch_optional(&mut *conn).await?;
    let version = current.map_or(1, |c| c.0 + 1);
    let mut stored = p.clone();
    stored.version = version;
    let body = serde_json::to_string(&stored).map_err(|e| StoreError::Invalid(e.to_string()))?;
    sqlx::query(
        "INSERT INTO processors (processor_key, version, body, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (processor_key) DO UPDATE SET version = excluded.version, body = excluded.body, \
         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(&p.key)
    .bind(version)
    .bind(&body)
    .bind(now)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    Ok(version)
}
