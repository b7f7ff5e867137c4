//! Tasks and follow-ups, their title and notes sealed under the key of the person the record
//! they are on is about (else of its organization). A task goes with its record: deleting the
//! contact, organization, deal or ticket deletes it, and an erasure shreds its key.

use crate::crypto::Crypto;
use crate::db::{id_str, parse_uuid, Conn};
use crate::error::{Result, StoreError};
use crate::reach::{where_sql, FactsRow, Reach, RecordFacts, TASK, TASK_FROM};
use obhut_core::ids::{ContactId, DealId, OrganizationId, TaskId, TicketId, UserId};
use obhut_core::task::{TaskDraft, TaskKind, TaskOn, TaskPriority, TaskText};

#[derive(Debug, Clone)]
pub struct TaskRecord {
    pub id: TaskId,
    pub number: i64,
    pub draft: TaskDraft,
    pub reminded_at: Option<i64>,
    pub done_at: Option<i64>,
    pub done_by: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
    /// What the gate decides the task by: the facts of the record it is on.
    pub facts: RecordFacts,
}

fn aad(id: &str) -> Vec<u8> {
    format!("task:{id}").into_bytes()
}

fn day_of(d: time::Date) -> i64 {
    obhut_core::processor::epoch_day(d)
}

fn date_of(days: i64) -> Result<time::Date> {
    i32::try_from(days + 2_440_588)
        .ok()
        .and_then(|j| time::Date::from_julian_day(j).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("task due day {days}")))
}

fn millis(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn links(on: TaskOn) -> [Option<String>; 4] {
    let id = Some(on.id().to_string());
    match on {
        TaskOn::Contact(_) => [id, None, None, None],
        TaskOn::Organization(_) => [None, id, None, None],
        TaskOn::Deal(_) => [None, None, id, None],
        TaskOn::Ticket(_) => [None, None, None, id],
    }
}

/// Inserts a task whose text is sealed under `key_subject` (a contact or organization id).
pub async fn insert_task(
    conn: &mut Conn,
    crypto: &Crypto,
    id: TaskId,
    d: &TaskDraft,
    key_subject: &str,
    created_by: &str,
    now: i64,
) -> Result<i64> {
    let key = crate::activities::subject_key(conn, crypto, key_subject).await?;
    let number = crate::store::Store::next_counter(conn, "task_number").await?;
    let sid = id.to_string();
    let [contact, organization, deal, ticket] = links(d.on);
    sqlx::query(
        "INSERT INTO tasks (id, number, kind, priority, contact_id, organization_id, deal_id, ticket_id, assignee_id, due_on, remind_at, \
         done_at, done_by, key_subject, sealed, created_by, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, 1)",
    )
    .bind(&sid)
    .bind(number)
    .bind(d.kind.as_str())
    .bind(d.priority.as_str())
    .bind(contact)
    .bind(organization)
    .bind(deal)
    .bind(ticket)
    .bind(id_str(&d.assignee_id))
    .bind(d.due_on.map(day_of))
    .bind(d.remind_at.map(millis))
    .bind(d.done.then_some(now))
    .bind(d.done.then(|| created_by.to_string()))
    .bind(key_subject)
    .bind(key.seal_json(&aad(&sid), &d.text))
    .bind(created_by)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(number)
}

/// Writes a changed task (its record stays). Done is stamped when it turns done; a new
/// reminder time arms the reminder again.
pub async fn update_task(
    conn: &mut Conn,
    crypto: &Crypto,
    current: &TaskRecord,
    d: &TaskDraft,
    expected_version: i64,
    by: &str,
    now: i64,
) -> Result<i64> {
    let sid = current.id.to_string();
    let found: Option<(String,)> = sqlx::query_as("SELECT key_subject FROM tasks WHERE id = $1").bind(&sid).fetch_optional(&mut *conn).await?;
    let (key_subject,) = found.ok_or(StoreError::NotFound("task"))?;
    let key = crate::activities::subject_key(conn, crypto, &key_subject).await?;
    let (done_at, done_by) = match (d.done, current.draft.done) {
        (true, true) => (current.done_at, current.done_by.clone()),
        (true, false) => (Some(now), Some(by.to_string())),
        (false, _) => (None, None),
    };
    let reminded_at = if d.remind_at == current.draft.remind_at { current.reminded_at } else { None };
    let n = sqlx::query(
        "UPDATE tasks SET kind = $1, priority = $2, assignee_id = $3, due_on = $4, remind_at = $5, reminded_at = $6, done_at = $7, done_by = $8, \
         sealed = $9, updated_at = $10, version = version + 1 WHERE id = $11 AND version = $12",
    )
    .bind(d.kind.as_str())
    .bind(d.priority.as_str())
    .bind(id_str(&d.assignee_id))
    .bind(d.due_on.map(day_of))
    .bind(d.remind_at.map(millis))
    .bind(reminded_at)
    .bind(done_at)
    .bind(done_by)
    .bind(key.seal_json(&aad(&sid), &d.text))
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

pub async fn delete_task(conn: &mut Conn, id: TaskId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM tasks WHERE id = $1").bind(id.to_string()).execute(&mut *conn).await?.rows_affected() == 1)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    number: i64,
    kind: String,
    priority: String,
    contact_id: Option<String>,
    organization_id: Option<String>,
    deal_id: Option<String>,
    ticket_id: Option<String>,
    assignee_id: Option<String>,
    due_on: Option<i64>,
    remind_at: Option<i64>,
    reminded_at: Option<i64>,
    done_at: Option<i64>,
    done_by: Option<String>,
    key_subject: String,
    sealed: Vec<u8>,
    created_by: String,
    created_at: i64,
    updated_at: i64,
    version: i64,
    #[sqlx(flatten)]
    facts: FactsRow,
}

static SELECT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT k.id, k.number, k.kind, k.priority, k.contact_id, k.organization_id, k.deal_id, k.ticket_id, k.assignee_id, k.due_on, \
         k.remind_at, k.reminded_at, k.done_at, k.done_by, k.key_subject, k.sealed, k.created_by, k.created_at, k.updated_at, k.version, {} \
         FROM {TASK_FROM}",
        TASK.select()
    )
});

