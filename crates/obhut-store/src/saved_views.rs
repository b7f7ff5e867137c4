//! Saved views: a user's named filters and sort of a list, sealed under the master key (a
//! view's query may hold a searched name).

use crate::crypto::Crypto;
use crate::db::{parse_uuid, Conn};
use crate::error::Result;
use obhut_core::ids::UserId;

/// One saved view.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedView {
    pub id: String,
    pub name: String,
    /// The list's query string (`q=…&tag=…&sort=…`), without paging.
    pub query: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Sealed {
    name: String,
    query: String,
}

fn aad(id: &str, user: UserId, list: &str) -> Vec<u8> {
    format!("saved-view:{id}:{user}:{list}").into_bytes()
}

pub async fn insert(conn: &mut Conn, crypto: &Crypto, user: UserId, list: &str, name: &str, query: &str, now: i64) -> Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    let plain = serde_json::to_vec(&Sealed { name: name.into(), query: query.into() }).map_err(|e| crate::error::StoreError::Corrupt(e.to_string()))?;
    sqlx::query("INSERT INTO saved_views (id, user_id, list, sealed, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(user.to_string())
        .bind(list)
        .bind(crypto.seal(&aad(&id, user, list), &plain))
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(id)
}

/// A user's views of one list, oldest first.
pub async fn list(conn: &mut Conn, crypto: &Crypto, user: UserId, list: &str) -> Result<Vec<SavedView>> {
    let rows: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT id, sealed FROM saved_views WHERE user_id = $1 AND list = $2 ORDER BY created_at, id")
            .bind(user.to_string())
            .bind(list)
            .fetch_all(&mut *conn)
            .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, sealed) in rows {
        parse_uuid(&id)?;
        let plain = crypto.open(&aad(&id, user, list), &sealed)?;
        let s: Sealed = serde_json::from_slice(&plain).map_err(|e| crate::error::StoreError::Corrupt(e.to_string()))?;
        out.push(SavedView { id, name: s.name, query: s.query });
    }
    Ok(out)
}

/// Deletes one of the user's views; false when the user has no such view.
pub async fn delete(conn: &mut Conn, user: UserId, id: &str) -> Result<bool> {
    let n = sqlx::query("DELETE FROM saved_views WHERE id = $1 AND user_id = $2").bind(id).bind(user.to_string()).execute(&mut *conn).await?.rows_affected();
    Ok(n == 1)
}
