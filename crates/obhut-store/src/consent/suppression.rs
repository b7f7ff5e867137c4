//! The suppression list (Art. 21(3) GDPR): blind indexes of identifiers that must not be
//! approached on a channel, whatever a consent says, and the contacts they point to.

use crate::contacts::{decode_tokens, BlindKind};
use crate::db::Conn;
use crate::error::{Result, StoreError};
use obhut_core::consent::Channel;

/// The blind index kind of a channel's identifiers (email and phone numbers; post has none).
pub fn blind_kind(channel: Channel) -> Option<BlindKind> {
    match channel {
        Channel::Email => Some(BlindKind::Email),
        Channel::Phone | Channel::Sms => Some(BlindKind::Phone),
        Channel::Post => None,
    }
}

/// Adds blind indexes of identifiers to the suppression list of a channel.
pub async fn suppress(conn: &mut Conn, tokens: &[Vec<u8>], channel: Channel, reason: &str, now: i64) -> Result<()> {
    for t in tokens {
        sqlx::query(
            "INSERT INTO suppressions (token, channel, reason, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (token, channel) DO NOTHING",
        )
        .bind(t.clone())
        .bind(channel.as_str())
        .bind(reason)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Takes identifiers off a channel's suppression list (the person lifted their objection).
pub async fn unsuppress(conn: &mut Conn, tokens: &[Vec<u8>], channel: Channel) -> Result<()> {
    for t in tokens {
        sqlx::query("DELETE FROM suppressions WHERE token = $1 AND channel = $2")
            .bind(t.clone())
            .bind(channel.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Whether any of these identifiers is suppressed on the channel.
pub async fn suppressed(conn: &mut Conn, tokens: &[Vec<u8>], channel: Channel) -> Result<bool> {
    for t in tokens {
        let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM suppressions WHERE token = $1 AND channel = $2")
            .bind(t.clone())
            .bind(channel.as_str())
            .fetch_one(&mut *conn)
            .await?;
        if n.0 > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The blind indexes of a contact's identifiers on a channel, from its stored index list.
pub fn channel_tokens(index_tokens: &[u8], channel: Channel) -> Result<Vec<Vec<u8>>> {
    let Some(kind) = blind_kind(channel) else { return Ok(Vec::new()) };
    Ok(decode_tokens(index_tokens)?.into_iter().filter(|t| t.kind == kind).map(|t| t.token.to_vec()).collect())
}

pub async fn contact_index_tokens(conn: &mut Conn, contact_id: &str) -> Result<Option<Vec<u8>>> {
    let row: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT index_tokens FROM contacts WHERE id = $1").bind(contact_id).fetch_optional(&mut *conn).await?;
    Ok(row.map(|r| r.0))
}

/// The contacts whose identifier on a channel is on its suppression list (an audience leaves
/// them out whatever their consent says).
pub async fn suppressed_contacts(conn: &mut Conn, channel: Channel) -> Result<std::collections::HashSet<String>> {
    let Some(kind) = blind_kind(channel) else { return Ok(Default::default()) };
    let rows: Vec<(Vec<u8>,)> = sqlx::query_as(
        "SELECT b.contact_id FROM suppressions s JOIN blind_indexes b ON b.kind = $1 AND b.token = s.token WHERE s.channel = $2",
    )
    .bind(kind.as_str())
    .bind(channel.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(b,)| uuid::Uuid::from_slice(&b).map(|u| u.to_string()).map_err(|_| StoreError::Corrupt("blind index contact".into())))
        .collect()
}
