//! Sign-in throttling kept in the database, so a restart or a second server sees it: failed
//! sign-ins per key (an account's pseudonym, a client network, a device), the devices that
//! signed in to an account before (only their cookie's hash), and the per-minute tally of
//! failures that becomes one audit event per account and network.

use crate::db::Conn;
use crate::error::Result;

/// Failed sign-ins under one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failures {
    pub key: String,
    pub failures: i64,
    pub last_failure_at: i64,
}

/// The failure counts of `keys` (keys without failures are absent).
pub async fn failures(conn: &mut Conn, keys: &[String]) -> Result<Vec<Failures>> {
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let row: Option<(i64, i64)> = sqlx::query_as("SELECT failures, last_failure_at FROM login_throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some((failures, last_failure_at)) = row {
            out.push(Failures { key: key.clone(), failures, last_failure_at });
        }
    }
    Ok(out)
}

/// Counts one more failure under `key`; a count whose last failure is older than
/// `forget_before` starts again at one. Returns the new count.
pub async fn add_failure(conn: &mut Conn, key: &str, now: i64, forget_before: i64) -> Result<i64> {
    let n: (i64,) = sqlx::query_as(
        "INSERT INTO login_throttle (key, failures, last_failure_at) VALUES ($1, 1, $2) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN login_throttle.last_failure_at < $3 THEN 1 ELSE login_throttle.failures + 1 END, \
           last_failure_at = $2 \
         RETURNING failures",
    )
    .bind(key)
    .bind(now)
    .bind(forget_before)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n.0)
}

/// Takes back one failure counted in advance (the attempt turned out right).
pub async fn take_back(conn: &mut Conn, key: &str) -> Result<()> {
    sqlx::query("UPDATE login_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0").bind(key).execute(&mut *conn).await?;
    Ok(())
}

/// Forgets the failures under `key` (a successful sign-in of the account or device).
pub async fn clear(conn: &mut Conn, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1").bind(key).execute(&mut *conn).await?;
    Ok(())
}

/// Removes counts whose last failure is older than `before`, and expired devices.
pub async fn delete_stale(conn: &mut Conn, before: i64, now: i64) -> Result<u64> {
    let a = sqlx::query("DELETE FROM login_throttle WHERE last_failure_at < $1").bind(before).execute(&mut *conn).await?.rows_affected();
    let b = sqlx::query("DELETE FROM login_devices WHERE expires_at <= $1").bind(now).execute(&mut *conn).await?.rows_affected();
    Ok(a + b)
}

/// Whether the device cookie with this hash is live and belongs to `user_id`.
pub async fn device_of(conn: &mut Conn, token_hash: &[u8], user_id: &str, now: i64) -> Result<bool> {
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM login_devices WHERE token_hash = $1 AND user_id = $2 AND expires_at > $3")
        .bind(token_hash.to_vec())
        .bind(user_id)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n.0 == 1)
}

/// Records (or renews) a device that signed in to `user_id`.
pub async fn save_device(conn: &mut Conn, token_hash: &[u8], user_id: &str, now: i64, expires_at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO login_devices (token_hash, user_id, created_at, last_used_at, expires_at) VALUES ($1, $2, $3, $3, $4) \
         ON CONFLICT (token_hash) DO UPDATE SET last_used_at = $3, expires_at = $4",
    )
    .bind(token_hash.to_vec())
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Failed sign-ins of one minute from one network against one account pseudonym.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// The minute's start, in ms.
    pub minute: i64,
    pub account: String,
    pub network: String,
    /// The account's id where the name is one.
    pub user_id: Option<String>,
    /// Wrong passwords or unknown names.
    pub failures: i64,
    /// Attempts refused unchecked while the throttle held.
    pub throttled: i64,
}

/// Adds to the tally of `t.minute` for its account and network.
pub async fn add_to_tally(conn: &mut Conn, t: &Tally) -> Result<()> {
    sqlx::query(
        "INSERT INTO login_failure_tally (minute, account, network, user_id, failures, throttled) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (minute, account, network) DO UPDATE SET \
           failures = login_failure_tally.failures + excluded.failures, \
           throttled = login_failure_tally.throttled + excluded.throttled, \
           user_id = COALESCE(login_failure_tally.user_id, excluded.user_id)",
    )
    .bind(t.minute)
    .bind(&t.account)
    .bind(&t.network)
    .bind(t.user_id.clone())
    .bind(t.failures)
    .bind(t.throttled)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether any tally of a minute before `minute` waits for its audit event.
pub async fn closed_tallies_wait(conn: &mut Conn, minute: i64) -> Result<bool> {
    let r: Option<(i64,)> =
        sqlx::query_as("SELECT minute FROM login_failure_tally WHERE minute < $1 LIMIT 1").bind(minute).fetch_optional(&mut *conn).await?;
    Ok(r.is_some())
}

/// Takes (deletes and returns) the tallies of the minutes before `minute`, oldest first.
pub async fn take_closed_tallies(conn: &mut Conn, minute: i64) -> Result<Vec<Tally>> {
    let rows: Vec<(i64, String, String, Option<String>, i64, i64)> = sqlx::query_as(
        "DELETE FROM login_failure_tally WHERE minute < $1 RETURNING minute, account, network, user_id, failures, throttled",
    )
    .bind(minute)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: Vec<Tally> =
        rows.into_iter().map(|r| Tally { minute: r.0, account: r.1, network: r.2, user_id: r.3, failures: r.4, throttled: r.5 }).collect();
    out.sort_by(|a, b| (a.minute, &a.account, &a.network).cmp(&(b.minute, &b.account, &b.network)));
    Ok(out)
}
