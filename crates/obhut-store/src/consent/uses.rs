//! Uses of consents: each audience export, with its recipient, and the contacts whose consent
//! it used; read back as a contact's last use and as its disclosures (Art. 15(1)(c), Art. 19).

use crate::db::{rows_per_insert, values_placeholders, Conn};
use crate::error::Result;
use obhut_core::consent::Channel;

/// Records an export of an audience and, for each contact in it, a use of its consent.
#[allow(clippy::too_many_arguments)]
pub async fn record_export(
    conn: &mut Conn,
    id: &str,
    purpose: &str,
    channel: Channel,
    topic: &str,
    segment: &str,
    recipient: &str,
    actor: &str,
    at: i64,
    permitted: i64,
    excluded: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audience_exports (id, purpose, channel, topic, segment, recipient, actor, at, permitted, excluded) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(purpose)
    .bind(channel.as_str())
    .bind(topic)
    .bind(segment)
    .bind(recipient)
    .bind(actor)
    .bind(at)
    .bind(permitted)
    .bind(excluded)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Sets the final counts of a recorded export, once its rows are written (contacts without an
/// address for the purpose move from permitted to excluded while they are).
pub async fn update_export_counts(conn: &mut Conn, id: &str, permitted: i64, excluded: i64) -> Result<()> {
    sqlx::query("UPDATE audience_exports SET permitted = $1, excluded = $2 WHERE id = $3")
        .bind(permitted)
        .bind(excluded)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Appends uses of consents (one export, many contacts), many rows per statement.
pub async fn record_uses(
    conn: &mut Conn,
    export_id: &str,
    purpose: &str,
    channel: Channel,
    topic: &str,
    at: i64,
    contacts: &[String],
) -> Result<()> {
    for chunk in contacts.chunks(rows_per_insert(6)) {
        let sql = format!(
            "INSERT INTO consent_uses (contact_id, purpose, channel, topic, at, export_id) VALUES {}",
            values_placeholders(conn, chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q.bind(c.clone()).bind(purpose).bind(channel.as_str()).bind(topic).bind(at).bind(export_id);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// When the consent of a contact was last used (exported), if ever.
pub async fn last_use(conn: &mut Conn, contact_id: &str, purpose: &str, channel: Channel, topic: &str) -> Result<Option<i64>> {
    let row: (Option<i64>,) =
        sqlx::query_as("SELECT MAX(at) FROM consent_uses WHERE contact_id = $1 AND purpose = $2 AND channel = $3 AND topic = $4")
            .bind(contact_id)
            .bind(purpose)
            .bind(channel.as_str())
            .bind(topic)
            .fetch_one(&mut *conn)
            .await?;
    Ok(row.0)
}

/// The uses of a contact's consents, newest first: (purpose, channel, topic, at, export id).
pub async fn uses_of(conn: &mut Conn, contact_id: &str, limit: i64) -> Result<Vec<(String, String, String, i64, String)>> {
    Ok(sqlx::query_as("SELECT purpose, channel, topic, at, export_id FROM consent_uses WHERE contact_id = $1 ORDER BY at DESC LIMIT $2")
        .bind(contact_id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?)
}

/// One disclosure of a contact in an audience export: to whom, when, for which purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    pub export_id: String,
    pub recipient: String,
    pub purpose: String,
    pub channel: String,
    pub topic: String,
    pub at: i64,
}

/// The audience exports a contact was in, oldest first (Art. 15(1)(c), Art. 19).
pub async fn disclosures_of(conn: &mut Conn, contact_id: &str) -> Result<Vec<Disclosure>> {
    let rows: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT u.export_id, x.recipient, u.purpose, u.channel, u.topic, u.at FROM consent_uses u \
         JOIN audience_exports x ON x.id = u.export_id WHERE u.contact_id = $1 ORDER BY u.at, u.export_id",
    )
    .bind(contact_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(export_id, recipient, purpose, channel, topic, at)| Disclosure { export_id, recipient, purpose, channel, topic, at })
        .collect())
}
