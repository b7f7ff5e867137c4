//! Tickets: service cases and complaints.

use super::{access, audit_entry, placement, Page};
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Resource};
use obhut_core::ids::TicketId;
use obhut_core::ticket::TicketInput;
use obhut_store::tickets::{self as repo, TicketFilter, TicketRecord};

/// Where a ticket stands, for the gate.
fn placement(d: &obhut_core::ticket::TicketDraft) -> placement::Placement<'_> {
    placement::Placement {
        organization: d.organization_id,
        contact: d.contact_id,
        class: d.record_class,
        owner: d.owner_id,
        team: d.team.as_deref(),
    }
}

/// The personal fields a ticket shows (for the read log).
fn shown_fields(t: &TicketRecord) -> Vec<String> {
    let mut f = vec!["title".to_string()];
    if t.draft.text.description.is_some() {
        f.push("description".into());
    }
    f
}

fn read_of(t: &TicketRecord) -> access::Read {
    access::Read { id: t.id.to_string(), subject: t.facts.subject.map(|s| s.to_string()), fields: shown_fields(t) }
}

pub async fn create(app: &App, actor: &Actor, input: &TicketInput) -> ServiceResult<TicketRecord> {
    app.authorize(actor, Action::Create, Resource::Ticket).await?;
    let mut d = input.validate()?;
    // Whoever opens a ticket owns it unless they name another owner.
    if d.owner_id.is_none() {
        d.owner_id = actor.user_id;
    }
    let id = TicketId::new();
    let facts = placement::placement_facts(app, actor, placement(&d), None, "link_ticket").await?;
    access::authorize(app, actor, Action::Create, Resource::Ticket, &facts, "", &id.to_string()).await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let due = super::ticket_conversation::due_after_change(app, None, &d, now);
    repo::insert_ticket(&mut w.tx, &app.store.crypto, id, &d, due, now).await?;
    w.record(&[audit_entry(
        actor,
        "ticket.create",
        "ticket",
        id,
        d.contact_id.map(|c| c.to_string()),
        vec!["title".into(), "description".into()],
    )]);
    let r = repo::find_ticket(&mut w.tx, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("ticket"))?;
    w.commit(app).await?;
    Ok(r)
}

/// One ticket as stored, without a decision: for the services' own reads ahead of one.
async fn load(app: &App, id: TicketId) -> ServiceResult<TicketRecord> {
    repo::read_ticket(&app.store, id).await?.ok_or(ServiceError::NotFound("ticket"))
}

/// A ticket a new record is linked to: it exists and the actor may read it (no read event:
/// nothing of it is handed out).
pub(crate) async fn linkable(app: &App, actor: &Actor, id: TicketId, field: &str) -> ServiceResult<TicketRecord> {
    let r = repo::read_ticket(&app.store, id).await?.ok_or_else(|| ServiceError::field(field, "no ticket with this id"))?;
    access::authorize(app, actor, Action::Read, Resource::Ticket, &r.facts, "", &id.to_string()).await?;
    Ok(r)
}

/// One ticket, decided by the ticket itself (its owner, its contact's class, team, tags and
/// restriction) and read for the default purpose; the read is logged.
pub async fn get(app: &App, actor: &Actor, id: TicketId) -> ServiceResult<TicketRecord> {
    get_for(app, actor, id, super::contacts::DEFAULT_READ_PURPOSE).await
}

/// [`get`] for a declared purpose: the read event names it.
pub async fn get_for(app: &App, actor: &Actor, id: TicketId, purpose: &str) -> ServiceResult<TicketRecord> {
    access::check_purpose(app, actor, Resource::Ticket, purpose, Some(&id.to_string())).await?;
    let r = load(app, id).await?;
    access::authorize(app, actor, Action::Read, Resource::Ticket, &r.facts, purpose, &id.to_string()).await?;
    access::log_reads(app, actor, Resource::Ticket, purpose, vec![read_of(&r)]).await?;
    Ok(r)
}

