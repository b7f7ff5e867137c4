//! Organizations (B2B accounts): name and address line plain for search, contact details sealed.

use crate::crypto::Crypto;
use crate::db::{id_str, parse_uuid, Conn};
use crate::error::{Result, StoreError};
use crate::reach::{FactsRow, Reach, RecordFacts, ORGANIZATION};
use obhut_core::contact::RecordClass;
use obhut_core::ids::{OrganizationId, UserId};
use obhut_core::organization::{OrganizationDraft, OrganizationSealed};
use obhut_core::search::fold;

#[derive(Debug, Clone)]
pub struct OrganizationRecord {
    pub id: OrganizationId,
    pub draft: OrganizationDraft,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
    /// What the gate decides the organization by (its own class, owner, team and tags).
    pub facts: RecordFacts,
}

fn aad(id: &str) -> Vec<u8> {
    format!("organization:{id}").into_bytes()
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    website: Option<String>,
    industry: Option<String>,
    vat_id: Option<String>,
    postal_code: Option<String>,
    city: Option<String>,
    country: Option<String>,
    owner_id: Option<String>,
    tags: String,
    wrapped_key: Vec<u8>,
    sealed: Vec<u8>,
    created_at: i64,
    updated_at: i64,
    version: i64,
    record_class: String,
    team: Option<String>,
    #[sqlx(flatten)]
    facts: FactsRow,
}

static SELECT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT o.id, o.name, o.website, o.industry, o.vat_id, o.postal_code, o.city, o.country, o.owner_id, o.tags, o.wrapped_key, o.sealed, \
         o.created_at, o.updated_at, o.version, o.record_class, o.team, {} FROM organizations o",
        ORGANIZATION.select()
    )
});

fn open_row(crypto: &Crypto, r: Row) -> Result<OrganizationRecord> {
    let key = crypto.unwrap_key(&r.id, &r.wrapped_key)?;
    let sealed: OrganizationSealed = key.open_json(&aad(&r.id), &r.sealed)?;
    Ok(OrganizationRecord {
        id: OrganizationId(parse_uuid(&r.id)?),
        facts: r.facts.facts()?,
        draft: OrganizationDraft {
            name: r.name,
            website: r.website,
            industry: r.industry,
            vat_id: r.vat_id,
            postal_code: r.postal_code,
            city: r.city,
            country: r.country,
            owner_id: r.owner_id.as_deref().map(parse_uuid).transpose()?.map(UserId),
            tags: r.tags.split('\n').filter(|t| !t.is_empty()).map(str::to_string).collect(),
            record_class: RecordClass::parse(&r.record_class).map_err(StoreError::Corrupt)?,
            team: r.team,
            sealed,
        },
        created_at: r.created_at,
        updated_at: r.updated_at,
        version: r.version,
    })
}

pub async fn insert_organization(conn: &mut Conn, crypto: &Crypto, id: OrganizationId, d: &OrganizationDraft, now: i64) -> Result<()> {
    let sid = id.to_string();
    let key = crypto.new_subject_key();
    sqlx::query(
        "INSERT INTO organizations (id, name, name_folded, website, industry, vat_id, postal_code, city, country, owner_id, tags, wrapped_key, sealed, \
         record_class, team, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, 1)",
    )
    .bind(&sid)
    .bind(&d.name)
    .bind(fold(&d.name))
    .bind(d.website.clone())
    .bind(d.industry.clone())
    .bind(d.vat_id.clone())
    .bind(d.postal_code.clone())
    .bind(d.city.clone())
    .bind(d.country.clone())
    .bind(id_str(&d.owner_id))
    .bind(d.tags.join("\n"))
    .bind(crypto.wrap(&sid, &key))
    .bind(key.seal_json(&aad(&sid), &d.sealed))
    .bind(d.record_class.as_str())
    .bind(d.team.clone())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn find_organization(conn: &mut Conn, crypto: &Crypto, id: OrganizationId) -> Result<Option<OrganizationRecord>> {
    let r: Option<Row> = sqlx::query_as(&format!("{} WHERE o.id = $1", *SELECT)).bind(id.to_string()).fetch_optional(&mut *conn).await?;
    r.map(|r| open_row(crypto, r)).transpose()
}

/// An organization by its exact name (case- and accent-insensitive), for imports.
pub async fn find_organization_by_name(conn: &mut Conn, name: &str) -> Result<Option<OrganizationId>> {
    let r: Option<(String,)> = sqlx::query_as("SELECT id FROM organizations WHERE name_folded = $1 ORDER BY created_at LIMIT 1")
        .bind(fold(name))
        .fetch_optional(&mut *conn)
        .await?;
    r.map(|r| parse_uuid(&r.0).map(OrganizationId)).transpose()
}

pub async fn update_organization(
    conn: &mut Conn,
    crypto: &Crypto,
    id: OrganizationId,
    d: &OrganizationDraft,
    expected_version: i64,
    now: i64,
) -> Result<i64> {
    let sid = id.to_string();
    let wrapped: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT wrapped_key FROM organizations WHERE id = $1").bind(&sid).fetch_optional(&mut *conn).await?;
    let key = crypto.unwrap_key(&sid, &wrapped.ok_or(StoreError::NotFound("organization"))?.0)?;
    let n = sqlx::query(
        "UPDATE organizations SET name = $1, name_folded = $2, website = $3, industry = $4, vat_id = $5, postal_code = $6, city = $7, country = $8, \
         owner_id = $9, tags = $10, sealed = $11, record_class = $12, team = $13, updated_at = $14, version = version + 1 WHERE id = $15 AND version = $16",
    )
    .bind(&d.name)
    .bind(fold(&d.name))
    .bind(d.website.clone())
    .bind(d.industry.clone())
    .bind(d.vat_id.clone())
    .bind(d.postal_code.clone())
    .bind(d.city.clone())
    .bind(d.country.clone())
    .bind(id_str(&d.owner_id))
    .bind(d.tags.join("\n"))
    .bind(key.seal_json(&aad(&sid), &d.sealed))
    .bind(d.record_class.as_str())
    .bind(d.team.clone())
    .bind(now)
    .bind(&sid)
    .bind(expected_version)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Conflict { expected: expected_version });
    }
    Ok(expected_version + 1)
}

