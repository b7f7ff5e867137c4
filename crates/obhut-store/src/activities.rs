//! Activities: their text sealed under the key of the contact (or organization) they concern.

use crate::crypto::Crypto;
use crate::{id_str, parse_uuid, Conn, Result, StoreError};
use obhut_core::activity::{ActivityKind, ActivityText};
use obhut_core::ids::{ActivityId, ContactId, DealId, OrganizationId};

#[derive(Debug, Clone)]
pub struct ActivityRecord {
    pub id: ActivityId,
    pub kind: ActivityKind,
    pub occurred_at: i64,
    pub contact_id: Option<ContactId>,
    pub organization_id: Option<OrganizationId>,
    pub deal_id: Option<DealId>,
    pub text: ActivityText,
    pub created_by: Option<String>,
    pub created_at: i64,
}

pub struct NewActivity<'a> {
    pub id: ActivityId,
    pub kind: ActivityKind,
    pub occurred_at: i64,
    pub contact_id: Option<ContactId>,
    pub organization_id: Option<OrganizationId>,
    pub deal_id: Option<DealId>,
    /// The contact or organization whose key seals the text.
    pub key_subject: String,
    pub text: &'a ActivityText,
}

fn aad(id: &str) -> Vec<u8> {
    format!("activity:{id}").into_bytes()
}

/// The wrapped key of a subject (contact or organization).
pub async fn subject_key(conn: &mut Conn, crypto: &Crypto, subject: &str) -> Result<crate::crypto::SubjectKey> {
    let r: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT wrapped_key FROM contacts WHERE id = $1 UNION ALL SELECT wrapped_key FROM organizations WHERE id = $1")
            .bind(subject)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(crypto.unwrap_key(subject, &r.ok_or(StoreError::NotFound("contact or organization"))?.0)?)
}

pub async fn insert_activities(conn: &mut Conn, crypto: &Crypto, batch: &[NewActivity<'_>], now: i64, created_by: &str) -> Result<()> {
    let mut keys: std::collections::HashMap<String, crate::crypto::SubjectKey> = std::collections::HashMap::new();
    for chunk in batch.chunks(crate::rows_per_insert(10)) {
        let sql = format!(
            "INSERT INTO activities (id, kind, occurred_at, contact_id, organization_id, deal_id, key_subject, sealed, created_by, created_at) VALUES {}",
            crate::values_placeholders(conn, chunk.len(), 10)
        );
        let mut q = sqlx::query(&sql);
        for a in chunk {
            if !keys.contains_key(&a.key_subject) {
                let k = subject_key(conn, crypto, &a.key_subject).await?;
                keys.insert(a.key_subject.clone(), k);
            }
            let key = keys.get(&a.key_subject).ok_or(StoreError::NotFound("subject key"))?;
            let id = a.id.to_string();
            q = q
                .bind(id.clone())
                .bind(a.kind.as_str())
                .bind(a.occurred_at)
                .bind(id_str(&a.contact_id))
                .bind(id_str(&a.organization_id))
                .bind(id_str(&a.deal_id))
                .bind(a.key_subject.clone())
                .bind(key.seal_json(&aad(&id), a.text))
                .bind(created_by.to_string())
                .bind(now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

type Row = (String, String, i64, Option<String>, Option<String>, Option<String>, String, Vec<u8>, Option<String>, i64);
const SELECT: &str =
    "SELECT id, kind, occurred_at, contact_id, organization_id, deal_id, key_subject, sealed, created_by, created_at FROM activities";

async fn open_rows(conn: &mut Conn, crypto: &Crypto, rows: Vec<Row>) -> Result<Vec<ActivityRecord>> {
    let mut keys: std::collections::HashMap<String, crate::crypto::SubjectKey> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        if !keys.contains_key(&r.6) {
            let k = subject_key(conn, crypto, &r.6).await?;
            keys.insert(r.6.clone(), k);
        }
        let key = keys.get(&r.6).ok_or(StoreError::NotFound("subject key"))?;
        out.push(ActivityRecord {
            id: ActivityId(parse_uuid(&r.0)?),
            kind: ActivityKind::parse(&r.1).map_err(StoreError::Corrupt)?,
            occurred_at: r.2,
            contact_id: r.3.as_deref().map(parse_uuid).transpose()?.map(ContactId),
            organization_id: r.4.as_deref().map(parse_uuid).transpose()?.map(OrganizationId),
            deal_id: r.5.as_deref().map(parse_uuid).transpose()?.map(DealId),
            text: key.open_json(&aad(&r.0), &r.7)?,
            created_by: r.8,
            created_at: r.9,
        });
    }
    Ok(out)
}

/// Which record an activity list is for.
#[derive(Debug, Clone, Copy)]
pub enum ActivityOwner {
    Contact(ContactId),
    Organization(OrganizationId),
    Deal(DealId),
}

pub async fn list_activities(
    conn: &mut Conn,
    crypto: &Crypto,
    owner: ActivityOwner,
    limit: i64,
    offset: i64,
) -> Result<Vec<ActivityRecord>> {
    let (col, id) = match owner {
        ActivityOwner::Contact(c) => ("contact_id", c.to_string()),
        ActivityOwner::Organization(o) => ("organization_id", o.to_string()),
        ActivityOwner::Deal(d) => ("deal_id", d.to_string()),
    };
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE {col} = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2 OFFSET $3"))
        .bind(id)
        .bind(limit.clamp(1, 1000))
        .bind(offset.max(0))
        .fetch_all(&mut *conn)
        .await?;
    open_rows(conn, crypto, rows).await
}

pub async fn find_activity(conn: &mut Conn, crypto: &Crypto, id: ActivityId) -> Result<Option<ActivityRecord>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE id = $1")).bind(id.to_string()).fetch_all(&mut *conn).await?;
    Ok(open_rows(conn, crypto, rows).await?.into_iter().next())
}

pub async fn delete_activity(conn: &mut Conn, id: ActivityId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM activities WHERE id = $1").bind(id.to_string()).execute(&mut *conn).await?.rows_affected() == 1)
}

pub async fn count_activities(conn: &mut Conn) -> Result<i64> {
    Ok(sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM activities").fetch_one(&mut *conn).await?.0)
}
