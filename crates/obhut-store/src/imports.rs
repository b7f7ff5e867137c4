//! Import runs: each imported contact points to the run (file, checksum, actor) it came from.

use crate::db::Conn;
use crate::error::Result;
use obhut_core::ids::ImportRunId;

#[derive(Debug, Clone)]
pub struct ImportRun {
    pub id: ImportRunId,
    pub file_name: String,
    pub file_sha256: String,
    pub format: String,
    pub actor: String,
    pub started_at: i64,
}

pub async fn insert_import_run(conn: &mut Conn, r: &ImportRun) -> Result<()> {
    sqlx::query("INSERT INTO import_runs (id, file_name, file_sha256, format, actor, started_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(r.id.to_string())
        .bind(&r.file_name)
        .bind(&r.file_sha256)
        .bind(&r.format)
        .bind(&r.actor)
        .bind(r.started_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records the format the file turned out to have (`csv`, `vcard`), known once it was read.
pub async fn set_import_format(conn: &mut Conn, id: ImportRunId, format: &str) -> Result<()> {
    sqlx::query("UPDATE import_runs SET format = $1 WHERE id = $2").bind(format).bind(id.to_string()).execute(&mut *conn).await?;
    Ok(())
}

pub async fn finish_import_run(conn: &mut Conn, id: ImportRunId, total: i64, imported: i64, skipped: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE import_runs SET rows_total = $1, rows_imported = $2, rows_skipped = $3, finished_at = $4 WHERE id = $5")
        .bind(total)
        .bind(imported)
        .bind(skipped)
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// File name and start time of an import run, for a contact's origin.
pub async fn find_import_run(conn: &mut Conn, id: ImportRunId) -> Result<Option<(String, String, i64)>> {
    Ok(sqlx::query_as("SELECT file_name, file_sha256, started_at FROM import_runs WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?)
}
