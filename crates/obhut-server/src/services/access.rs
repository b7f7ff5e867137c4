//! Object-level access for records of every kind. The gate decides each record by its facts
//! (class, owner, team, tags and restriction, inherited from the contact a record is about:
//! see [`obhut_store::reach`]); lists are filtered in the database by what the actor may reach
//! and every record handed out is checked once more; reads of records that show personal data
//! are read events with their purpose; a record of a restricted contact is refused (Art. 18)
//! to everyone but those who administer data subject rights. Every refusal is logged.

use super::audit_entry;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Refusal, Resource, Target};
use obhut_store::reach::{Reach, RecordFacts};

use obhut_store::contacts::ContactRecord;

/// A record as the policies see it.
pub fn target(resource: Resource, f: &RecordFacts) -> Target<'_> {
    Target::new(resource, f.class.as_str(), f.owner, f.team.as_deref(), &f.tags)
}

/// May the actor do this to this record, for this purpose? A refusal by the policies is logged
/// as `access.refused`, and so is a record of a restricted contact (with the policy
/// `restriction`), which answers `/problems/restricted`.
pub async fn authorize(
    app: &App,
    actor: &Actor,
    action: Action,
    resource: Resource,
    facts: &RecordFacts,
    purpose: &str,
    record_id: &str,
) -> ServiceResult<()> {
    let subject = facts.subject.map(|s| s.to_string());
    if let Err(r) = app.gate.check(actor, action, &target(resource, facts), purpose, app.today()) {
        return Err(app.refused_about(actor, action, resource.kind(), Some(record_id), subject.as_deref(), purpose, r).await);
    }
    if facts.restricted && !sees_restricted(app, actor) {
        let r = Refusal { message: String::new(), policies: vec!["restriction".into()] };
        let logged = app.refused_about(actor, action, resource.kind(), Some(record_id), subject.as_deref(), purpose, r).await;
        if let ServiceError::Internal(e) = logged {
            return Err(ServiceError::Internal(e));
        }
        metrics::counter!("obhut_restricted_refusals_total").increment(1);
        return Err(ServiceError::Restricted(format!(
            "processing of the contact this {} is about is restricted (Art. 18 GDPR): it is only stored; ask the data protection officer",
            resource.kind()
        )));
    }
    Ok(())
}

/// What of a kind's records the actor may reach for an action, for the database to filter by.
pub fn reach(app: &App, actor: &Actor, action: Action, resource: Resource, purpose: &str) -> Reach {
    let mut r = app.gate.reach(actor, action, resource, purpose, app.today());
    r.hide_restricted = !sees_restricted(app, actor);
    r
}

/// Of the records the database returned within the actor's reach, those the gate lets them
/// have, each decided on its own (a custom policy may say more than the reach can).
pub fn permitted<T>(
    app: &App,
    actor: &Actor,
    action: Action,
    resource: Resource,
    purpose: &str,
    items: Vec<T>,
    facts: impl Fn(&T) -> &RecordFacts,
) -> Vec<T> {
    let restricted_too = sees_restricted(app, actor);
    let mut gate = app.gate.checker(actor, action, purpose, app.today());
    items
        .into_iter()
        .filter(|i| {
            let f = facts(i);
            (restricted_too || !f.restricted) && gate.allows(&target(resource, f))
        })
        .collect()
}

/// One record handed out: its id, the contact it is about and the personal fields it shows.
pub struct Read {
    pub id: String,
    pub subject: Option<String>,
    pub fields: Vec<String>,
}

/// Logs records handed out as read events (`<kind>.read`, with the purpose), committed
/// before the data leaves.
pub async fn log_reads(app: &App, actor: &Actor, resource: Resource, purpose: &str, reads: Vec<Read>) -> ServiceResult<()> {
    if reads.is_empty() {
        return Ok(());
    }
    let action = format!("{}.read", resource.kind());
    let events = reads
        .into_iter()
        .map(|r| {
            let mut e = audit_entry(actor, &action, resource.kind(), r.id, r.subject, r.fields);
            e.purpose = Some(purpose.to_string());
            e
        })
        .collect();
    app.access_log.record_all(events, app.now_ms()).await.map_err(ServiceError::Internal)
}

