//! Pipeline stages and deals. Deal titles and amounts are business data, kept plain.

use crate::db::{id_str, parse_uuid, Conn};
use crate::error::{Result, StoreError};
use crate::reach::{where_sql, FactsRow, Reach, RecordFacts, DEAL, DEAL_FROM};
use obhut_core::contact::RecordClass;
use obhut_core::deal::{DealDraft, StageDraft, StageOutcome};
use obhut_core::ids::{ContactId, DealId, OrganizationId, StageId, UserId};

#[derive(Debug, Clone)]
pub struct StageRecord {
    pub id: StageId,
    pub name: String,
    pub position: i64,
    pub probability: i64,
    pub outcome: StageOutcome,
}

/// The stages a new installation starts with (German sales practice), renamable by admins.
pub const DEFAULT_STAGES: &[(&str, i64, i64, StageOutcome)] = &[
    ("Lead", 10, 10, StageOutcome::Open),
    ("Qualifiziert", 20, 25, StageOutcome::Open),
    ("Angebot", 30, 50, StageOutcome::Open),
    ("Verhandlung", 40, 75, StageOutcome::Open),
    ("Gewonnen", 90, 100, StageOutcome::Won),
    ("Verloren", 100, 0, StageOutcome::Lost),
];

pub async fn list_stages(conn: &mut Conn) -> Result<Vec<StageRecord>> {
    let rows: Vec<(String, String, i64, i64, String)> =
        sqlx::query_as("SELECT id, name, position, probability, outcome FROM pipeline_stages ORDER BY position, name")
            .fetch_all(&mut *conn)
            .await?;
    rows.into_iter()
        .map(|r| {
            Ok(StageRecord {
                id: StageId(parse_uuid(&r.0)?),
                name: r.1,
                position: r.2,
                probability: r.3,
                outcome: StageOutcome::parse(&r.4).map_err(StoreError::Corrupt)?,
            })
        })
        .collect()
}