fn open_row(key: &crate::crypto::SubjectKey, r: Row) -> Result<TaskRecord> {
    let text: TaskText = key.open_json(&aad(&r.id), &r.sealed)?;
    let on = match (&r.contact_id, &r.organization_id, &r.deal_id, &r.ticket_id) {
        (Some(c), _, _, _) => TaskOn::Contact(ContactId(parse_uuid(c)?)),
        (None, Some(o), _, _) => TaskOn::Organization(OrganizationId(parse_uuid(o)?)),
        (None, None, Some(d), _) => TaskOn::Deal(DealId(parse_uuid(d)?)),
        (None, None, None, Some(t)) => TaskOn::Ticket(TicketId(parse_uuid(t)?)),
        (None, None, None, None) => return Err(StoreError::Corrupt(format!("task {} is on no record", r.id))),
    };
    Ok(TaskRecord {
        id: TaskId(parse_uuid(&r.id)?),
        number: r.number,
        facts: r.facts.facts()?,
        draft: TaskDraft {
            kind: TaskKind::parse(&r.kind).map_err(StoreError::Corrupt)?,
            priority: TaskPriority::parse(&r.priority).map_err(StoreError::Corrupt)?,
            due_on: r.due_on.map(date_of).transpose()?,
            remind_at: r.remind_at.map(|m| time::OffsetDateTime::from_unix_timestamp_nanos(m as i128 * 1_000_000)).transpose().map_err(|_| StoreError::Corrupt("task reminder".into()))?,
            assignee_id: r.assignee_id.as_deref().map(parse_uuid).transpose()?.map(UserId),
            on,
            done: r.done_at.is_some(),
            text,
        },
        reminded_at: r.reminded_at,
        done_at: r.done_at,
        done_by: r.done_by,
        created_by: r.created_by,
        created_at: r.created_at,
        updated_at: r.updated_at,
        version: r.version,
    })
}

async fn open_rows(conn: &mut Conn, crypto: &Crypto, rows: Vec<Row>) -> Result<Vec<TaskRecord>> {
    let mut keys = crate::activities::KeyRing::default();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let subject = r.key_subject.clone();
        let key = keys.key(conn, crypto, &subject).await?;
        out.push(open_row(key, r)?);
    }
    Ok(out)
}

pub async fn find_task(conn: &mut Conn, crypto: &Crypto, id: TaskId) -> Result<Option<TaskRecord>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{} WHERE k.id = $1", *SELECT)).bind(id.to_string()).fetch_all(&mut *conn).await?;
    Ok(open_rows(conn, crypto, rows).await?.into_iter().next())
}

/// When a task is due, relative to a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Before the day.
    Overdue,
    /// On the day.
    On,
    /// After the day and up to the given day.
    Until(time::Date),
    /// Without a due day.
    Undated,
}

#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub assignee_id: Option<UserId>,
    pub contact_id: Option<ContactId>,
    pub organization_id: Option<OrganizationId>,
    pub deal_id: Option<DealId>,
    pub ticket_id: Option<TicketId>,
    pub kind: Option<TaskKind>,
    /// `Some(false)`: open tasks; `Some(true)`: done ones.
    pub done: Option<bool>,
    /// Due relative to `today`.
    pub due: Option<(Due, time::Date)>,
    /// Set by the gate, not by callers: what the actor may reach at all.
    pub reach: Reach,
}