/// Refuses (and logs) a read under a purpose the registry does not hold active.
pub async fn check_purpose(app: &App, actor: &Actor, resource: Resource, purpose: &str, id: Option<&str>) -> ServiceResult<()> {
    if super::purposes::is_active(app, purpose).await? {
        return Ok(());
    }
    let shown: String = purpose.chars().filter(|c| !c.is_control()).take(64).collect();
    let kind = resource.kind();
    let mut event = match id {
        Some(id) => audit_entry(actor, &format!("{kind}.read_refused"), kind, id, None, vec![]),
        None => audit_entry(actor, &format!("{kind}.list_refused"), kind, "*", None, vec![]),
    };
    event.purpose = Some(shown.clone());
    app.access_log.record(event, app.now_ms()).await.map_err(ServiceError::Internal)?;
    let known = super::purposes::active_keys(app).await?.join(", ");
    Err(ServiceError::field("purpose", format!("'{shown}' is not a purpose of this installation: use one of {known}")))
}

/// The facts of a contact a record is (to be) about, read for a decision (no read event).
pub async fn contact_facts(app: &App, id: obhut_core::ids::ContactId) -> ServiceResult<Option<RecordFacts>> {
    Ok(obhut_store::contacts::read_contact(&app.store, id).await?.map(|c| c.facts()))
}

/// Records an export of a kind's records (a bulk disclosure): `<kind>.export.start` before
/// anything is read, then [`export_finished`] with the count.
pub async fn export_started(app: &App, actor: &Actor, resource: Resource, format: &str) -> ServiceResult<()> {
    let mut e = audit_entry(actor, &format!("{}.export.start", resource.kind()), resource.kind(), "*", None, vec![format.to_string()]);
    e.record_id = None;
    let mut tx = app.begin_write().await?;
    obhut_store::audit::append(&mut tx, &app.store.crypto, app.now_ms(), &[e]).await?;
    tx.commit().await?;
    Ok(())
}

/// The end of an export begun with [`export_started`]: how many records left.
pub async fn export_finished(app: &App, actor: &Actor, resource: Resource, format: &str, count: usize) -> ServiceResult<()> {
    let fields = vec![format.to_string(), format!("count={count}")];
    let mut e = audit_entry(actor, &format!("{}.export", resource.kind()), resource.kind(), "*", None, fields);
    e.record_id = None;
    let mut tx = app.begin_write().await?;
    obhut_store::audit::append(&mut tx, &app.store.crypto, app.now_ms(), &[e]).await?;
    tx.commit().await?;
    Ok(())
}

/// Pages through a kind's records the actor may export, 500 at a time.
pub async fn export_all<T, F, Fut>(mut page: F) -> ServiceResult<Vec<T>>
where
    F: FnMut(super::Page) -> Fut,
    Fut: std::future::Future<Output = ServiceResult<(Vec<T>, i64)>>,
{
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let (items, total) = page(super::Page { limit: 500, offset }).await?;
        let n = items.len() as i64;
        out.extend(items);
        offset += 500;
        if n == 0 || offset >= total {
            return Ok(out);
        }
    }
}

/// Whether the actor sees and may process restricted contacts: whoever runs data subject
/// rights (the gate's answer for administering the audit trail). Nothing is logged.
pub fn sees_restricted(app: &App, actor: &Actor) -> bool {
    app.gate.check_kind(actor, Action::Administer, Resource::Audit, "", app.today()).is_ok()
}

/// Refuses any processing of a restricted contact (Art. 18(2)) by someone who does not run
/// data subject rights, and logs the attempt as `access.refused` (policy `restriction`) with
/// what was tried.
pub(crate) async fn guard(app: &App, actor: &Actor, record: &ContactRecord, attempt: &str) -> ServiceResult<()> {
    if !record.is_restricted() || sees_restricted(app, actor) {
        return Ok(());
    }
    refuse(app, actor, record, attempt).await
}

/// Refuses processing that no one may do to a restricted contact, whatever their role
/// (marketing and re-confirmation mail), logged like [`guard`]'s refusals.
pub(crate) async fn guard_always(app: &App, actor: &Actor, record: &ContactRecord, attempt: &str) -> ServiceResult<()> {
    if !record.is_restricted() {
        return Ok(());
    }
    refuse(app, actor, record, attempt).await
}

async fn refuse(app: &App, actor: &Actor, record: &ContactRecord, attempt: &str) -> ServiceResult<()> {
    let sid = record.id.to_string();
    let fields = vec![format!("attempt={attempt}"), "policy=restriction".to_string()];
    let event = audit_entry(actor, "access.refused", "contact", &sid, Some(sid.clone()), fields);
    app.access_log.record(event, app.now_ms()).await.map_err(ServiceError::Internal)?;
    metrics::counter!("obhut_restricted_refusals_total").increment(1);
    Err(ServiceError::Restricted(
        "processing of this contact is restricted (Art. 18 GDPR): it is only stored; ask the data protection officer".into(),
    ))
}
