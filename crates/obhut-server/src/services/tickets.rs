//! Tickets: service cases and complaints.

use super::{audit_entry, Page};
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Resource};
use obhut_core::ids::TicketId;
use obhut_core::ticket::TicketInput;
use obhut_store::tickets::{self as repo, TicketFilter, TicketRecord};

async fn check_links(app: &App, actor: &Actor, d: &obhut_core::ticket::TicketDraft) -> ServiceResult<()> {
    let mut conn = app.conn().await?;
    let crypto = &app.store.crypto;
    if let Some(c) = d.contact_id {
        match obhut_store::contacts::find_contact(&mut conn, crypto, c).await? {
            None => return Err(ServiceError::field("contact_id", "no contact with this id")),
            Some(rec) => {
                drop(conn);
                super::rights::guard(app, actor, &rec, "link_ticket").await?;
                conn = app.conn().await?;
            }
        }
    }
    if let Some(o) = d.organization_id {
        if obhut_store::organizations::find_organization(&mut conn, crypto, o).await?.is_none() {
            return Err(ServiceError::field("organization_id", "no organization with this id"));
        }
    }
    Ok(())
}

pub async fn create(app: &App, actor: &Actor, input: &TicketInput) -> ServiceResult<TicketRecord> {
    app.authorize(actor, Action::Create, Resource::Ticket).await?;
    let d = input.validate()?;
    check_links(app, actor, &d).await?;
    let id = TicketId::new();
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    repo::insert_ticket(&mut tx, &app.store.crypto, id, &d, now).await?;
    obhut_store::audit::append(
        &mut tx,
        &app.store.crypto,
        now,
        &[audit_entry(
            actor,
            "ticket.create",
            "ticket",
            id,
            d.contact_id.map(|c| c.to_string()),
            vec!["title".into(), "description".into()],
        )],
    )
    .await?;
    let r = repo::find_ticket(&mut tx, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("ticket"))?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(r)
}

pub async fn get(app: &App, actor: &Actor, id: TicketId) -> ServiceResult<TicketRecord> {
    app.authorize(actor, Action::Read, Resource::Ticket).await?;
    let mut conn = app.conn().await?;
    repo::find_ticket(&mut conn, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("ticket"))
}

pub async fn update(
    app: &App,
    actor: &Actor,
    id: TicketId,
    patch: TicketInput,
    expected_version: Option<i64>,
) -> ServiceResult<TicketRecord> {
    app.authorize(actor, Action::Update, Resource::Ticket).await?;
    let current = get(app, actor, id).await?;
    let d = TicketInput::from_draft(&current.draft).merge(patch).validate()?;
    check_links(app, actor, &d).await?;
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    repo::update_ticket(&mut tx, &app.store.crypto, id, &d, expected_version.unwrap_or(current.version), now).await?;
    obhut_store::audit::append(
        &mut tx,
        &app.store.crypto,
        now,
        &[audit_entry(actor, "ticket.update", "ticket", id, d.contact_id.map(|c| c.to_string()), vec![])],
    )
    .await?;
    let r = repo::find_ticket(&mut tx, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("ticket"))?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(r)
}

pub async fn delete(app: &App, actor: &Actor, id: TicketId) -> ServiceResult<()> {
    app.authorize(actor, Action::Delete, Resource::Ticket).await?;
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    if !repo::delete_ticket(&mut tx, id).await? {
        return Err(ServiceError::NotFound("ticket"));
    }
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[audit_entry(actor, "ticket.delete", "ticket", id, None, vec![])]).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(())
}

pub async fn list(app: &App, actor: &Actor, filter: &TicketFilter, page: Page) -> ServiceResult<(Vec<TicketRecord>, i64)> {
    app.authorize(actor, Action::Read, Resource::Ticket).await?;
    let mut conn = app.conn().await?;
    Ok(repo::list_tickets(&mut conn, &app.store.crypto, filter, page.limit, page.offset).await?)
}
