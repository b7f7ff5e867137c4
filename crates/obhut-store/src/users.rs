//! Staff accounts, API tokens, login sessions and the one-time setup token.

use crate::db::{parse_uuid, Conn};
use crate::error::{Result, StoreError};
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
    /// When the account was disabled (unknown for accounts disabled before this was kept).
    pub disabled_at: Option<i64>,
    /// The password was set by an administrator: the user must change it at the next sign-in.
    pub must_change_password: bool,
}

type Row = (String, String, String, String, Option<String>, i64, i64, String, String, Option<String>, Option<i64>, i64);
const COLS: &str = "u.id, u.username, u.password_hash, u.role, u.language, u.created_at, u.disabled, u.scope, u.teams, u.processor_key, \
                    u.disabled_at, u.must_change_password";
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
        disabled_at: r.10,
        must_change_password: r.11 != 0,
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

/// The user's own new password: it also clears "must change at next sign-in".
pub async fn update_password(conn: &mut Conn, id: UserId, hash: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2, must_change_password = 0 WHERE id = $3")
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

/// A live token as a request checks it: its id, when it was last used, and its user.
#[derive(Debug, Clone)]
pub struct TokenUser {
    pub token_id: String,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub user: UserRecord,
}

/// The live (unrevoked, unexpired) token with this hash and its user.
pub async fn find_token_user(conn: &mut Conn, token_hash: &[u8], now: i64) -> Result<Option<TokenUser>> {
    let r: Option<(
        String,
        Option<i64>,
        Option<i64>,
        String,
        String,
        String,
        String,
        Option<String>,
        i64,
        i64,
        String,
        String,
        Option<String>,
        Option<i64>,
        i64,
    )> = sqlx::query_as(&format!(
        "SELECT t.id, t.last_used_at, t.expires_at, {COLS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)"
    ))
    .bind(token_hash.to_vec())
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    match r {
        None => Ok(None),
        Some(r) => Ok(Some(TokenUser {
            token_id: r.0,
            last_used_at: r.1,
            expires_at: r.2,
            user: from_row((r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12, r.13, r.14))?,
        })),
    }
}

/// [`find_token_user`] through the synchronous SQLite readers when the store has them: every
/// API request asks, so it costs a point read of microseconds, and it always sees what another
/// process (the CLI) committed a moment ago.
pub async fn read_token_user(store: &crate::store::Store, token_hash: &[u8], now: i64) -> Result<Option<TokenUser>> {
    let Some(readers) = &store.readers else {
        let mut conn = store.pool.acquire().await?;
        return find_token_user(&mut conn, token_hash, now).await;
    };
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT t.id, t.last_used_at, t.expires_at, {COLS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?2)"
        )
    });
    let found = readers.with(|c| {
        use rusqlite::OptionalExtension;
        c.prepare_cached(&SQL)?
            .query_row(rusqlite::params![token_hash, now], |r| {
                let row: Row = (
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                    r.get(12)?,
                    r.get(13)?,
                    r.get(14)?,
                );
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?, r.get::<_, Option<i64>>(2)?, row))
            })
            .optional()
    })?;
    match found {
        None => Ok(None),
        Some((token_id, last_used_at, expires_at, row)) => Ok(Some(TokenUser { token_id, last_used_at, expires_at, user: from_row(row)? })),
    }
}

/// The counter every change to users, tokens and processors bumps (migration 0015): a value
/// seen before means nothing that decides who a token acts as has changed since.
pub async fn auth_epoch(store: &crate::store::Store) -> Result<i64> {
    const SQL: &str = "SELECT value FROM counters WHERE name = 'auth_epoch'";
    let Some(readers) = &store.readers else {
        let mut conn = store.pool.acquire().await?;
        return Ok(sqlx::query_as::<_, (i64,)>(SQL).fetch_optional(&mut *conn).await?.map_or(0, |r| r.0));
    };
    readers.with(|c| {
        use rusqlite::OptionalExtension;
        Ok(c.prepare_cached(SQL)?.query_row([], |r| r.get::<_, i64>(0)).optional()?.unwrap_or(0))
    })
}

/// Notes that a token was used at `now` (the caller writes this at most about once a minute).
pub async fn touch_token(conn: &mut Conn, token_id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)")
        .bind(now)
        .bind(token_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// An API token as administrators see it; the secret itself is never stored.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub id: String,
    pub user_id: UserId,
    pub username: String,
    pub label: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
}

