//! Tasks and follow-ups: work on one record (a contact, an organization, a deal or a ticket),
//! decided by the gate exactly like that record, read-logged like it, refused with it while
//! its contact's processing is restricted, and erased with it. Reminders go to the assignee
//! by mail through the outbox and name the task and the kind of record, never personal data.

use super::{access, audit_entry, Page};
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Channel, Resource};
use crate::i18n::{self, Lang};
use obhut_core::ids::{TaskId, UserId};
use obhut_core::task::{TaskDraft, TaskInput, TaskOn};
use obhut_store::reach::RecordFacts;
use obhut_store::tasks::{self as repo, TaskFilter, TaskRecord};

/// The record a task is on, checked (it exists, the actor may see it, its contact's
/// processing is not restricted): the facts the task is decided by and the key its text is
/// sealed under.
struct OnRecord {
    facts: RecordFacts,
    key_subject: String,
}

async fn record_of(app: &App, actor: &Actor, on: TaskOn) -> ServiceResult<OnRecord> {
    let missing_key = |field: &str| ServiceError::field(field, "a task on a record without a contact or organization cannot be sealed: link the record to one first");
    Ok(match on {
        TaskOn::Contact(id) => {
            let c = super::contacts::linkable(app, actor, id, "contact_id", "add_task").await?;
            OnRecord { facts: c.facts(), key_subject: id.to_string() }
        }
        TaskOn::Organization(id) => {
            let o = super::organizations::linkable(app, actor, id, "organization_id").await?;
            OnRecord { facts: o.facts, key_subject: id.to_string() }
        }
        TaskOn::Deal(id) => {
            let d = super::deals::linkable(app, actor, id, "deal_id").await?;
            let key = d.draft.contact_id.map(|c| c.to_string()).or(d.draft.organization_id.map(|o| o.to_string()));
            OnRecord { facts: d.facts, key_subject: key.ok_or_else(|| missing_key("deal_id"))? }
        }
        TaskOn::Ticket(id) => {
            let t = super::tickets::linkable(app, actor, id, "ticket_id").await?;
            let key = t.draft.contact_id.map(|c| c.to_string()).or(t.draft.organization_id.map(|o| o.to_string()));
            OnRecord { facts: t.facts, key_subject: key.ok_or_else(|| missing_key("ticket_id"))? }
        }
    })
}

/// The assignee must be an active user whom the gate lets read the task: a task is never
/// handed to someone who may not see the record it is on.
async fn check_assignee(app: &App, assignee: Option<UserId>, facts: &RecordFacts) -> ServiceResult<()> {
    let Some(id) = assignee else { return Ok(()) };
    let mut conn = app.conn().await?;
    let user = obhut_store::users::find_user(&mut conn, id).await?.filter(|u| !u.disabled);
    drop(conn);
    let user = user.ok_or_else(|| ServiceError::field("assignee_id", "no active user with this id"))?;
    let as_them = super::users::actor_of(app, &user, Channel::Ui).await?;
    let target = access::target(Resource::Task, facts);
    let sees = app.gate.check(&as_them, Action::Read, &target, "", app.today()).is_ok()
        && (!facts.restricted || access::sees_restricted(app, &as_them));
    if !sees {
        return Err(ServiceError::field("assignee_id", format!("{} may not see the record this task is on", user.username)));
    }
    Ok(())
}

fn read_of(t: &TaskRecord) -> access::Read {
    let mut fields = vec!["title".to_string()];
    if t.draft.text.notes.is_some() {
        fields.push("notes".into());
    }
    access::Read { id: t.id.to_string(), subject: t.facts.subject.map(|s| s.to_string()), fields }
}

fn subject_of(t: &TaskRecord) -> Option<String> {
    t.facts.subject.map(|s| s.to_string())
}

