//! Double opt-in tokens: what a confirmation link is bound to, stored by hash, claimed once,
//! and counted per address for the request throttle.

use crate::db::Conn;
use crate::error::{Result, StoreError};
use obhut_core::consent::Channel;
use sha2::{Digest, Sha256};

/// What a confirmation link's token is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub request_id: String,
    pub contact_id: String,
    pub purpose: String,
    pub channel: Channel,
    pub topic: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// What claiming a token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Unused and in time: it is now used.
    Claimed(TokenRow),
    Used(TokenRow),
    Expired(TokenRow),
    Unknown,
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_token(
    conn: &mut Conn,
    token: &str,
    request_id: &str,
    contact_id: &str,
    purpose: &str,
    channel: Channel,
    topic: &str,
    address_blind: &[u8],
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO consent_tokens (token_hash, request_id, contact_id, purpose, channel, topic, address_blind, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(token_hash(token))
    .bind(request_id)
    .bind(contact_id)
    .bind(purpose)
    .bind(channel.as_str())
    .bind(topic)
    .bind(address_blind.to_vec())
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

type TokenDbRow = (String, String, String, String, String, i64, Option<i64>);

fn token_row(r: TokenDbRow) -> Result<TokenRow> {
    Ok(TokenRow {
        request_id: r.0,
        contact_id: r.1,
        purpose: r.2,
        channel: Channel::parse(&r.3).map_err(StoreError::Corrupt)?,
        topic: r.4,
        expires_at: r.5,
        used_at: r.6,
    })
}

/// Looks a token up without using it.
pub async fn peek_token(conn: &mut Conn, token: &str, now: i64) -> Result<Claim> {
    let row: Option<TokenDbRow> = sqlx::query_as(
        "SELECT request_id, contact_id, purpose, channel, topic, expires_at, used_at FROM consent_tokens WHERE token_hash = $1",
    )
    .bind(token_hash(token))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(Claim::Unknown) };
    let t = token_row(r)?;
    Ok(if t.used_at.is_some() {
        Claim::Used(t)
    } else if t.expires_at <= now {
        Claim::Expired(t)
    } else {
        Claim::Claimed(t)
    })
}

/// Uses a token once: of two concurrent claims exactly one gets [`Claim::Claimed`].
pub async fn claim_token(conn: &mut Conn, token: &str, now: i64) -> Result<Claim> {
    let n = sqlx::query("UPDATE consent_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1")
        .bind(now)
        .bind(token_hash(token))
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let found = peek_token(conn, token, now).await?;
    Ok(match found {
        Claim::Used(t) if n == 1 => Claim::Claimed(t),
        // Not claimed by this call: whatever it is now, it was not ours.
        Claim::Claimed(t) => Claim::Used(t),
        other => other,
    })
}

/// Requests sent to one address (by its blind index) since `since`.
/// Returns how many, and when the oldest of them was sent.
pub async fn requests_since(conn: &mut Conn, address_blind: &[u8], since: i64) -> Result<(i64, Option<i64>)> {
    let n: (i64, Option<i64>) =
        sqlx::query_as("SELECT COUNT(*), MIN(created_at) FROM consent_tokens WHERE address_blind = $1 AND created_at >= $2")
            .bind(address_blind.to_vec())
            .bind(since)
            .fetch_one(&mut *conn)
            .await?;
    Ok(n)
}
