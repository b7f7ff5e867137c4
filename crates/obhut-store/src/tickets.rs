//! Tickets: service cases and complaints, their text sealed under the contact's (or organization's) key.

use crate::crypto::Crypto;
use crate::db::{id_str, parse_uuid, Conn};
use crate::error::{Result, StoreError};
use crate::reach::{where_sql, FactsRow, Reach, RecordFacts, TICKET, TICKET_FROM};
use obhut_core::contact::RecordClass;
use obhut_core::ids::{ContactId, OrganizationId, TicketId, UserId};
use obhut_core::ticket::{TicketDraft, TicketKind, TicketPriority, TicketStatus, TicketText};

#[derive(Debug, Clone)]
pub struct TicketRecord {
    pub id: TicketId,
    pub number: i64,
    pub draft: TicketDraft,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
    /// When the next answer to the customer is due (ms), while one is owed.
    pub due_at: Option<i64>,
    /// What the gate decides the ticket by (its contact's class, team, tags and restriction).
    pub facts: RecordFacts,
}

fn aad(id: &str) -> Vec<u8> {
    format!("ticket:{id}").into_bytes()
}

fn key_subject(d: &TicketDraft) -> Result<String> {
    d.contact_id
        .map(|c| c.to_string())
        .or_else(|| d.organization_id.map(|o| o.to_string()))
        .ok_or_else(|| StoreError::Invalid("a ticket belongs to a contact or an organization".into()))
}

pub async fn insert_ticket(conn: &mut Conn, crypto: &Crypto, id: TicketId, d: &TicketDraft, due_at: Option<i64>, now: i64) -> Result<i64> {
    let subject = key_subject(d)?;
    let key = crate::activities::subject_key(conn, crypto, &subject).await?;
    let number = crate::store::Store::next_counter(conn, "ticket_number").await?;
    let sid = id.to_string();
    sqlx::query(
        "INSERT INTO tickets (id, number, kind, status, priority, contact_id, organization_id, owner_id, record_class, team, key_subject, sealed, \
         created_at, updated_at, version, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, 1, $14)",
    )
    .bind(&sid)
    .bind(number)
    .bind(d.kind.as_str())
    .bind(d.status.as_str())
    .bind(d.priority.as_str())
    .bind(id_str(&d.contact_id))
    .bind(id_str(&d.organization_id))
    .bind(id_str(&d.owner_id))
    .bind(d.record_class.as_str())
    .bind(d.team.clone())
    .bind(subject)
    .bind(key.seal_json(&aad(&sid), &d.text))
    .bind(now)
    .bind(due_at)
    .execute(&mut *conn)
    .await?;
    Ok(number)
}

pub async fn update_ticket(
    conn: &mut Conn,
    crypto: &Crypto,
    id: TicketId,
    d: &TicketDraft,
    due_at: Option<i64>,
    expected_version: i64,
    now: i64,
) -> Result<i64> {
    let subject = key_subject(d)?;
    let key = crate::activities::subject_key(conn, crypto, &subject).await?;
    let sid = id.to_string();
    let n = sqlx::query(
        "UPDATE tickets SET kind = $1, status = $2, priority = $3, contact_id = $4, organization_id = $5, owner_id = $6, key_subject = $7, sealed = $8, \
         record_class = $9, team = $10, updated_at = $11, due_at = $14, version = version + 1 WHERE id = $12 AND version = $13",
    )
    .bind(d.kind.as_str())
    .bind(d.status.as_str())
    .bind(d.priority.as_str())
    .bind(id_str(&d.contact_id))
    .bind(id_str(&d.organization_id))
    .bind(id_str(&d.owner_id))
    .bind(&subject)
    .bind(key.seal_json(&aad(&sid), &d.text))
    .bind(d.record_class.as_str())
    .bind(d.team.clone())
    .bind(now)
    .bind(&sid)
    .bind(expected_version)
    .bind(due_at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Conflict { expected: expected_version });
    }
    crate::ticket_messages::reseal(conn, crypto, id, &subject).await?;
    Ok(expected_version + 1)
}

