//! Activities: calls, emails, meetings, notes, complaints and orders.

use super::{access, audit_entry, Page};
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Resource};
use obhut_core::activity::{ActivityDraft, ActivityInput};
use obhut_core::clock::to_millis;
use obhut_core::ids::{ActivityId, ContactId, OrganizationId};
use obhut_store::activities::{self as repo, ActivityOwner, ActivityRecord, NewActivity};
use obhut_store::reach::RecordFacts;

/// The records an activity is filed under, checked (they exist, the actor may see them and
/// the contact's processing is not restricted), and the facts the activity will be decided by.
struct Links {
    contact: Option<ContactId>,
    organization: Option<OrganizationId>,
    facts: RecordFacts,
}

async fn check_links(app: &App, actor: &Actor, d: &ActivityDraft) -> ServiceResult<Links> {
    let deal = match d.deal_id {
        None => None,
        Some(id) => Some(super::deals::linkable(app, actor, id, "deal_id").await?),
    };
    let org = match d.organization_id {
        None => None,
        Some(id) => Some(super::organizations::linkable(app, actor, id, "organization_id").await?),
    };
    let contact_id = d.contact_id.or(deal.as_ref().and_then(|x| x.draft.contact_id));
    let contact = match contact_id {
        None => None,
        Some(id) => Some(super::contacts::linkable(app, actor, id, "contact_id", "add_activity").await?),
    };
    // Owned by what it is filed under: the deal, else the contact, else the organization.
    let facts = match (&contact, &deal, &org) {
        (Some(c), _, _) => RecordFacts::about(&c.facts(), deal.as_ref().and_then(|x| x.facts.owner)),
        (None, Some(x), _) => x.facts.clone(),
        (None, None, Some(o)) => o.facts.clone(),
        (None, None, None) => return Err(ServiceError::field("contact_id", "an activity belongs to a contact, an organization or a deal")),
    };
    let organization =
        d.organization_id.or(contact.as_ref().and_then(|c| c.organization_id)).or(deal.as_ref().and_then(|x| x.draft.organization_id));
    Ok(Links { contact: contact_id, organization, facts })
}

fn read_of(a: &ActivityRecord) -> access::Read {
    let mut fields = vec!["subject".to_string()];
    if a.text.body.is_some() {
        fields.push("body".into());
    }
    access::Read { id: a.id.to_string(), subject: a.facts.subject.map(|s| s.to_string()), fields }
}

pub async fn create(app: &App, actor: &Actor, input: &ActivityInput) -> ServiceResult<ActivityRecord> {
    app.authorize(actor, Action::Create, Resource::Activity).await?;
    let d = input.validate()?;
    // An activity's text is personal data about the person it concerns: some active purpose
    // must justify keeping it (data minimization).
    if let Some(def) = obhut_core::fields::field("activity", "body") {
        super::purposes::registry(app).await?;
        if app.gate.justifying(def).is_empty() {
            return Err(ServiceError::field("body", format!("no active purpose justifies storing activity texts ({})", def.category)));
        }
    }
    // The activity belongs with what it is filed under: the same class, owner, team and tags
    // decide. (Asked before the write transaction: a refusal is logged, which needs the chain head.)
    let id = ActivityId::new();
    let links = check_links(app, actor, &d).await?;
    access::authorize(app, actor, Action::Create, Resource::Activity, &links.facts, "", &id.to_string()).await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let crypto = &app.store.crypto;
    // The text is sealed under the key of the person it concerns, else of the organization.
    let key_subject =
        links.contact.map(|c| c.to_string()).or_else(|| links.organization.map(|o| o.to_string())).ok_or_else(|| {
            ServiceError::field("organization_id", "an activity on a deal without a contact needs the deal's organization")
        })?;
    let occurred_at = d.occurred_at.map(to_millis).unwrap_or(now);
    let new = NewActivity {
        id,
        kind: d.kind,
        occurred_at,
        contact_id: links.contact,
        organization_id: links.organization,
        deal_id: d.deal_id,
        key_subject,
        text: &d.text,
    };
    repo::insert_activities(&mut w.tx, crypto, &[new], now, &actor.audit_name()).await?;
    let subject = links.contact.map(|c| c.to_string());
    w.record(&[audit_entry(actor, "activity.create", "activity", id, subject, vec!["subject".into(), "body".into()])]);
    let r = repo::find_activity(&mut w.tx, crypto, id).await?.ok_or(ServiceError::NotFound("activity"))?;
    w.commit(app).await?;
    Ok(r)
}

/// A page of the activities filed under `owner` that the actor may reach (filtered and
/// counted in the database), each checked once more; every one handed out is logged as read.
pub async fn list(app: &App, actor: &Actor, owner: ActivityOwner, page: Page) -> ServiceResult<Vec<ActivityRecord>> {
    Ok(list_for(app, actor, owner, page, super::contacts::DEFAULT_READ_PURPOSE).await?.0)
}

/// [`list`] for a declared purpose, with the number of activities the actor may reach.
pub async fn list_for(
    app: &App,
    actor: &Actor,
    owner: ActivityOwner,
    page: Page,
    purpose: &str,
) -> ServiceResult<(Vec<ActivityRecord>, i64)> {
    app.authorize_for(actor, Action::Read, Resource::Activity, purpose).await?;
    access::check_purpose(app, actor, Resource::Activity, purpose, None).await?;
    let reach = access::reach(app, actor, Action::Read, Resource::Activity, purpose);
    let mut conn = app.conn().await?;
    let (items, total) = repo::list_activities(&mut conn, &app.store.crypto, owner, &reach, page.limit, page.offset).await?;
    drop(conn);
    let items = access::permitted(app, actor, Action::Read, Resource::Activity, purpose, items, |a| &a.facts);
    access::log_reads(app, actor, Resource::Activity, purpose, items.iter().map(read_of).collect()).await?;
    Ok((items, total))
}