pub async fn insert_stage(conn: &mut Conn, id: StageId, d: &StageDraft, now: i64) -> Result<()> {
    sqlx::query("INSERT INTO pipeline_stages (id, name, position, probability, outcome, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id.to_string())
        .bind(&d.name)
        .bind(d.position)
        .bind(d.probability)
        .bind(d.outcome.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn update_stage(conn: &mut Conn, id: StageId, d: &StageDraft) -> Result<bool> {
    let n = sqlx::query("UPDATE pipeline_stages SET name = $1, position = $2, probability = $3, outcome = $4 WHERE id = $5")
        .bind(&d.name)
        .bind(d.position)
        .bind(d.probability)
        .bind(d.outcome.as_str())
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(n.rows_affected() == 1)
}

/// Deletes a stage that holds no deals.
pub async fn delete_stage(conn: &mut Conn, id: StageId) -> Result<bool> {
    let used: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM deals WHERE stage_id = $1").bind(id.to_string()).fetch_one(&mut *conn).await?;
    if used.0 > 0 {
        return Err(StoreError::Invalid(format!("the stage still holds {} deals; move them first", used.0)));
    }
    Ok(sqlx::query("DELETE FROM pipeline_stages WHERE id = $1").bind(id.to_string()).execute(&mut *conn).await?.rows_affected() == 1)
}

/// Seeds the default stages when there are none.
pub async fn seed_stages(conn: &mut Conn, now: i64) -> Result<()> {
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pipeline_stages").fetch_one(&mut *conn).await?;
    if n.0 == 0 {
        for (name, position, probability, outcome) in DEFAULT_STAGES {
            let d = StageDraft { name: (*name).into(), position: *position, probability: *probability, outcome: *outcome };
            insert_stage(conn, StageId::new(), &d, now).await?;
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct DealRecord {
    pub id: DealId,
    pub draft: DealDraft,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
    /// When it entered its current stage.
    pub stage_entered_at: i64,
    /// What the gate decides the deal by (its contact's class, team, tags and restriction).
    pub facts: RecordFacts,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    title: String,
    stage_id: String,
    organization_id: Option<String>,
    contact_id: Option<String>,
    amount_cents: Option<i64>,
    currency: String,
    expected_close_on: Option<String>,
    owner_id: Option<String>,
    created_at: i64,
    updated_at: i64,
    version: i64,
    record_class: String,
    team: Option<String>,
    stage_entered_at: Option<i64>,
    close_reason: Option<String>,
    #[sqlx(flatten)]
    facts: FactsRow,
}

static SELECT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT d.id, d.title, d.stage_id, d.organization_id, d.contact_id, d.amount_cents, d.currency, d.expected_close_on, d.owner_id, \
         d.created_at, d.updated_at, d.version, d.record_class, d.team, d.stage_entered_at, d.close_reason, {} FROM {DEAL_FROM}",
        DEAL.select()
    )
});

fn from_row(r: Row) -> Result<DealRecord> {
    let date = time::macros::format_description!("[year]-[month]-[day]");
    Ok(DealRecord {
        id: DealId(parse_uuid(&r.id)?),
        facts: r.facts.facts()?,
        draft: DealDraft {
            title: r.title,
            stage_id: Some(StageId(parse_uuid(&r.stage_id)?)),
            organization_id: r.organization_id.as_deref().map(parse_uuid).transpose()?.map(OrganizationId),
            contact_id: r.contact_id.as_deref().map(parse_uuid).transpose()?.map(ContactId),
            amount_cents: r.amount_cents,
            currency: r.currency,
            expected_close_on: r
                .expected_close_on
                .as_deref()
                .map(|d| time::Date::parse(d, &date))
                .transpose()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            owner_id: r.owner_id.as_deref().map(parse_uuid).transpose()?.map(UserId),
            record_class: RecordClass::parse(&r.record_class).map_err(StoreError::Corrupt)?,
            team: r.team,
            close_reason: r.close_reason,
        },
        created_at: r.created_at,
        stage_entered_at: r.stage_entered_at.unwrap_or(r.updated_at),
        updated_at: r.updated_at,
        version: r.version,
    })
}

pub async fn insert_deal(conn: &mut Conn, id: DealId, d: &DealDraft, stage: StageId, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO deals (id, title, stage_id, organization_id, contact_id, amount_cents, currency, expected_close_on, owner_id, record_class, team, \
         created_at, updated_at, version, stage_entered_at, close_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, 1, $12, $13)",
    )
    .bind(id.to_string())
    .bind(&d.title)
    .bind(stage.to_string())
    .bind(id_str(&d.organization_id))
    .bind(id_str(&d.contact_id))
    .bind(d.amount_cents)
    .bind(&d.currency)
    .bind(d.expected_close_on.map(|d| d.to_string()))
    .bind(id_str(&d.owner_id))
    .bind(d.record_class.as_str())
    .bind(d.team.clone())
    .bind(now)
    .bind(d.close_reason.clone())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn update_deal(conn: &mut Conn, id: DealId, d: &DealDraft, stage: StageId, expected_version: i64, now: i64) -> Result<i64> {
    let n = sqlx::query(
        "UPDATE deals SET title = $1, stage_id = $2, organization_id = $3, contact_id = $4, amount_cents = $5, currency = $6, expected_close_on = $7, \
         owner_id = $8, record_class = $9, team = $10, updated_at = $11, version = version + 1, close_reason = $14, \
         stage_entered_at = CASE WHEN stage_id = $2 THEN stage_entered_at ELSE $11 END WHERE id = $12 AND version = $13",
    )
    .bind(&d.title)
    .bind(stage.to_string())
    .bind(id_str(&d.organization_id))
    .bind(id_str(&d.contact_id))
    .bind(d.amount_cents)
    .bind(&d.currency)
    .bind(d.expected_close_on.map(|d| d.to_string()))
    .bind(id_str(&d.owner_id))
    .bind(d.record_class.as_str())
    .bind(d.team.clone())
    .bind(now)
    .bind(id.to_string())
    .bind(expected_version)
    .bind(d.close_reason.clone())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Conflict { expected: expected_version });
    }
    Ok(expected_version + 1)
}

pub async fn find_deal(conn: &mut Conn, id: DealId) -> Result<Option<DealRecord>> {
    let r: Option<Row> = sqlx::query_as(&format!("{} WHERE d.id = $1", *SELECT)).bind(id.to_string()).fetch_optional(&mut *conn).await?;
    r.map(from_row).transpose()
}

pub async fn delete_deal(conn: &mut Conn, id: DealId) -> Result<bool> {
    sqlx::query("DELETE FROM activities WHERE deal_id = $1").bind(id.to_string()).execute(&mut *conn).await?;
    Ok(sqlx::query("DELETE FROM deals WHERE id = $1").bind(id.to_string()).execute(&mut *conn).await?.rows_affected() == 1)
}

#[derive(Debug, Clone, Default)]
pub struct DealFilter {
    pub stage_id: Option<StageId>,
    pub organization_id: Option<OrganizationId>,
    pub contact_id: Option<ContactId>,
    pub owner_id: Option<UserId>,
    /// Only deals whose title contains this (case-insensitive).
    pub q: Option<String>,
    /// Only deals in a stage that is neither won nor lost.
    pub open_only: bool,
    /// By expected close day (undated last) instead of most recently changed first.
    pub by_close: bool,
    /// A column to sort by (see [`DEAL_ORDERS`]; `-name` descending); before `by_close`.
    pub sort: Option<String>,
    /// Set by the gate, not by callers: what the actor may reach at all.
    pub reach: Reach,
}

/// The columns a deal list sorts by across its pages. The contact's name is sealed and does not
/// sort in the database.
pub const DEAL_ORDERS: &[(&str, &str)] = &[
    ("title", "LOWER(d.title)"),
    ("stage", "(SELECT s.position FROM pipeline_stages s WHERE s.id = d.stage_id)"),
    ("amount", "d.amount_cents"),
    ("close", "d.expected_close_on"),
    ("owner", "(SELECT u.username FROM users u WHERE u.id = d.owner_id)"),
    ("stage_since", "d.stage_entered_at"),
    ("created", "d.created_at"),
    ("updated", "d.updated_at"),
];

/// Deals, most recently changed first.
pub async fn list_deals(conn: &mut Conn, f: &DealFilter, limit: i64, offset: i64) -> Result<(Vec<DealRecord>, i64)> {
    let (mut conds, mut args) = crate::db::conditions(vec![
        ("d.stage_id", f.stage_id.map(|x| x.to_string())),
        ("d.organization_id", f.organization_id.map(|x| x.to_string())),
        ("d.contact_id", f.contact_id.map(|x| x.to_string())),
        ("d.owner_id", f.owner_id.map(|x| x.to_string())),
    ]);
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        args.push(format!("%{}%", crate::db::like_escape(&q.to_lowercase())));
        conds.push(format!("LOWER(d.title) LIKE ${} ESCAPE '\\'", args.len()));
    }
    if f.open_only {
        conds.push("d.stage_id IN (SELECT id FROM pipeline_stages WHERE outcome = 'open')".into());
    }
    conds.extend(DEAL.conditions(&f.reach, &mut args));
    let wh = where_sql(&conds);
    let order = if let Some(o) = f.sort.as_deref().and_then(|k| crate::db::order_by(DEAL_ORDERS, k, "d.id")) {
        o
    } else if f.by_close {
        "CASE WHEN d.expected_close_on IS NULL THEN 1 ELSE 0 END, d.expected_close_on, d.updated_at DESC, d.id".into()
    } else {
        "d.updated_at DESC, d.id DESC".into()
    };
    let sql = format!("{}{wh} ORDER BY {order} LIMIT {} OFFSET {}", *SELECT, limit.clamp(1, 1000), offset.max(0));
    let (rows, total) = crate::db::page_and_count::<Row>(conn, &sql, &format!("SELECT COUNT(*) FROM {DEAL_FROM}{wh}"), &args).await?;
    Ok((rows.into_iter().map(from_row).collect::<Result<Vec<_>>>()?, total))
}

