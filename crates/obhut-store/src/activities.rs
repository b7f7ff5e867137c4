//! Activities: their text sealed under the key of the contact (or organization) they concern.

use crate::crypto::Crypto;
use crate::db::{id_str, parse_uuid, Conn};
use crate::error::{Result, StoreError};
use crate::reach::{FactsRow, Reach, RecordFacts, ACTIVITY, ACTIVITY_FROM};
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
    /// What the gate decides the activity by (the contact it is about, else what it is filed under).
    pub facts: RecordFacts,
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

/// Subject keys unwrapped once per subject, for a batch of rows sealed under them.
#[derive(Default)]
pub(crate) struct KeyRing(std::collections::HashMap<String, crate::crypto::SubjectKey>);

impl KeyRing {
    pub(crate) async fn key(&mut self, conn: &mut Conn, crypto: &Crypto, subject: &str) -> Result<&crate::crypto::SubjectKey> {
        if !self.0.contains_key(subject) {
            let k = subject_key(conn, crypto, subject).await?;
            self.0.insert(subject.to_string(), k);
        }
        self.0.get(subject).ok_or(StoreError::NotFound("subject key"))
    }
}

pub async fn insert_activities(conn: &mut Conn, crypto: &Crypto, batch: &[NewActivity<'_>], now: i64, created_by: &str) -> Result<()> {
    let mut keys: std::collections::HashMap<String, crate::crypto::SubjectKey> = std::collections::HashMap::new();
    for chunk in batch.chunks(crate::db::rows_per_insert(10)) {
        let sql = format!(
            "INSERT INTO activities (id, kind, occurred_at, contact_id, organization_id, deal_id, key_subject, sealed, created_by, created_at) VALUES {}",
            crate::db::values_placeholders(conn, chunk.len(), 10)
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

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    kind: String,
    occurred_at: i64,
    contact_id: Option<String>,
    organization_id: Option<String>,
    deal_id: Option<String>,
    key_subject: String,
    sealed: Vec<u8>,
    created_by: Option<String>,
    created_at: i64,
    #[sqlx(flatten)]
    facts: FactsRow,
}

static SELECT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT a.id, a.kind, a.occurred_at, a.contact_id, a.organization_id, a.deal_id, a.key_subject, a.sealed, a.created_by, a.created_at, {} \
         FROM {ACTIVITY_FROM}",
        ACTIVITY.select()
    )
});

async fn open_rows(conn: &mut Conn, crypto: &Crypto, rows: Vec<Row>) -> Result<Vec<ActivityRecord>> {
    let mut keys = KeyRing::default();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let key = keys.key(conn, crypto, &r.key_subject).await?;
        out.push(ActivityRecord {
            id: ActivityId(parse_uuid(&r.id)?),
            kind: ActivityKind::parse(&r.kind).map_err(StoreError::Corrupt)?,
            occurred_at: r.occurred_at,
            contact_id: r.contact_id.as_deref().map(parse_uuid).transpose()?.map(ContactId),
            organization_id: r.organization_id.as_deref().map(parse_uuid).transpose()?.map(OrganizationId),
            deal_id: r.deal_id.as_deref().map(parse_uuid).transpose()?.map(DealId),
            text: key.open_json(&aad(&r.id), &r.sealed)?,
            created_by: r.created_by,
            created_at: r.created_at,
            facts: r.facts.facts()?,
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

/// One page of the activities filed under `owner` that lie within `reach`, newest first, and
/// how many there are.
pub async fn list_activities(
    conn: &mut Conn,
    crypto: &Crypto,
    owner: ActivityOwner,
    reach: &Reach,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ActivityRecord>, i64)> {
    let (col, id) = match owner {
        ActivityOwner::Contact(c) => ("a.contact_id", c.to_string()),
        ActivityOwner::Organization(o) => ("a.organization_id", o.to_string()),
        ActivityOwner::Deal(d) => ("a.deal_id", d.to_string()),
    };
    let (mut conds, mut args) = crate::db::conditions(vec![(col, Some(id))]);
    conds.extend(ACTIVITY.conditions(reach, &mut args));
    let wh = crate::reach::where_sql(&conds);
    let sql = format!("{}{wh} ORDER BY a.occurred_at DESC, a.id DESC LIMIT {} OFFSET {}", *SELECT, limit.clamp(1, 1000), offset.max(0));
    let (rows, total) = crate::db::page_and_count::<Row>(conn, &sql, &format!("SELECT COUNT(*) FROM {ACTIVITY_FROM}{wh}"), &args).await?;
    Ok((open_rows(conn, crypto, rows).await?, total))
}

pub async fn find_activity(conn: &mut Conn, crypto: &Crypto, id: ActivityId) -> Result<Option<ActivityRecord>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{} WHERE a.id = $1", *SELECT)).bind(id.to_string()).fetch_all(&mut *conn).await?;
    Ok(open_rows(conn, crypto, rows).await?.into_iter().next())
}

/// Rewrites an activity's kind, time and text; the text is sealed again under the key it
/// was sealed with (its contact's, else its organization's). False when there is no such activity.
pub async fn update_activity(
    conn: &mut Conn,
    crypto: &Crypto,
    id: ActivityId,
    kind: ActivityKind,
    occurred_at: i64,
    text: &ActivityText,
) -> Result<bool> {
    let sid = id.to_string();
    let found: Option<(String,)> =
        sqlx::query_as("SELECT key_subject FROM activities WHERE id = $1").bind(&sid).fetch_optional(&mut *conn).await?;
    let Some((key_subject,)) = found else { return Ok(false) };
    let key = subject_key(conn, crypto, &key_subject).await?;
    let n = sqlx::query("UPDATE activities SET kind = $1, occurred_at = $2, sealed = $3 WHERE id = $4")
        .bind(kind.as_str())
        .bind(occurred_at)
        .bind(key.seal_json(&aad(&sid), text))
        .bind(&sid)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}

pub async fn delete_activity(conn: &mut Conn, id: ActivityId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM activities WHERE id = $1").bind(id.to_string()).execute(&mut *conn).await?.rows_affected() == 1)
}

pub async fn count_activities(conn: &mut Conn) -> Result<i64> {
    Ok(sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM activities").fetch_one(&mut *conn).await?.0)
}