/// A ticket's status and due time moved by its conversation (a reply, the customer's answer).
pub async fn set_flow(conn: &mut Conn, id: TicketId, status: TicketStatus, due_at: Option<i64>, now: i64) -> Result<()> {
    sqlx::query("UPDATE tickets SET status = $1, due_at = $2, updated_at = $3, version = version + 1 WHERE id = $4")
        .bind(status.as_str())
        .bind(due_at)
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The ticket with this number.
pub async fn id_by_number(conn: &mut Conn, number: i64) -> Result<Option<TicketId>> {
    let id: Option<(String,)> = sqlx::query_as("SELECT id FROM tickets WHERE number = $1").bind(number).fetch_optional(&mut *conn).await?;
    id.map(|(i,)| parse_uuid(&i).map(TicketId)).transpose()
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    number: i64,
    kind: String,
    status: String,
    priority: String,
    contact_id: Option<String>,
    organization_id: Option<String>,
    owner_id: Option<String>,
    key_subject: String,
    sealed: Vec<u8>,
    created_at: i64,
    updated_at: i64,
    version: i64,
    record_class: String,
    team: Option<String>,
    due_at: Option<i64>,
    #[sqlx(flatten)]
    facts: FactsRow,
}

static COLUMNS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "t.id, t.number, t.kind, t.status, t.priority, t.contact_id, t.organization_id, t.owner_id, t.key_subject, t.sealed, \
         t.created_at, t.updated_at, t.version, t.record_class, t.team, t.due_at, {}",
        TICKET.select()
    )
});
static SELECT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| format!("SELECT {} FROM {TICKET_FROM}", *COLUMNS));

async fn open_rows(conn: &mut Conn, crypto: &Crypto, rows: Vec<Row>) -> Result<Vec<TicketRecord>> {
    let mut keys = crate::activities::KeyRing::default();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let subject = r.key_subject.clone();
        let key = keys.key(conn, crypto, &subject).await?;
        out.push(open_row(key, r)?);
    }
    Ok(out)
}

fn open_row(key: &crate::crypto::SubjectKey, r: Row) -> Result<TicketRecord> {
    let text: TicketText = key.open_json(&aad(&r.id), &r.sealed)?;
    Ok(TicketRecord {
        id: TicketId(parse_uuid(&r.id)?),
        number: r.number,
        facts: r.facts.facts()?,
        draft: TicketDraft {
            kind: TicketKind::parse(&r.kind).map_err(StoreError::Corrupt)?,
            status: TicketStatus::parse(&r.status).map_err(StoreError::Corrupt)?,
            priority: TicketPriority::parse(&r.priority).map_err(StoreError::Corrupt)?,
            contact_id: r.contact_id.as_deref().map(parse_uuid).transpose()?.map(ContactId),
            organization_id: r.organization_id.as_deref().map(parse_uuid).transpose()?.map(OrganizationId),
            owner_id: r.owner_id.as_deref().map(parse_uuid).transpose()?.map(UserId),
            record_class: RecordClass::parse(&r.record_class).map_err(StoreError::Corrupt)?,
            team: r.team,
            text,
        },
        created_at: r.created_at,
        updated_at: r.updated_at,
        version: r.version,
        due_at: r.due_at,
    })
}

/// [`find_ticket`] through the synchronous SQLite readers when the store has them (one point
/// read with the key of the person or organization the text is sealed under): a ticket read
/// costs what a contact read does.
pub async fn read_ticket(store: &crate::store::Store, id: TicketId) -> Result<Option<TicketRecord>> {
    let Some(readers) = &store.readers else {
        let mut conn = store.pool.acquire().await?;
        return find_ticket(&mut conn, &store.crypto, id).await;
    };
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT {}, COALESCE(kc.wrapped_key, ko.wrapped_key) FROM {TICKET_FROM} LEFT JOIN contacts kc ON kc.id = t.key_subject \
             LEFT JOIN organizations ko ON ko.id = t.key_subject WHERE t.id = ?1",
            *COLUMNS
        )
    });
    let found = readers.with(|c| {
        use rusqlite::OptionalExtension;
        c.prepare_cached(&SQL)?
            .query_row([id.to_string()], |r| {
                let row = Row {
                    id: r.get(0)?,
                    number: r.get(1)?,
                    kind: r.get(2)?,
                    status: r.get(3)?,
                    priority: r.get(4)?,
                    contact_id: r.get(5)?,
                    organization_id: r.get(6)?,
                    owner_id: r.get(7)?,
                    key_subject: r.get(8)?,
                    sealed: r.get(9)?,
                    created_at: r.get(10)?,
                    updated_at: r.get(11)?,
                    version: r.get(12)?,
                    record_class: r.get(13)?,
                    team: r.get(14)?,
                    due_at: r.get(15)?,
                    facts: FactsRow {
                        f_class: r.get(16)?,
                        f_owner: r.get(17)?,
                        f_team: r.get(18)?,
                        f_tags: r.get(19)?,
                        f_subject: r.get(20)?,
                        f_restricted: r.get(21)?,
                    },
                };
                Ok((row, r.get::<_, Option<Vec<u8>>>(22)?))
            })
            .optional()
    })?;
    let Some((row, wrapped)) = found else { return Ok(None) };
    let key = store.crypto.unwrap_key(&row.key_subject, &wrapped.ok_or(StoreError::NotFound("contact or organization"))?)?;
    open_row(&key, row).map(Some)
}