/// Tasks, open ones by due day (undated last) then number; done ones most recently done first.
pub async fn list_tasks(conn: &mut Conn, crypto: &Crypto, f: &TaskFilter, limit: i64, offset: i64) -> Result<(Vec<TaskRecord>, i64)> {
    // The task's own link or the record it is on: a contact's tasks include those on its deals
    // and tickets.
    let (mut conds, mut args) = crate::db::conditions(vec![
        ("k.assignee_id", f.assignee_id.map(|x| x.to_string())),
        ("k.organization_id", f.organization_id.map(|x| x.to_string())),
        ("k.deal_id", f.deal_id.map(|x| x.to_string())),
        ("k.ticket_id", f.ticket_id.map(|x| x.to_string())),
        ("k.kind", f.kind.map(|x| x.as_str().to_string())),
        ("c.id", f.contact_id.map(|x| x.to_string())),
    ]);
    match f.done {
        Some(true) => conds.push("k.done_at IS NOT NULL".into()),
        Some(false) => conds.push("k.done_at IS NULL".into()),
        None => {}
    }
    if let Some((due, today)) = f.due {
        let t = day_of(today);
        conds.push(match due {
            Due::Overdue => format!("k.due_on < {t}"),
            Due::On => format!("k.due_on = {t}"),
            Due::Until(end) => format!("k.due_on > {t} AND k.due_on <= {}", day_of(end)),
            Due::Undated => "k.due_on IS NULL".into(),
        });
    }
    conds.extend(TASK.conditions(&f.reach, &mut args));
    let wh = where_sql(&conds);
    let order = if f.done == Some(true) {
        "k.done_at DESC, k.number DESC"
    } else {
        "CASE WHEN k.due_on IS NULL THEN 1 ELSE 0 END, k.due_on, CASE k.priority WHEN 'high' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END, k.number"
    };
    let sql = format!("{}{wh} ORDER BY {order} LIMIT {} OFFSET {}", *SELECT, limit.clamp(1, 1000), offset.max(0));
    let (rows, total) = crate::db::page_and_count::<Row>(conn, &sql, &format!("SELECT COUNT(*) FROM {TASK_FROM}{wh}"), &args).await?;
    Ok((open_rows(conn, crypto, rows).await?, total))
}

/// Open tasks whose reminder is due and not yet sent (oldest first).
pub async fn due_reminders(conn: &mut Conn, crypto: &Crypto, now: i64, limit: i64) -> Result<Vec<TaskRecord>> {
    let sql = format!(
        "{} WHERE k.remind_at <= {now} AND k.reminded_at IS NULL AND k.done_at IS NULL ORDER BY k.remind_at, k.number LIMIT {}",
        *SELECT,
        limit.clamp(1, 10_000)
    );
    let rows: Vec<Row> = sqlx::query_as(&sql).fetch_all(&mut *conn).await?;
    open_rows(conn, crypto, rows).await
}

/// Marks a reminder sent (once: `false` when another process was first).
pub async fn mark_reminded(conn: &mut Conn, id: TaskId, now: i64) -> Result<bool> {
    Ok(sqlx::query("UPDATE tasks SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL")
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 1)
}

/// Deletes the tasks whose text is sealed under a contact's key or that are on the contact
/// (inside an erasure's transaction).
pub async fn delete_of_subject(conn: &mut Conn, subject: &str) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM tasks WHERE key_subject = $1 OR contact_id = $1").bind(subject).execute(&mut *conn).await?.rows_affected())
}

/// A staff member's work address for reminders, sealed under the master key.
pub async fn set_user_mail(conn: &mut Conn, crypto: &Crypto, user: UserId, address: Option<&str>) -> Result<()> {
    let uid = user.to_string();
    sqlx::query("DELETE FROM user_mail WHERE user_id = $1").bind(&uid).execute(&mut *conn).await?;
    if let Some(a) = address {
        sqlx::query("INSERT INTO user_mail (user_id, sealed) VALUES ($1, $2)")
            .bind(&uid)
            .bind(crypto.seal(format!("user-mail:{uid}").as_bytes(), a.as_bytes()))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn user_mail(conn: &mut Conn, crypto: &Crypto, user: UserId) -> Result<Option<String>> {
    let uid = user.to_string();
    let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT sealed FROM user_mail WHERE user_id = $1").bind(&uid).fetch_optional(&mut *conn).await?;
    let Some((sealed,)) = row else { return Ok(None) };
    let plain = crypto.open(format!("user-mail:{uid}").as_bytes(), &sealed).map_err(|_| StoreError::Corrupt("user mail".into()))?;
    String::from_utf8(plain).map(Some).map_err(|_| StoreError::Corrupt("user mail".into()))
}

/// Notes that a user opened a record (one row per user and record, the latest time).
pub async fn note_view(conn: &mut Conn, user: UserId, kind: &str, id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO recent_views (user_id, record_kind, record_id, viewed_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, record_kind, record_id) DO UPDATE SET viewed_at = excluded.viewed_at",
    )
    .bind(user.to_string())
    .bind(kind)
    .bind(id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The records a user opened last, newest first: (kind, id, when).
pub async fn recent_views(conn: &mut Conn, user: UserId, limit: i64) -> Result<Vec<(String, String, i64)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT record_kind, record_id, viewed_at FROM recent_views WHERE user_id = $1 ORDER BY viewed_at DESC LIMIT {}",
        limit.clamp(1, 100)
    ))
    .bind(user.to_string())
    .fetch_all(&mut *conn)
    .await?)
}

/// Forgets views of a record (an erased contact).
pub async fn forget_views_of(conn: &mut Conn, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM recent_views WHERE record_id = $1").bind(id).execute(&mut *conn).await?;
    Ok(())
}