pub async fn update(
    app: &App,
    actor: &Actor,
    id: TicketId,
    patch: TicketInput,
    expected_version: Option<i64>,
) -> ServiceResult<TicketRecord> {
    let current = load(app, id).await?;
    access::authorize(app, actor, Action::Update, Resource::Ticket, &current.facts, "", &id.to_string()).await?;
    let d = TicketInput::from_draft(&current.draft).merge(patch).validate()?;
    // Moving a ticket (another contact, owner, class or team) must land where the actor may work too.
    let facts = placement::placement_facts(app, actor, placement(&d), Some(placement(&current.draft)), "link_ticket").await?;
    access::authorize(app, actor, Action::Update, Resource::Ticket, &facts, "", &id.to_string()).await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let due = super::ticket_conversation::due_after_change(app, Some(&current), &d, now);
    repo::update_ticket(&mut w.tx, &app.store.crypto, id, &d, due, expected_version.unwrap_or(current.version), now).await?;
    w.record(&[audit_entry(actor, "ticket.update", "ticket", id, d.contact_id.map(|c| c.to_string()), vec![])]);
    let r = repo::find_ticket(&mut w.tx, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("ticket"))?;
    w.commit(app).await?;
    Ok(r)
}

pub async fn delete(app: &App, actor: &Actor, id: TicketId) -> ServiceResult<()> {
    let current = load(app, id).await?;
    access::authorize(app, actor, Action::Delete, Resource::Ticket, &current.facts, "", &id.to_string()).await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    if !repo::delete_ticket(&mut w.tx, id).await? {
        return Err(ServiceError::NotFound("ticket"));
    }
    let subject = current.draft.contact_id.map(|c| c.to_string());
    w.record(&[audit_entry(actor, "ticket.delete", "ticket", id, subject, vec![])]);
    w.commit(app).await?;
    Ok(())
}

/// A page of the tickets the actor may reach (filtered and counted in the database), each
/// checked once more; every ticket handed out is logged as read.
pub async fn list(app: &App, actor: &Actor, filter: &TicketFilter, page: Page) -> ServiceResult<(Vec<TicketRecord>, i64)> {
    list_for(app, actor, Action::Read, filter, page, super::contacts::DEFAULT_READ_PURPOSE).await
}

/// [`list`] for an action (`Export` lists what the actor may export) and a declared purpose.
pub async fn list_for(
    app: &App,
    actor: &Actor,
    action: Action,
    filter: &TicketFilter,
    page: Page,
    purpose: &str,
) -> ServiceResult<(Vec<TicketRecord>, i64)> {
    app.authorize_for(actor, action, Resource::Ticket, purpose).await?;
    access::check_purpose(app, actor, Resource::Ticket, purpose, None).await?;
    let mut filter = filter.clone();
    filter.reach = access::reach(app, actor, action, Resource::Ticket, purpose);
    let mut conn = app.conn().await?;
    let (items, total) = repo::list_tickets(&mut conn, &app.store.crypto, &filter, page.limit, page.offset).await?;
    drop(conn);
    let items = access::permitted(app, actor, action, Resource::Ticket, purpose, items, |t| &t.facts);
    access::log_reads(app, actor, Resource::Ticket, purpose, items.iter().map(read_of).collect()).await?;
    Ok((items, total))
}

/// Every ticket the actor may export, for a file in `format` (a bulk disclosure of the
/// tickets' texts: audited before and after, and each ticket logged as read).
pub async fn export(app: &App, actor: &Actor, format: &str) -> ServiceResult<Vec<TicketRecord>> {
    app.authorize(actor, Action::Export, Resource::Ticket).await?;
    access::export_started(app, actor, Resource::Ticket, format).await?;
    let filter = TicketFilter::default();
    let purpose = super::contacts::DEFAULT_READ_PURPOSE;
    let all = access::export_all(|page| list_for(app, actor, Action::Export, &filter, page, purpose)).await?;
    access::export_finished(app, actor, Resource::Ticket, format, all.len()).await?;
    Ok(all)
}
