//! Consent notices: the texts a person consents to, each saved as a numbered version with its
//! SHA-256, so an event names exactly the text that was shown.

use crate::db::Conn;
use crate::error::{Result, StoreError};
use obhut_core::consent::{Channel, Notice};
use sha2::{Digest, Sha256};

pub fn notice_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

type NoticeRow = (String, String, String, String, i64, String, String);

fn notice_of(r: NoticeRow) -> Result<Notice> {
    Ok(Notice {
        id: r.0,
        purpose: r.1,
        channel: Channel::parse(&r.2).map_err(StoreError::Corrupt)?,
        language: r.3,
        version: r.4,
        text: r.5,
        sha256: r.6,
    })
}

/// The newest notice for a purpose, channel and language.
pub async fn current_notice(conn: &mut Conn, purpose: &str, channel: Channel, language: &str) -> Result<Option<Notice>> {
    let row: Option<NoticeRow> = sqlx::query_as(
        "SELECT id, purpose, channel, language, version, body, sha256 FROM consent_notices \
         WHERE purpose = $1 AND channel = $2 AND language = $3 ORDER BY version DESC LIMIT 1",
    )
    .bind(purpose)
    .bind(channel.as_str())
    .bind(language)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(notice_of).transpose()
}

pub async fn notice_by_id(conn: &mut Conn, id: &str) -> Result<Option<Notice>> {
    let row: Option<NoticeRow> =
        sqlx::query_as("SELECT id, purpose, channel, language, version, body, sha256 FROM consent_notices WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    row.map(notice_of).transpose()
}

/// Every notice version, newest first.
pub async fn list_notices(conn: &mut Conn) -> Result<Vec<Notice>> {
    let rows: Vec<NoticeRow> = sqlx::query_as(
        "SELECT id, purpose, channel, language, version, body, sha256 FROM consent_notices ORDER BY purpose, channel, language, version DESC",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(notice_of).collect()
}

/// Saves a notice text as the next version (an unchanged text keeps its version).
pub async fn save_notice(
    conn: &mut Conn,
    purpose: &str,
    channel: Channel,
    language: &str,
    text: &str,
    now: i64,
    by: &str,
) -> Result<Notice> {
    let current = current_notice(conn, purpose, channel, language).await?;
    if let Some(n) = current.as_ref().filter(|n| n.text == text) {
        return Ok(n.clone());
    }
    let n = Notice {
        id: uuid::Uuid::now_v7().to_string(),
        purpose: purpose.into(),
        channel,
        language: language.into(),
        version: current.map_or(1, |c| c.version + 1),
        text: text.into(),
        sha256: notice_hash(text),
    };
    sqlx::query(
        "INSERT INTO consent_notices (id, purpose, channel, language, version, body, sha256, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&n.id)
    .bind(&n.purpose)
    .bind(channel.as_str())
    .bind(&n.language)
    .bind(n.version)
    .bind(&n.text)
    .bind(&n.sha256)
    .bind(now)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    Ok(n)
}