async fn load(app: &App, id: ActivityId) -> ServiceResult<ActivityRecord> {
    let mut conn = app.conn().await?;
    repo::find_activity(&mut conn, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("activity"))
}

/// One activity, decided by the contact it is about (else what it is filed under), read for
/// the default purpose; the read is logged.
pub async fn get(app: &App, actor: &Actor, id: ActivityId) -> ServiceResult<ActivityRecord> {
    get_for(app, actor, id, super::contacts::DEFAULT_READ_PURPOSE).await
}

/// [`get`] for a declared purpose: the read event names it.
pub async fn get_for(app: &App, actor: &Actor, id: ActivityId, purpose: &str) -> ServiceResult<ActivityRecord> {
    access::check_purpose(app, actor, Resource::Activity, purpose, Some(&id.to_string())).await?;
    let r = load(app, id).await?;
    access::authorize(app, actor, Action::Read, Resource::Activity, &r.facts, purpose, &id.to_string()).await?;
    access::log_reads(app, actor, Resource::Activity, purpose, vec![read_of(&r)]).await?;
    Ok(r)
}

/// Changes an activity's kind, subject, text or time; what the patch leaves out stays. The
/// activity stays where it is filed. The values before and after travel in the audit entry,
/// sealed under the contact's key, so an erasure makes them unreadable with the rest.
pub async fn update(app: &App, actor: &Actor, id: ActivityId, patch: &ActivityInput) -> ServiceResult<ActivityRecord> {
    let current = load(app, id).await?;
    access::authorize(app, actor, Action::Update, Resource::Activity, &current.facts, "", &id.to_string()).await?;
    let links = [patch.contact_id.as_deref(), patch.organization_id.as_deref(), patch.deal_id.as_deref()];
    if links.iter().any(|l| l.is_some_and(|v| !v.trim().is_empty())) {
        return Err(ServiceError::field("contact_id", "an activity stays where it is filed; record a new one elsewhere"));
    }
    let occurred = obhut_core::clock::from_millis(current.occurred_at);
    let merged = ActivityInput {
        kind: patch.kind.clone().or_else(|| Some(current.kind.as_str().to_string())),
        subject: patch.subject.clone().or_else(|| Some(current.text.subject.clone())),
        body: patch.body.clone().or_else(|| current.text.body.clone()),
        occurred_at: patch.occurred_at.clone().or_else(|| occurred.format(&time::format_description::well_known::Rfc3339).ok()),
        contact_id: current.contact_id.map(|c| c.to_string()),
        organization_id: current.organization_id.map(|o| o.to_string()),
        deal_id: current.deal_id.map(|d| d.to_string()),
    };
    let d = merged.validate()?;
    let occurred_at = d.occurred_at.map(to_millis).unwrap_or(current.occurred_at);
    let mut fields = Vec::new();
    if d.kind != current.kind {
        fields.push("kind".to_string());
    }
    if d.text.subject != current.text.subject {
        fields.push("subject".to_string());
    }
    if d.text.body != current.text.body {
        fields.push("body".to_string());
    }
    if occurred_at != current.occurred_at {
        fields.push("occurred_at".to_string());
    }
    if fields.is_empty() {
        return Ok(current);
    }
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let crypto = &app.store.crypto;
    if !repo::update_activity(&mut w.tx, crypto, id, d.kind, occurred_at, &d.text).await? {
        return Err(ServiceError::NotFound("activity"));
    }
    let subject = current.facts.subject.map(|c| c.to_string());
    let mut entry = audit_entry(actor, "activity.update", "activity", id, subject.clone(), fields);
    if let Some(sid) = &subject {
        if let Some(key) = obhut_store::consent::contact_key(&mut w.tx, crypto, sid).await? {
            let side = |kind: &str, text: &obhut_core::activity::ActivityText, at: i64| serde_json::json!({ "kind": kind, "subject": text.subject, "body": text.body, "occurred_at": at });
            let detail = serde_json::json!({
                "before": side(current.kind.as_str(), &current.text, current.occurred_at),
                "after": side(d.kind.as_str(), &d.text, occurred_at),
            });
            entry.detail = Some(obhut_store::audit::seal_detail(&key, sid, &detail));
        }
    }
    w.record(&[entry]);
    let r = repo::find_activity(&mut w.tx, crypto, id).await?.ok_or(ServiceError::NotFound("activity"))?;
    w.commit(app).await?;
    Ok(r)
}

pub async fn delete(app: &App, actor: &Actor, id: ActivityId) -> ServiceResult<()> {
    let current = load(app, id).await?;
    access::authorize(app, actor, Action::Delete, Resource::Activity, &current.facts, "", &id.to_string()).await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    if !repo::delete_activity(&mut w.tx, id).await? {
        return Err(ServiceError::NotFound("activity"));
    }
    let subject = current.facts.subject.map(|c| c.to_string());
    w.record(&[audit_entry(actor, "activity.delete", "activity", id, subject, vec![])]);
    w.commit(app).await?;
    Ok(())
}