impl TokenRecord {
    /// Neither revoked nor expired at `now`.
    pub fn live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

type TokenRow = (String, String, String, Option<String>, i64, Option<i64>, Option<i64>, Option<i64>, Option<String>);
const TOKEN_SELECT: &str =
    "SELECT t.id, t.user_id, u.username, t.label, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, t.revoked_by \
                            FROM api_tokens t JOIN users u ON u.id = t.user_id";

fn token_from_row(r: TokenRow) -> Result<TokenRecord> {
    Ok(TokenRecord {
        id: r.0,
        user_id: UserId(parse_uuid(&r.1)?),
        username: r.2,
        label: r.3,
        created_at: r.4,
        expires_at: r.5,
        last_used_at: r.6,
        revoked_at: r.7,
        revoked_by: r.8,
    })
}

/// Every token (of one user, or of all), by user name and newest first.
pub async fn list_tokens(conn: &mut Conn, user: Option<UserId>) -> Result<Vec<TokenRecord>> {
    let rows: Vec<TokenRow> = match user {
        Some(u) => {
            sqlx::query_as(&format!("{TOKEN_SELECT} WHERE t.user_id = $1 ORDER BY u.username, t.created_at DESC, t.id"))
                .bind(u.to_string())
                .fetch_all(&mut *conn)
                .await?
        }
        None => sqlx::query_as(&format!("{TOKEN_SELECT} ORDER BY u.username, t.created_at DESC, t.id")).fetch_all(&mut *conn).await?,
    };
    rows.into_iter().map(token_from_row).collect()
}

pub async fn find_token(conn: &mut Conn, id: &str) -> Result<Option<TokenRecord>> {
    let r: Option<TokenRow> = sqlx::query_as(&format!("{TOKEN_SELECT} WHERE t.id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    r.map(token_from_row).transpose()
}

/// Revokes one token; false when it was revoked already.
pub async fn revoke_token(conn: &mut Conn, id: &str, now: i64, by: &str) -> Result<bool> {
    let n = sqlx::query("UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL")
        .bind(now)
        .bind(by)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Revokes every live token of a user; returns how many.
pub async fn revoke_tokens_of(conn: &mut Conn, user_id: UserId, now: i64, by: &str) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 \
         WHERE user_id = $3 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)",
    )
    .bind(now)
    .bind(by)
    .bind(user_id.to_string())
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// How many live tokens each user has (users without any are left out).
pub async fn count_live_tokens(conn: &mut Conn, now: i64) -> Result<Vec<(UserId, i64)>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT user_id, COUNT(*) FROM api_tokens WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1) GROUP BY user_id",
    )
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(|(u, n)| Ok((UserId(parse_uuid(&u)?), n))).collect()
}

/// Disables (with the time) or enables an account; false when it was so already.
pub async fn set_disabled(conn: &mut Conn, id: UserId, disabled: bool, now: i64) -> Result<bool> {
    let q = if disabled {
        sqlx::query("UPDATE users SET disabled = 1, disabled_at = $1 WHERE id = $2 AND disabled = 0").bind(Some(now))
    } else {
        sqlx::query("UPDATE users SET disabled = 0, disabled_at = $1 WHERE id = $2 AND disabled <> 0").bind(None::<i64>)
    };
    Ok(q.bind(id.to_string()).execute(&mut *conn).await?.rows_affected() == 1)
}

/// A password set by an administrator: the user must change it at the next sign-in.
pub async fn reset_password(conn: &mut Conn, id: UserId, hash: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2, must_change_password = 1 WHERE id = $3")
        .bind(hash)
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
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
    let r: Option<(String, String, String, String, Option<String>, i64, i64, String, String, Option<String>, Option<i64>, i64, String, i64)> = sqlx::query_as(
        &format!("SELECT {COLS}, s.csrf_token, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.created_at > $3"),
    )
    .bind(id_hash.to_vec())
    .bind(now)
    .bind(opened_after)
    .fetch_optional(&mut *conn)
    .await?;
    match r {
        None => Ok(None),
        Some(r) => Ok(Some((from_row((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11))?, r.12, r.13))),
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

/// Ends every session of a user (after a password change), except `keep`; returns how many.
pub async fn delete_sessions_of(conn: &mut Conn, user_id: UserId, keep: Option<&[u8]>) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id.to_string())
        .bind(keep.map(|k| k.to_vec()).unwrap_or_default())
        .execute(&mut *conn)
        .await?
        .rows_affected())
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