pub async fn create(app: &App, actor: &Actor, input: &TaskInput) -> ServiceResult<TaskRecord> {
    app.authorize(actor, Action::Create, Resource::Task).await?;
    let mut d = input.validate()?;
    // Whoever writes a task does it unless they name someone else.
    if d.assignee_id.is_none() {
        d.assignee_id = actor.user_id;
    }
    let id = TaskId::new();
    let on = record_of(app, actor, d.on).await?;
    access::authorize(app, actor, Action::Create, Resource::Task, &on.facts, "", &id.to_string()).await?;
    check_assignee(app, d.assignee_id, &on.facts).await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    repo::insert_task(&mut w.tx, &app.store.crypto, id, &d, &on.key_subject, &actor.audit_name(), now).await?;
    let mut fields = vec!["title".to_string(), format!("on={}", d.on.kind())];
    if d.text.notes.is_some() {
        fields.push("notes".into());
    }
    w.record(&[audit_entry(actor, "task.create", "task", id, on.facts.subject.map(|s| s.to_string()), fields)]);
    let r = repo::find_task(&mut w.tx, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("task"))?;
    w.commit(app).await?;
    Ok(r)
}

async fn load(app: &App, id: TaskId) -> ServiceResult<TaskRecord> {
    let mut conn = app.conn().await?;
    repo::find_task(&mut conn, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("task"))
}

/// One task, decided like its record and read for the default purpose; the read is logged.
pub async fn get(app: &App, actor: &Actor, id: TaskId) -> ServiceResult<TaskRecord> {
    get_for(app, actor, id, super::contacts::DEFAULT_READ_PURPOSE).await
}

/// [`get`] for a declared purpose: the read event names it.
pub async fn get_for(app: &App, actor: &Actor, id: TaskId, purpose: &str) -> ServiceResult<TaskRecord> {
    access::check_purpose(app, actor, Resource::Task, purpose, Some(&id.to_string())).await?;
    let r = load(app, id).await?;
    access::authorize(app, actor, Action::Read, Resource::Task, &r.facts, purpose, &id.to_string()).await?;
    access::log_reads(app, actor, Resource::Task, purpose, vec![read_of(&r)]).await?;
    Ok(r)
}

/// Changes a task: absent fields stay. The record it is on stays too (a task moves nowhere:
/// write a new one on the other record).
pub async fn update(app: &App, actor: &Actor, id: TaskId, patch: TaskInput, expected_version: Option<i64>) -> ServiceResult<TaskRecord> {
    let current = load(app, id).await?;
    access::authorize(app, actor, Action::Update, Resource::Task, &current.facts, "", &id.to_string()).await?;
    let before = TaskInput::from_draft(&current.draft);
    for (field, given, was) in [
        ("contact_id", &patch.contact_id, &before.contact_id),
        ("organization_id", &patch.organization_id, &before.organization_id),
        ("deal_id", &patch.deal_id, &before.deal_id),
        ("ticket_id", &patch.ticket_id, &before.ticket_id),
    ] {
        let given = given.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if given.is_some() && given != was.as_deref() {
            return Err(ServiceError::field(field, "a task stays on the record it was written on: write a new one there"));
        }
    }
    let d: TaskDraft = before.merge(patch).validate()?;
    if d.assignee_id != current.draft.assignee_id {
        check_assignee(app, d.assignee_id, &current.facts).await?;
    }
    let mut fields = Vec::new();
    if d.text.title != current.draft.text.title {
        fields.push("title".to_string());
    }
    if d.text.notes != current.draft.text.notes {
        fields.push("notes".to_string());
    }
    for (name, changed) in [
        ("kind", d.kind != current.draft.kind),
        ("priority", d.priority != current.draft.priority),
        ("due_on", d.due_on != current.draft.due_on),
        ("remind_at", d.remind_at != current.draft.remind_at),
        ("assignee_id", d.assignee_id != current.draft.assignee_id),
        ("done", d.done != current.draft.done),
    ] {
        if changed {
            fields.push(name.to_string());
        }
    }
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let version = expected_version.unwrap_or(current.version);
    repo::update_task(&mut w.tx, &app.store.crypto, &current, &d, version, &actor.audit_name(), now).await?;
    let action = match (d.done, current.draft.done) {
        (true, false) => "task.done",
        (false, true) => "task.reopen",
        _ => "task.update",
    };
    w.record(&[audit_entry(actor, action, "task", id, subject_of(&current), fields)]);
    let r = repo::find_task(&mut w.tx, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("task"))?;
    w.commit(app).await?;
    Ok(r)
}