/// Deletes an organization; its contacts stay (without organization), its activities,
/// tickets and deals go with it.
pub async fn delete_organization(conn: &mut Conn, id: OrganizationId) -> Result<bool> {
    let sid = id.to_string();
    sqlx::query("UPDATE contacts SET organization_id = NULL, kind = 'b2c' WHERE organization_id = $1")
        .bind(&sid)
        .execute(&mut *conn)
        .await?;
    // What belongs to the organization goes; what is a contact's own history stays with the contact.
    sqlx::query("DELETE FROM activities WHERE key_subject = $1").bind(&sid).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM tickets WHERE key_subject = $1").bind(&sid).execute(&mut *conn).await?;
    sqlx::query("UPDATE activities SET organization_id = NULL WHERE organization_id = $1").bind(&sid).execute(&mut *conn).await?;
    sqlx::query("UPDATE tickets SET organization_id = NULL WHERE organization_id = $1").bind(&sid).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM activities WHERE deal_id IN (SELECT id FROM deals WHERE organization_id = $1)")
        .bind(&sid)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM deals WHERE organization_id = $1").bind(&sid).execute(&mut *conn).await?;
    Ok(sqlx::query("DELETE FROM organizations WHERE id = $1").bind(&sid).execute(&mut *conn).await?.rows_affected() == 1)
}

/// What an organization list asks for; all optional.
#[derive(Debug, Clone, Default)]
pub struct OrganizationFilter {
    /// Part of the name.
    pub q: Option<String>,
    pub owner_id: Option<obhut_core::ids::UserId>,
    pub tag: Option<String>,
    /// The city (compared case-insensitively).
    pub city: Option<String>,
    /// A column to sort by (see [`ORGANIZATION_ORDERS`]; `-name` descending); default: by name.
    pub sort: Option<String>,
}

/// The columns an organization list sorts by across its pages.
pub const ORGANIZATION_ORDERS: &[(&str, &str)] = &[
    ("name", "o.name_folded"),
    ("industry", "LOWER(o.industry)"),
    ("city", "LOWER(o.city)"),
    ("owner", "(SELECT u.username FROM users u WHERE u.id = o.owner_id)"),
    ("created", "o.created_at"),
    ("updated", "o.updated_at"),
];

/// A page of the organizations within `reach` that match `f`, by name unless `f` asks for
/// another order, and how many there are.
pub async fn list_organizations(
    conn: &mut Conn,
    crypto: &Crypto,
    f: &OrganizationFilter,
    reach: &Reach,
    limit: i64,
    offset: i64,
) -> Result<(Vec<OrganizationRecord>, i64)> {
    let mut args = vec![format!("%{}%", crate::db::like_escape(&fold(f.q.as_deref().unwrap_or(""))))];
    let mut conds = vec!["o.name_folded LIKE $1 ESCAPE '\\'".to_string()];
    if let Some(o) = f.owner_id {
        args.push(o.to_string());
        conds.push(format!("o.owner_id = ${}", args.len()));
    }
    if let Some(t) = f.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        // Tags are kept one per line.
        let t = crate::db::like_escape(t);
        args.extend([t.clone(), format!("{t}\n%"), format!("%\n{t}"), format!("%\n{t}\n%")]);
        let n = args.len();
        conds.push(format!(
            "(o.tags LIKE ${} ESCAPE '\\' OR o.tags LIKE ${} ESCAPE '\\' OR o.tags LIKE ${} ESCAPE '\\' OR o.tags LIKE ${n} ESCAPE '\\')",
            n - 3,
            n - 2,
            n - 1
        ));
    }
    if let Some(c) = f.city.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        args.push(c.to_lowercase());
        conds.push(format!("LOWER(o.city) = ${}", args.len()));
    }
    conds.extend(ORGANIZATION.conditions(reach, &mut args));
    let wh = crate::reach::where_sql(&conds);
    let order = f.sort.as_deref().and_then(|k| crate::db::order_by(ORGANIZATION_ORDERS, k, "o.id")).unwrap_or_else(|| "o.name_folded, o.id".into());
    let sql = format!("{}{wh} ORDER BY {order} LIMIT {} OFFSET {}", *SELECT, limit.clamp(1, 1000), offset.max(0));
    let (rows, total) = crate::db::page_and_count::<Row>(conn, &sql, &format!("SELECT COUNT(*) FROM organizations o{wh}"), &args).await?;
    Ok((rows.into_iter().map(|r| open_row(crypto, r)).collect::<Result<Vec<_>>>()?, total))
}

/// Names of organizations by id (for lists and exports).
pub async fn organization_names(conn: &mut Conn, ids: &[String]) -> Result<std::collections::HashMap<String, String>> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(250) {
        if chunk.is_empty() {
            continue;
        }
        let ph: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT id, name FROM organizations WHERE id IN ({})", ph.join(","));
        let mut q = sqlx::query_as::<_, (String, String)>(&sql);
        for id in chunk {
            q = q.bind(id.clone());
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}
