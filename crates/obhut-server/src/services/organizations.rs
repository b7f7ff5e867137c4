//! Organizations (B2B accounts).

use super::{access, audit_entry, Page};
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Resource};
use obhut_core::ids::OrganizationId;
use obhut_core::organization::OrganizationInput;
use obhut_store::organizations::{self as repo, OrganizationRecord};
use obhut_store::reach::RecordFacts;

async fn check_owner(app: &App, owner: Option<obhut_core::ids::UserId>) -> ServiceResult<()> {
    if let Some(u) = owner {
        let mut conn = app.conn().await?;
        if obhut_store::users::find_user(&mut conn, u).await?.is_none() {
            return Err(ServiceError::field("owner_id", "no user with this id"));
        }
    }
    Ok(())
}

fn facts_of(d: &obhut_core::organization::OrganizationDraft) -> RecordFacts {
    RecordFacts::own(d.record_class, d.owner_id, d.team.clone(), d.tags.clone())
}

pub async fn create(app: &App, actor: &Actor, input: &OrganizationInput) -> ServiceResult<OrganizationRecord> {
    app.authorize(actor, Action::Create, Resource::Organization).await?;
    let mut d = input.validate()?;
    // Whoever creates an organization owns it unless they name another owner.
    if d.owner_id.is_none() {
        d.owner_id = actor.user_id;
    }
    check_owner(app, d.owner_id).await?;
    let id = OrganizationId::new();
    access::authorize(app, actor, Action::Create, Resource::Organization, &facts_of(&d), "", &id.to_string()).await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    repo::insert_organization(&mut w.tx, &app.store.crypto, id, &d, now).await?;
    w.record(&[audit_entry(actor, "organization.create", "organization", id, None, vec![])]);
    let r = repo::find_organization(&mut w.tx, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("organization"))?;
    w.commit(app).await?;
    Ok(r)
}

async fn load(app: &App, id: OrganizationId) -> ServiceResult<Option<OrganizationRecord>> {
    let mut conn = app.conn().await?;
    Ok(repo::find_organization(&mut conn, &app.store.crypto, id).await?)
}

/// One organization, decided by its own class, owner, team and tags.
pub async fn get(app: &App, actor: &Actor, id: OrganizationId) -> ServiceResult<OrganizationRecord> {
    let r = load(app, id).await?.ok_or(ServiceError::NotFound("organization"))?;
    access::authorize(app, actor, Action::Read, Resource::Organization, &r.facts, "", &id.to_string()).await?;
    Ok(r)
}

/// An organization another record is to be linked to: it must exist and the actor must be
/// allowed to see it. `field` names the input that named it.
pub(crate) async fn linkable(app: &App, actor: &Actor, id: OrganizationId, field: &str) -> ServiceResult<OrganizationRecord> {
    let r = load(app, id).await?.ok_or_else(|| ServiceError::field(field, "no organization with this id"))?;
    access::authorize(app, actor, Action::Read, Resource::Organization, &r.facts, "", &id.to_string()).await?;
    Ok(r)
}

pub async fn update(
    app: &App,
    actor: &Actor,
    id: OrganizationId,
    patch: OrganizationInput,
    expected_version: Option<i64>,
) -> ServiceResult<OrganizationRecord> {
    let current = load(app, id).await?.ok_or(ServiceError::NotFound("organization"))?;
    access::authorize(app, actor, Action::Update, Resource::Organization, &current.facts, "", &id.to_string()).await?;
    let d = OrganizationInput::from_draft(&current.draft).merge(patch).validate()?;
    check_owner(app, d.owner_id).await?;
    // Moving it (another owner, class, team or tags) must land where the actor may work too.
    access::authorize(app, actor, Action::Update, Resource::Organization, &facts_of(&d), "", &id.to_string()).await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    repo::update_organization(&mut w.tx, &app.store.crypto, id, &d, expected_version.unwrap_or(current.version), now).await?;
    w.record(&[audit_entry(actor, "organization.update", "organization", id, None, vec![])]);
    let r = repo::find_organization(&mut w.tx, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("organization"))?;
    w.commit(app).await?;
    Ok(r)
}

pub async fn delete(app: &App, actor: &Actor, id: OrganizationId) -> ServiceResult<()> {
    let current = load(app, id).await?.ok_or(ServiceError::NotFound("organization"))?;
    access::authorize(app, actor, Action::Delete, Resource::Organization, &current.facts, "", &id.to_string()).await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    if !repo::delete_organization(&mut w.tx, id).await? {
        return Err(ServiceError::NotFound("organization"));
    }
    w.record(&[audit_entry(actor, "organization.delete", "organization", id, None, vec![])]);
    w.commit(app).await?;
    Ok(())
}

/// A page of the organizations the actor may reach, by name, optionally those whose name
/// contains `q` (filtered and counted in the database), each checked once more.
pub async fn list(app: &App, actor: &Actor, q: Option<&str>, page: Page) -> ServiceResult<(Vec<OrganizationRecord>, i64)> {
    list_for(app, actor, Action::Read, q, page).await
}

/// [`list`] for an action: `Export` lists what the actor may export.
pub async fn list_for(
    app: &App,
    actor: &Actor,
    action: Action,
    q: Option<&str>,
    page: Page,
) -> ServiceResult<(Vec<OrganizationRecord>, i64)> {
    let filter = repo::OrganizationFilter { q: q.map(str::to_string), ..Default::default() };
    list_filtered(app, actor, action, &filter, page).await
}

/// [`list_for`] with filters and an order.
pub async fn list_filtered(
    app: &App,
    actor: &Actor,
    action: Action,
    filter: &repo::OrganizationFilter,
    page: Page,
) -> ServiceResult<(Vec<OrganizationRecord>, i64)> {
    app.authorize(actor, action, Resource::Organization).await?;
    for (field, v) in [("q", &filter.q), ("tag", &filter.tag), ("city", &filter.city)] {
        if v.as_deref().is_some_and(|q| q.chars().any(char::is_control) || q.chars().count() > 200) {
            return Err(ServiceError::field(field, "at most 200 characters and no control characters"));
        }
    }
    if let Some(k) = filter.sort.as_deref().filter(|k| !obhut_store::db::is_order(repo::ORGANIZATION_ORDERS, k)) {
        return Err(ServiceError::field("sort", format!("{k}: {}", obhut_store::db::order_names(repo::ORGANIZATION_ORDERS))));
    }
    let reach = access::reach(app, actor, action, Resource::Organization, "");
    let mut conn = app.conn().await?;
    let (items, total) = repo::list_organizations(&mut conn, &app.store.crypto, filter, &reach, page.limit, page.offset).await?;
    Ok((access::permitted(app, actor, action, Resource::Organization, "", items, |o| &o.facts), total))
}

/// Every organization the actor may export, for a file in `format` (audited before and after).
pub async fn export(app: &App, actor: &Actor, format: &str) -> ServiceResult<Vec<OrganizationRecord>> {
    app.authorize(actor, Action::Export, Resource::Organization).await?;
    access::export_started(app, actor, Resource::Organization, format).await?;
    let all = access::export_all(|page| list_for(app, actor, Action::Export, None, page)).await?;
    access::export_finished(app, actor, Resource::Organization, format, all.len()).await?;
    Ok(all)
}