pub async fn find_ticket(conn: &mut Conn, crypto: &Crypto, id: TicketId) -> Result<Option<TicketRecord>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{} WHERE t.id = $1", *SELECT)).bind(id.to_string()).fetch_all(&mut *conn).await?;
    Ok(open_rows(conn, crypto, rows).await?.into_iter().next())
}

pub async fn delete_ticket(conn: &mut Conn, id: TicketId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM tickets WHERE id = $1").bind(id.to_string()).execute(&mut *conn).await?.rows_affected() == 1)
}

#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub status: Option<TicketStatus>,
    pub kind: Option<TicketKind>,
    pub contact_id: Option<ContactId>,
    pub organization_id: Option<OrganizationId>,
    pub owner_id: Option<UserId>,
    /// Only tickets not resolved or closed.
    pub open_only: bool,
    /// Only the ticket with this number.
    pub number: Option<i64>,
    /// Only tickets about one of these contacts (a search by the person, resolved by the gate first).
    pub contact_ids: Option<Vec<ContactId>>,
    /// Most urgent first (the due time, tickets owing no answer last) instead of last changed first.
    pub by_due: bool,
    /// A column to sort by (see [`TICKET_ORDERS`]; `-name` descending); before `by_due`.
    pub sort: Option<String>,
    /// Set by the gate, not by callers: what the actor may reach at all.
    pub reach: Reach,
}

/// The columns a ticket list sorts by across its pages (status and priority in their working
/// order: open before closed, urgent before low). Title and contact are sealed and do not sort
/// in the database.
pub const TICKET_ORDERS: &[(&str, &str)] = &[
    ("number", "t.number"),
    ("status", "CASE t.status WHEN 'open' THEN 0 WHEN 'in_progress' THEN 1 WHEN 'waiting' THEN 2 WHEN 'resolved' THEN 3 ELSE 4 END"),
    ("priority", "CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END"),
    ("kind", "t.kind"),
    ("owner", "(SELECT u.username FROM users u WHERE u.id = t.owner_id)"),
    ("due", "t.due_at"),
    ("created", "t.created_at"),
    ("updated", "t.updated_at"),
];

/// Tickets, most recently changed first.
pub async fn list_tickets(conn: &mut Conn, crypto: &Crypto, f: &TicketFilter, limit: i64, offset: i64) -> Result<(Vec<TicketRecord>, i64)> {
    let (mut conds, mut args) = crate::db::conditions(vec![
        ("t.status", f.status.map(|x| x.as_str().to_string())),
        ("t.kind", f.kind.map(|x| x.as_str().to_string())),
        ("t.contact_id", f.contact_id.map(|x| x.to_string())),
        ("t.organization_id", f.organization_id.map(|x| x.to_string())),
        ("t.owner_id", f.owner_id.map(|x| x.to_string())),
    ]);
    if f.open_only {
        conds.push("t.status NOT IN ('resolved', 'closed')".into());
    }
    if let Some(n) = f.number {
        conds.push(format!("t.number = {n}"));
    }
    if let Some(ids) = &f.contact_ids {
        if ids.is_empty() {
            conds.push("1 = 0".into());
        } else {
            let list = ids.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(", ");
            conds.push(format!("t.contact_id IN ({list})"));
        }
    }
    conds.extend(TICKET.conditions(&f.reach, &mut args));
    let wh = where_sql(&conds);
    let order = if let Some(o) = f.sort.as_deref().and_then(|k| crate::db::order_by(TICKET_ORDERS, k, "t.id")) {
        o
    } else if f.by_due {
        "CASE WHEN t.due_at IS NULL THEN 1 ELSE 0 END, t.due_at, t.updated_at DESC, t.id".into()
    } else {
        "t.updated_at DESC, t.id DESC".into()
    };
    let sql = format!("{}{wh} ORDER BY {order} LIMIT {} OFFSET {}", *SELECT, limit.clamp(1, 1000), offset.max(0));
    let (rows, total) = crate::db::page_and_count::<Row>(conn, &sql, &format!("SELECT COUNT(*) FROM {TICKET_FROM}{wh}"), &args).await?;
    Ok((open_rows(conn, crypto, rows).await?, total))
}