pub async fn delete(app: &App, actor: &Actor, id: TaskId) -> ServiceResult<()> {
    let current = load(app, id).await?;
    access::authorize(app, actor, Action::Delete, Resource::Task, &current.facts, "", &id.to_string()).await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    if !repo::delete_task(&mut w.tx, id).await? {
        return Err(ServiceError::NotFound("task"));
    }
    w.record(&[audit_entry(actor, "task.delete", "task", id, subject_of(&current), vec![])]);
    w.commit(app).await?;
    Ok(())
}

/// A page of the tasks the actor may reach (filtered and counted in the database), each
/// checked once more; every task handed out is logged as read.
pub async fn list(app: &App, actor: &Actor, filter: &TaskFilter, page: Page) -> ServiceResult<(Vec<TaskRecord>, i64)> {
    let purpose = super::contacts::DEFAULT_READ_PURPOSE;
    app.authorize_for(actor, Action::Read, Resource::Task, purpose).await?;
    let mut filter = filter.clone();
    filter.reach = access::reach(app, actor, Action::Read, Resource::Task, purpose);
    let mut conn = app.conn().await?;
    let (items, total) = repo::list_tasks(&mut conn, &app.store.crypto, &filter, page.limit, page.offset).await?;
    drop(conn);
    let items = access::permitted(app, actor, Action::Read, Resource::Task, purpose, items, |t| &t.facts);
    access::log_reads(app, actor, Resource::Task, purpose, items.iter().map(read_of).collect()).await?;
    Ok((items, total))
}

/// Today as a date, in German time (the installation's clock).
pub fn today(app: &App) -> time::Date {
    crate::fmt::local(app.now_ms()).date()
}

/// The staff member's own work address for reminders (`None` clears it).
pub async fn set_own_mail(app: &App, actor: &Actor, address: Option<&str>) -> ServiceResult<Option<String>> {
    let user = actor.user_id.ok_or_else(|| ServiceError::field("email", "only a signed-in user has an address for reminders"))?;
    let address = match address.map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => Some(obhut_core::email::EmailAddress::parse(a).map_err(|m| ServiceError::field("email", m))?.as_str().to_string()),
    };
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    obhut_store::tasks::set_user_mail(&mut w.tx, &app.store.crypto, user, address.as_deref()).await?;
    let mut e = audit_entry(actor, "user.mail", "user", user, None, vec!["email".into()]);
    e.subject_id = None;
    w.record(&[e]);
    w.commit(app).await?;
    Ok(address)
}

pub async fn own_mail(app: &App, actor: &Actor) -> ServiceResult<Option<String>> {
    let Some(user) = actor.user_id else { return Ok(None) };
    let mut conn = app.conn().await?;
    Ok(obhut_store::tasks::user_mail(&mut conn, &app.store.crypto, user).await?)
}

/// What the reminder job did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reminded {
    /// Mails queued.
    pub sent: usize,
    /// Reminders due for an assignee without an address (or without an assignee): marked, not mailed.
    pub unaddressed: usize,
}

