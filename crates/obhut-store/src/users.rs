//! Staff accounts, API tokens, login sessions and the one-time setup token.

use crate::{parse_uuid, Conn, Result, StoreError};
use obhut_core::ids::UserId;
use obhut_core::user::{Role, Scope};

#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: UserId,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub language: Option<String>,
    pub created_at: i64,
    pub disabled: bool,
    /// Which standard records the user reaches: own, team or all.
    pub scope: Scope,
    pub teams: Vec<String>,
    /// For the role `processor`: the processor (Art. 28) whose grant confines the user.
    pub processor_key: Option<String>,
}

type Row = (String, String, String, String, Option<String>, i64, i64, String, String, Option<String>);
const COLS: &str = "u.id, u.username, u.password_hash, u.role, u.language, u.created_at, u.disabled, u.scope, u.teams, u.processor_key";
static SELECT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| format!("SELECT {COLS} FROM users u"));

fn from_row(r: Row) -> Result<UserRecord> {
    Ok(UserRecord {
        id: UserId(parse_uuid(&r.0)?),
        username: r.1,
        password_hash: r.2,
        role: Role::parse(&r.3).map_err(StoreError::Corrupt)?,
        language: r.4,
        created_at: r.5,
        disabled: r.6 != 0,
        scope: Scope::parse(&r.7).map_err(StoreError::Corrupt)?,
        teams: r.8.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect(),
        processor_key: r.9,
    })
}

/// Sets what a user reaches: role, scope, teams and (for processor users) the processor.
pub async fn set_access(
    conn: &mut Conn,
    id: UserId,
    role: Role,
    scope: Scope,
    teams: &[String],
    processor_key: Option<&str>,
) -> Result<bool> {
    let n = sqlx::query("UPDATE users SET role = $1, scope = $2, teams = $3, processor_key = $4 WHERE id = $5")
        .bind(role.as_str())
        .bind(scope.as_str())
        .bind(teams.join(","))
        .bind(processor_key.map(str::to_string))
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}

pub async fn insert_user(conn: &mut Conn, id: UserId, username: &str, password_hash: &str, role: Role, now: i64) -> Result<()> {
    let r = sqlx::query(
        "INSERT INTO users (id, username, password_hash, role, created_at, password_changed_at) VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(id.to_string())
    .bind(username)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await;
    match r {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(StoreError::Invalid(format!("a user named '{username}' exists already")))
        }
        Err(e) => Err(e.into()),
        Ok(_) => Ok(()),
    }
}

pub async fn find_user_by_name(conn: &mut Conn, username: &str) -> Result<Option<UserRecord>> {
    let r: Option<Row> = sqlx::query_as(&format!("{} WHERE u.username = $1", *SELECT)).bind(username).fetch_optional(&mut *conn).await?;
    r.map(from_row).transpose()
}

pub async fn find_user(conn: &mut Conn, id: UserId) -> Result<Option<UserRecord>> {
    let r: Option<Row> = sqlx::query_as(&format!("{} WHERE u.id = $1", *SELECT)).bind(id.to_string()).fetch_optional(&mut *conn).await?;
    r.map(from_row).transpose()
}

pub async fn list_users(conn: &mut Conn) -> Result<Vec<UserRecord>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{} ORDER BY u.username", *SELECT)).fetch_all(&mut *conn).await?;
    rows.into_iter().map(from_row).collect()
}

pub async fn count_users(conn: &mut Conn) -> Result<i64> {
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(&mut *conn).await?;
    Ok(n.0)
}

pub async fn update_password(conn: &mut Conn, id: UserId, hash: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn update_language(conn: &mut Conn, id: UserId, language: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE users SET language = $1 WHERE id = $2").bind(language).bind(id.to_string()).execute(&mut *conn).await?;
    Ok(())
}

pub async fn insert_token(
    conn: &mut Conn,
    user_id: UserId,
    token_hash: &[u8],
    label: Option<&str>,
    now: i64,
    expires_at: Option<i64>,
) -> Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query("INSERT INTO api_tokens (id, user_id, token_hash, label, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(user_id.to_string())
        .bind(token_hash.to_vec())
        .bind(label)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
    Ok(id)
}

/// The user a live (unrevoked, unexpired) token belongs to.
pub async fn find_token_user(conn: &mut Conn, token_hash: &[u8], now: i64) -> Result<Option<UserRecord>> {
    let r: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)"
    ))
    .bind(token_hash.to_vec())
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    r.map(from_row).transpose()
}

pub async fn insert_session(conn: &mut Conn, id_hash: &[u8], user_id: UserId, csrf: &str, now: i64, expires_at: i64) -> Result<()> {
    sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id_hash.to_vec())
        .bind(user_id.to_string())
        .bind(csrf)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The user, CSRF token and end time of a live session: not idle past its end, and opened
/// after `opened_after` (the absolute lifetime).
pub async fn find_session(conn: &mut Conn, id_hash: &[u8], now: i64, opened_after: i64) -> Result<Option<(UserRecord, String, i64)>> {
    #[allow(clippy::type_complexity)]
    let r: Option<(String, String, String, String, Option<String>, i64, i64, String, String, Option<String>, String, i64)> = sqlx::query_as(
        &format!("SELECT {COLS}, s.csrf_token, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.created_at > $3"),
    )
    .bind(id_hash.to_vec())
    .bind(now)
    .bind(opened_after)
    .fetch_optional(&mut *conn)
    .await?;
    match r {
        None => Ok(None),
        Some(r) => Ok(Some((from_row((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9))?, r.10, r.11))),
    }
}

/// Moves the end of a live session to `expires_at`.
pub async fn touch_session(conn: &mut Conn, id_hash: &[u8], expires_at: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET expires_at = $1 WHERE id_hash = $2")
        .bind(expires_at)
        .bind(id_hash.to_vec())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn delete_session(conn: &mut Conn, id_hash: &[u8]) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash.to_vec()).execute(&mut *conn).await?;
    Ok(())
}

/// Ends every session of a user (after a password change), except `keep`.
pub async fn delete_sessions_of(conn: &mut Conn, user_id: UserId, keep: Option<&[u8]>) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id.to_string())
        .bind(keep.map(|k| k.to_vec()).unwrap_or_default())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn delete_expired_sessions(conn: &mut Conn, now: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(&mut *conn).await?.rows_affected())
}

/// Replaces any earlier setup token: only the newest printed link works.
pub async fn replace_setup_token(conn: &mut Conn, token_hash: &[u8], now: i64, expires_at: i64) -> Result<()> {
    sqlx::query("DELETE FROM setup_tokens").execute(&mut *conn).await?;
    sqlx::query("INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES ($1, $2, $3)")
        .bind(token_hash.to_vec())
        .bind(now)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Consumes a setup token: true when it was live. It cannot be used twice.
pub async fn take_setup_token(conn: &mut Conn, token_hash: &[u8], now: i64) -> Result<bool> {
    let n = sqlx::query("DELETE FROM setup_tokens WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash.to_vec())
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}

pub async fn setup_token_valid(conn: &mut Conn, token_hash: &[u8], now: i64) -> Result<bool> {
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM setup_tokens WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash.to_vec())
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n.0 == 1)
}
