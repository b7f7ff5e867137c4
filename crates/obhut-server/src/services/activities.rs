//! Activities: calls, emails, meetings, notes, complaints and orders.

use super::{audit_entry, Page};
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Resource};
use obhut_core::activity::ActivityInput;
use obhut_core::clock::to_millis;
use obhut_core::ids::ActivityId;
use obhut_store::activities::{self as repo, ActivityOwner, ActivityRecord, NewActivity};

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
    // The activity belongs with its contact: the same class, owner, team and tags decide.
    // (Asked before the write transaction: a refusal is logged, which needs the chain head.)
    if let Some(c) = d.contact_id {
        if let Some(rec) = obhut_store::contacts::read_contact(&app.store, c).await? {
            let t = crate::gate::Target::new(Resource::Activity, rec.record_class.as_str(), rec.owner_id, rec.team.as_deref(), &rec.tags);
            app.authorize_record(actor, Action::Create, &t, "", &c.to_string()).await?;
            super::rights::guard(app, actor, &rec, "add_activity").await?;
        }
    }
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    let crypto = &app.store.crypto;
    // The text is sealed under the key of the person it concerns, else of the organization.
    let mut org = d.organization_id;
    let mut contact = d.contact_id;
    if let Some(c) = contact {
        let rec = obhut_store::contacts::find_contact(&mut tx, crypto, c)
            .await?
            .ok_or_else(|| ServiceError::field("contact_id", "no contact with this id"))?;
        org = org.or(rec.organization_id);
    }
    if let Some(deal_id) = d.deal_id {
        let deal =
            obhut_store::deals::find_deal(&mut tx, deal_id).await?.ok_or_else(|| ServiceError::field("deal_id", "no deal with this id"))?;
        contact = contact.or(deal.draft.contact_id);
        org = org.or(deal.draft.organization_id);
    }
    if let Some(o) = d.organization_id {
        if obhut_store::organizations::find_organization(&mut tx, crypto, o).await?.is_none() {
            return Err(ServiceError::field("organization_id", "no organization with this id"));
        }
    }
    let key_subject = contact
        .map(|c| c.to_string())
        .or_else(|| org.map(|o| o.to_string()))
        .ok_or_else(|| ServiceError::field("contact_id", "an activity belongs to a contact, an organization or a deal"))?;
    let id = ActivityId::new();
    let occurred_at = d.occurred_at.map(to_millis).unwrap_or(now);
    let new = NewActivity {
        id,
        kind: d.kind,
        occurred_at,
        contact_id: d.contact_id.or(contact),
        organization_id: org,
        deal_id: d.deal_id,
        key_subject: key_subject.clone(),
        text: &d.text,
    };
    repo::insert_activities(&mut tx, crypto, &[new], now, &actor.audit_name()).await?;
    let subject = contact.map(|c| c.to_string());
    obhut_store::audit::append(
        &mut tx,
        &app.store.crypto,
        now,
        &[audit_entry(actor, "activity.create", "activity", id, subject, vec!["subject".into(), "body".into()])],
    )
    .await?;
    let r = repo::find_activity(&mut tx, crypto, id).await?.ok_or(ServiceError::NotFound("activity"))?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(r)
}

pub async fn list(app: &App, actor: &Actor, owner: ActivityOwner, page: Page) -> ServiceResult<Vec<ActivityRecord>> {
    app.authorize(actor, Action::Read, Resource::Activity).await?;
    let mut conn = app.conn().await?;
    Ok(repo::list_activities(&mut conn, &app.store.crypto, owner, page.limit, page.offset).await?)
}

pub async fn get(app: &App, actor: &Actor, id: ActivityId) -> ServiceResult<ActivityRecord> {
    app.authorize(actor, Action::Read, Resource::Activity).await?;
    let mut conn = app.conn().await?;
    repo::find_activity(&mut conn, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("activity"))
}

pub async fn delete(app: &App, actor: &Actor, id: ActivityId) -> ServiceResult<()> {
    app.authorize(actor, Action::Delete, Resource::Activity).await?;
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    let subject = repo::find_activity(&mut tx, &app.store.crypto, id)
        .await?
        .ok_or(ServiceError::NotFound("activity"))?
        .contact_id
        .map(|c| c.to_string());
    repo::delete_activity(&mut tx, id).await?;
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[audit_entry(actor, "activity.delete", "activity", id, subject, vec![])])
        .await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(())
}