/// Sends the reminders that are due, each once: a mail to the assignee through the outbox
/// naming the task's number, its kind, the kind of record it is on and its due day, with a
/// link; never the title or anything about the person. Audited as `task.remind`.
pub async fn send_reminders(app: &App) -> ServiceResult<Reminded> {
    let now = app.now_ms();
    let mut conn = app.conn().await?;
    let due = repo::due_reminders(&mut conn, &app.store.crypto, now, 500).await?;
    drop(conn);
    let job = Actor::job("task-reminders");
    let mut out = Reminded::default();
    let from = if due.is_empty() { String::new() } else { super::mail::sender(app).await };
    for t in due {
        let mut conn = app.conn().await?;
        let (address, lang) = match t.draft.assignee_id {
            Some(u) => {
                let address = obhut_store::tasks::user_mail(&mut conn, &app.store.crypto, u).await?;
                let lang = obhut_store::users::find_user(&mut conn, u).await?.and_then(|u| u.language).and_then(|l| Lang::parse(&l));
                (address, lang.unwrap_or(Lang::De))
            }
            None => (None, Lang::De),
        };
        drop(conn);
        let mut w = app.audited(now).await?;
        if !repo::mark_reminded(&mut w.tx, t.id, now).await? {
            continue;
        }
        let mut fields = vec![format!("number={}", t.number)];
        if let Some(to) = address {
            let outbox_id = uuid::Uuid::now_v7().to_string();
            let link = format!("{}/tasks/{}", app.config.base_url().trim_end_matches('/'), t.id);
            let due_on = t.draft.due_on.map(|d| crate::fmt::date(lang, d)).unwrap_or_else(|| i18n::t(lang, "task.no_due").to_string());
            let args = |link: &str| {
                vec![
                    ("number", t.number.to_string().into()),
                    ("kind", i18n::t(lang, &format!("task_kind.{}", t.draft.kind.as_str())).to_string().into()),
                    ("record", i18n::t(lang, &format!("task_on.{}", t.draft.on.kind())).to_string().into()),
                    ("due", due_on.clone().into()),
                    ("link", link.to_string().into()),
                ]
            };
            let subject = i18n::fill(lang, "task.reminder_subject", args(&link));
            let text = i18n::fill(lang, "task.reminder_text", args(&link));
            let html = format!("<p>{}</p>", text.replace('&', "&amp;").replace('<', "&lt;").replace("\n\n", "</p><p>").replace('\n', "<br>"));
            let compose =
                super::mail::Compose { to_name: None, to: &to, subject: &subject, text, html, language: lang.code(), unsubscribe: None };
            let (message_id, queued) = super::mail::compose(&from, &outbox_id, &compose)?;
            obhut_store::outbox::enqueue(&mut w.tx, &app.store.crypto, &outbox_id, "task_reminder", None, &message_id, &queued, now).await?;
            fields.push("mailed".into());
            out.sent += 1;
        } else {
            fields.push("no_address".into());
            out.unaddressed += 1;
        }
        w.record(&[audit_entry(&job, "task.remind", "task", t.id, None, fields)]);
        w.commit(app).await?;
    }
    if out.sent > 0 {
        app.outbox_wake.notify_one();
    }
    Ok(out)
}

/// The active staff a task can be given to (id and user name, by name): everyone but
/// processors' users, who work only on what their grant covers. Whether the one chosen may
/// see the task's record is checked when the task is saved.
pub async fn assignees(app: &App, actor: &Actor) -> ServiceResult<Vec<(UserId, String)>> {
    app.authorize(actor, Action::Read, Resource::Task).await?;
    let mut conn = app.conn().await?;
    let mut users: Vec<(UserId, String)> = obhut_store::users::list_users(&mut conn)
        .await?
        .into_iter()
        .filter(|u| !u.disabled && u.role != obhut_core::user::Role::Processor && u.role != obhut_core::user::Role::Guest)
        .map(|u| (u.id, u.username))
        .collect();
    users.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(users)
}

/// Notes that the actor opened a record (for "recently viewed" on their start page), in the
/// background: the page does not wait for it.
pub fn note_view(app: &App, actor: &Actor, kind: &'static str, id: String) {
    let Some(user) = actor.user_id else { return };
    let (app, now) = (app.clone(), app.now_ms());
    tokio::spawn(async move {
        let written = match app.conn().await {
            Ok(mut conn) => obhut_store::tasks::note_view(&mut conn, user, kind, &id, now).await.map_err(ServiceError::from),
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            tracing::warn!(error = %e, "noting a recently viewed record");
        }
    });
}

/// The records the actor opened last (kind, id), newest first.
pub async fn recent_views(app: &App, actor: &Actor, limit: i64) -> ServiceResult<Vec<(String, String)>> {
    let Some(user) = actor.user_id else { return Ok(Vec::new()) };
    let mut conn = app.conn().await?;
    Ok(obhut_store::tasks::recent_views(&mut conn, user, limit).await?.into_iter().map(|(k, i, _)| (k, i)).collect())
}
