//! Deals and the pipeline stages they move through.

use super::{audit_entry, Page};
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Resource};
use obhut_core::deal::{DealInput, StageInput};
use obhut_core::ids::{DealId, StageId};
use obhut_store::deals::{self as repo, DealFilter, DealRecord, StageRecord};

pub async fn stages(app: &App, actor: &Actor) -> ServiceResult<Vec<StageRecord>> {
    app.authorize(actor, Action::Read, Resource::Pipeline).await?;
    let mut conn = app.conn().await?;
    Ok(repo::list_stages(&mut conn).await?)
}

pub async fn create_stage(app: &App, actor: &Actor, input: &StageInput) -> ServiceResult<StageRecord> {
    app.authorize(actor, Action::Administer, Resource::Pipeline).await?;
    let d = input.validate()?;
    let id = StageId::new();
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    repo::insert_stage(&mut tx, id, &d, now).await?;
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[audit_entry(actor, "stage.create", "stage", id, None, vec![])]).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    stages(app, actor).await?.into_iter().find(|s| s.id == id).ok_or(ServiceError::NotFound("stage"))
}

pub async fn update_stage(app: &App, actor: &Actor, id: StageId, input: &StageInput) -> ServiceResult<StageRecord> {
    app.authorize(actor, Action::Administer, Resource::Pipeline).await?;
    let current = stages(app, actor).await?.into_iter().find(|s| s.id == id).ok_or(ServiceError::NotFound("stage"))?;
    let merged = StageInput {
        name: input.name.clone().or(Some(current.name)),
        position: input.position.or(Some(current.position)),
        probability: input.probability.or(Some(current.probability)),
        outcome: input.outcome.clone().or(Some(current.outcome.as_str().into())),
    };
    let d = merged.validate()?;
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    repo::update_stage(&mut tx, id, &d).await?;
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[audit_entry(actor, "stage.update", "stage", id, None, vec![])]).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    stages(app, actor).await?.into_iter().find(|s| s.id == id).ok_or(ServiceError::NotFound("stage"))
}

pub async fn delete_stage(app: &App, actor: &Actor, id: StageId) -> ServiceResult<()> {
    app.authorize(actor, Action::Administer, Resource::Pipeline).await?;
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    if !repo::delete_stage(&mut tx, id).await? {
        return Err(ServiceError::NotFound("stage"));
    }
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[audit_entry(actor, "stage.delete", "stage", id, None, vec![])]).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(())
}

async fn resolve_stage(app: &App, stage: Option<StageId>) -> ServiceResult<StageId> {
    let mut conn = app.conn().await?;
    let all = repo::list_stages(&mut conn).await?;
    match stage {
        Some(s) if all.iter().any(|x| x.id == s) => Ok(s),
        Some(_) => Err(ServiceError::field("stage_id", "no pipeline stage with this id")),
        None => all.first().map(|s| s.id).ok_or_else(|| ServiceError::field("stage_id", "the pipeline has no stages")),
    }
}

async fn check_links(app: &App, actor: &Actor, d: &obhut_core::deal::DealDraft) -> ServiceResult<()> {
    let mut conn = app.conn().await?;
    if let Some(o) = d.organization_id {
        if obhut_store::organizations::find_organization(&mut conn, &app.store.crypto, o).await?.is_none() {
            return Err(ServiceError::field("organization_id", "no organization with this id"));
        }
    }
    if let Some(c) = d.contact_id {
        match obhut_store::contacts::find_contact(&mut conn, &app.store.crypto, c).await? {
            None => return Err(ServiceError::field("contact_id", "no contact with this id")),
            Some(rec) => {
                drop(conn);
                super::rights::guard(app, actor, &rec, "link_deal").await?;
            }
        }
    }
    Ok(())
}

pub async fn create(app: &App, actor: &Actor, input: &DealInput) -> ServiceResult<DealRecord> {
    app.authorize(actor, Action::Create, Resource::Deal).await?;
    let d = input.validate()?;
    check_links(app, actor, &d).await?;
    let stage = resolve_stage(app, d.stage_id).await?;
    let id = DealId::new();
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    repo::insert_deal(&mut tx, id, &d, stage, now).await?;
    obhut_store::audit::append(
        &mut tx,
        &app.store.crypto,
        now,
        &[audit_entry(actor, "deal.create", "deal", id, d.contact_id.map(|c| c.to_string()), vec![])],
    )
    .await?;
    let r = repo::find_deal(&mut tx, id).await?.ok_or(ServiceError::NotFound("deal"))?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(r)
}

pub async fn get(app: &App, actor: &Actor, id: DealId) -> ServiceResult<DealRecord> {
    app.authorize(actor, Action::Read, Resource::Deal).await?;
    let mut conn = app.conn().await?;
    repo::find_deal(&mut conn, id).await?.ok_or(ServiceError::NotFound("deal"))
}

pub async fn update(app: &App, actor: &Actor, id: DealId, patch: DealInput, expected_version: Option<i64>) -> ServiceResult<DealRecord> {
    app.authorize(actor, Action::Update, Resource::Deal).await?;
    let current = get(app, actor, id).await?;
    let d = DealInput::from_draft(&current.draft).merge(patch).validate()?;
    check_links(app, actor, &d).await?;
    let stage = resolve_stage(app, d.stage_id).await?;
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    repo::update_deal(&mut tx, id, &d, stage, expected_version.unwrap_or(current.version), now).await?;
    obhut_store::audit::append(
        &mut tx,
        &app.store.crypto,
        now,
        &[audit_entry(actor, "deal.update", "deal", id, d.contact_id.map(|c| c.to_string()), vec![])],
    )
    .await?;
    let r = repo::find_deal(&mut tx, id).await?.ok_or(ServiceError::NotFound("deal"))?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(r)
}

pub async fn delete(app: &App, actor: &Actor, id: DealId) -> ServiceResult<()> {
    app.authorize(actor, Action::Delete, Resource::Deal).await?;
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    if !repo::delete_deal(&mut tx, id).await? {
        return Err(ServiceError::NotFound("deal"));
    }
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[audit_entry(actor, "deal.delete", "deal", id, None, vec![])]).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(())
}

pub async fn list(app: &App, actor: &Actor, filter: &DealFilter, page: Page) -> ServiceResult<(Vec<DealRecord>, i64)> {
    app.authorize(actor, Action::Read, Resource::Deal).await?;
    let mut conn = app.conn().await?;
    Ok(repo::list_deals(&mut conn, filter, page.limit, page.offset).await?)
}