/// The value of the deals in one stage and currency: how many, their amount and the amount
/// weighted by the stage's probability (in cents).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageValue {
    pub stage_id: StageId,
    pub currency: String,
    pub deals: i64,
    pub amount_cents: i64,
    pub weighted_cents: i64,
}

/// The pipeline's value per stage and currency, for the deals the filter (and its reach) lets in.
pub async fn forecast(conn: &mut Conn, f: &DealFilter) -> Result<Vec<StageValue>> {
    let (mut conds, mut args) = crate::db::conditions(vec![
        ("d.organization_id", f.organization_id.map(|x| x.to_string())),
        ("d.contact_id", f.contact_id.map(|x| x.to_string())),
        ("d.owner_id", f.owner_id.map(|x| x.to_string())),
    ]);
    if f.open_only {
        conds.push("s.outcome = 'open'".into());
    }
    conds.extend(DEAL.conditions(&f.reach, &mut args));
    let sql = format!(
        "SELECT s.id, d.currency, COUNT(*), CAST(COALESCE(SUM(d.amount_cents), 0) AS BIGINT), \
         CAST(COALESCE(SUM(d.amount_cents * s.probability), 0) / 100 AS BIGINT) \
         FROM {DEAL_FROM} JOIN pipeline_stages s ON s.id = d.stage_id{} GROUP BY s.id, d.currency",
        where_sql(&conds)
    );
    let mut q = sqlx::query_as::<_, (String, String, i64, i64, i64)>(&sql);
    for a in &args {
        q = q.bind(a.clone());
    }
    q.fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(s, currency, deals, amount_cents, weighted_cents)| {
            Ok(StageValue { stage_id: StageId(parse_uuid(&s)?), currency, deals, amount_cents, weighted_cents })
        })
        .collect()
}

/// How many won and lost deals name each reason: (outcome, reason, count), most first.
pub async fn close_reasons(conn: &mut Conn, f: &DealFilter) -> Result<Vec<(String, String, i64)>> {
    let (mut conds, mut args) = crate::db::conditions(vec![("d.owner_id", f.owner_id.map(|x| x.to_string()))]);
    conds.push("s.outcome <> 'open'".into());
    conds.push("d.close_reason IS NOT NULL".into());
    conds.extend(DEAL.conditions(&f.reach, &mut args));
    let sql = format!(
        "SELECT s.outcome, d.close_reason, COUNT(*) FROM {DEAL_FROM} JOIN pipeline_stages s ON s.id = d.stage_id{} \
         GROUP BY s.outcome, d.close_reason ORDER BY s.outcome DESC, COUNT(*) DESC, d.close_reason",
        where_sql(&conds)
    );
    let mut q = sqlx::query_as::<_, (String, String, i64)>(&sql);
    for a in &args {
        q = q.bind(a.clone());
    }
    Ok(q.fetch_all(&mut *conn).await?)
}
