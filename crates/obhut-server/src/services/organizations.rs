//! Organizations (B2B accounts).

use super::{audit_entry, Page};
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Resource};
use obhut_core::ids::OrganizationId;
use obhut_core::organization::OrganizationInput;
use obhut_store::organizations::{self as repo, OrganizationRecord};

async fn check_owner(app: &App, owner: Option<obhut_core::ids::UserId>) -> ServiceResult<()> {
    if let Some(u) = owner {
        let mut conn = app.conn().await?;
        if obhut_store::users::find_user(&mut conn, u).await?.is_none() {
            return Err(ServiceError::field("owner_id", "no user with this id"));
        }
    }
    Ok(())
}

pub async fn create(app: &App, actor: &Actor, input: &OrganizationInput) -> ServiceResult<OrganizationRecord> {
    app.authorize(actor, Action::Create, Resource::Organization).await?;
    let d = input.validate()?;
    check_owner(app, d.owner_id).await?;
    let id = OrganizationId::new();
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    repo::insert_organization(&mut tx, &app.store.crypto, id, &d, now).await?;
    obhut_store::audit::append(
        &mut tx,
        &app.store.crypto,
        now,
        &[audit_entry(actor, "organization.create", "organization", id, None, vec![])],
    )
    .await?;
    let r = repo::find_organization(&mut tx, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("organization"))?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(r)
}

pub async fn get(app: &App, actor: &Actor, id: OrganizationId) -> ServiceResult<OrganizationRecord> {
    app.authorize(actor, Action::Read, Resource::Organization).await?;
    let mut conn = app.conn().await?;
    repo::find_organization(&mut conn, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("organization"))
}

pub async fn update(
    app: &App,
    actor: &Actor,
    id: OrganizationId,
    patch: OrganizationInput,
    expected_version: Option<i64>,
) -> ServiceResult<OrganizationRecord> {
    app.authorize(actor, Action::Update, Resource::Organization).await?;
    let current = get(app, actor, id).await?;
    let d = OrganizationInput::from_draft(&current.draft).merge(patch).validate()?;
    check_owner(app, d.owner_id).await?;
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    repo::update_organization(&mut tx, &app.store.crypto, id, &d, expected_version.unwrap_or(current.version), now).await?;
    obhut_store::audit::append(
        &mut tx,
        &app.store.crypto,
        now,
        &[audit_entry(actor, "organization.update", "organization", id, None, vec![])],
    )
    .await?;
    let r = repo::find_organization(&mut tx, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("organization"))?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(r)
}

pub async fn delete(app: &App, actor: &Actor, id: OrganizationId) -> ServiceResult<()> {
    app.authorize(actor, Action::Delete, Resource::Organization).await?;
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    if !repo::delete_organization(&mut tx, id).await? {
        return Err(ServiceError::NotFound("organization"));
    }
    obhut_store::audit::append(
        &mut tx,
        &app.store.crypto,
        now,
        &[audit_entry(actor, "organization.delete", "organization", id, None, vec![])],
    )
    .await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(())
}

pub async fn list(app: &App, actor: &Actor, q: Option<&str>, page: Page) -> ServiceResult<(Vec<OrganizationRecord>, i64)> {
    app.authorize(actor, Action::Read, Resource::Organization).await?;
    if q.is_some_and(|q| q.chars().any(char::is_control) || q.chars().count() > 200) {
        return Err(ServiceError::field("q", "a search has at most 200 characters and no control characters"));
    }
    let mut conn = app.conn().await?;
    Ok(repo::list_organizations(&mut conn, &app.store.crypto, q, page.limit, page.offset).await?)
}
