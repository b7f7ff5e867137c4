//! Deals and the pipeline stages they move through.

use super::{access, audit_entry, placement, Page};
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
    let mut w = app.audited(now).await?;
    repo::insert_stage(&mut w.tx, id, &d, now).await?;
    w.record(&[audit_entry(actor, "stage.create", "stage", id, None, vec![])]);
    w.commit(app).await?;
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
    let mut w = app.audited(now).await?;
    repo::update_stage(&mut w.tx, id, &d).await?;
    w.record(&[audit_entry(actor, "stage.update", "stage", id, None, vec![])]);
    w.commit(app).await?;
    stages(app, actor).await?.into_iter().find(|s| s.id == id).ok_or(ServiceError::NotFound("stage"))
}

pub async fn delete_stage(app: &App, actor: &Actor, id: StageId) -> ServiceResult<()> {
    app.authorize(actor, Action::Administer, Resource::Pipeline).await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    if !repo::delete_stage(&mut w.tx, id).await? {
        return Err(ServiceError::NotFound("stage"));
    }
    w.record(&[audit_entry(actor, "stage.delete", "stage", id, None, vec![])]);
    w.commit(app).await?;
    Ok(())
}

async fn resolve_stage(app: &App, stage: Option<StageId>) -> ServiceResult<(StageId, obhut_core::deal::StageOutcome)> {
    let mut conn = app.conn().await?;
    let all = repo::list_stages(&mut conn).await?;
    let found = match stage {
        Some(s) => all.iter().find(|x| x.id == s).ok_or_else(|| ServiceError::field("stage_id", "no pipeline stage with this id"))?,
        None => all.first().ok_or_else(|| ServiceError::field("stage_id", "the pipeline has no stages"))?,
    };
    Ok((found.id, found.outcome))
}

/// The close reason a deal keeps in a stage of `outcome`: none in an open stage (one given
/// there is refused), one that fits a won or lost stage (one carried over from the other
/// outcome is dropped; one given that does not fit is refused).
fn close_reason_for(d: &mut obhut_core::deal::DealDraft, outcome: obhut_core::deal::StageOutcome, given: bool) -> ServiceResult<()> {
    let fits = obhut_core::deal::check_close_reason(d.close_reason.as_deref(), outcome);
    match fits {
        Ok(()) => Ok(()),
        Err(_) if !given => {
            d.close_reason = None;
            Ok(())
        }
        Err(m) => Err(ServiceError::field("close_reason", m)),
    }
}

/// Where a deal stands, for the gate.
fn placement(d: &obhut_core::deal::DealDraft) -> placement::Placement<'_> {
    placement::Placement {
        organization: d.organization_id,
        contact: d.contact_id,
        class: d.record_class,
        owner: d.owner_id,
        team: d.team.as_deref(),
    }
}

pub async fn create(app: &App, actor: &Actor, input: &DealInput) -> ServiceResult<DealRecord> {
    app.authorize(actor, Action::Create, Resource::Deal).await?;
    let mut d = input.validate()?;
    // Whoever creates a deal owns it unless they name another owner.
    if d.owner_id.is_none() {
        d.owner_id = actor.user_id;
    }
    let id = DealId::new();
    let facts = placement::placement_facts(app, actor, placement(&d), None, "link_deal").await?;
    access::authorize(app, actor, Action::Create, Resource::Deal, &facts, "", &id.to_string()).await?;
    let (stage, outcome) = resolve_stage(app, d.stage_id).await?;
    close_reason_for(&mut d, outcome, true)?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    repo::insert_deal(&mut w.tx, id, &d, stage, now).await?;
    w.record(&[audit_entry(actor, "deal.create", "deal", id, d.contact_id.map(|c| c.to_string()), vec![])]);
    let r = repo::find_deal(&mut w.tx, id).await?.ok_or(ServiceError::NotFound("deal"))?;
    w.commit(app).await?;
    Ok(r)
}

/// One deal as stored, without a decision: for the services' own reads ahead of one.
async fn load(app: &App, id: DealId) -> ServiceResult<DealRecord> {
    let mut conn = app.conn().await?;
    repo::find_deal(&mut conn, id).await?.ok_or(ServiceError::NotFound("deal"))
}

/// A deal another record is to be linked to (an activity): it must exist and the actor must be
/// allowed to see it. `field` names the input that named it.
pub(crate) async fn linkable(app: &App, actor: &Actor, id: DealId, field: &str) -> ServiceResult<DealRecord> {
    let mut conn = app.conn().await?;
    let r = repo::find_deal(&mut conn, id).await?.ok_or_else(|| ServiceError::field(field, "no deal with this id"))?;
    drop(conn);
    access::authorize(app, actor, Action::Read, Resource::Deal, &r.facts, "", &id.to_string()).await?;
    Ok(r)
}

/// One deal, decided by the deal itself: its owner, and its contact's class, team, tags and
/// restriction. (Titles and amounts are business data: no read event.)
pub async fn get(app: &App, actor: &Actor, id: DealId) -> ServiceResult<DealRecord> {
    let r = load(app, id).await?;
    access::authorize(app, actor, Action::Read, Resource::Deal, &r.facts, "", &id.to_string()).await?;
    Ok(r)
}

pub async fn update(app: &App, actor: &Actor, id: DealId, patch: DealInput, expected_version: Option<i64>) -> ServiceResult<DealRecord> {
    let current = load(app, id).await?;
    access::authorize(app, actor, Action::Update, Resource::Deal, &current.facts, "", &id.to_string()).await?;
    let given = patch.close_reason.as_deref().is_some_and(|r| !r.trim().is_empty());
    let mut d = DealInput::from_draft(&current.draft).merge(patch).validate()?;
    // Moving a deal (another contact, owner, class or team) must land where the actor may work too.
    let facts = placement::placement_facts(app, actor, placement(&d), Some(placement(&current.draft)), "link_deal").await?;
    access::authorize(app, actor, Action::Update, Resource::Deal, &facts, "", &id.to_string()).await?;
    let (stage, outcome) = resolve_stage(app, d.stage_id).await?;
    close_reason_for(&mut d, outcome, given)?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    repo::update_deal(&mut w.tx, id, &d, stage, expected_version.unwrap_or(current.version), now).await?;
    w.record(&[audit_entry(actor, "deal.update", "deal", id, d.contact_id.map(|c| c.to_string()), vec![])]);
    let r = repo::find_deal(&mut w.tx, id).await?.ok_or(ServiceError::NotFound("deal"))?;
    w.commit(app).await?;
    Ok(r)
}

pub async fn delete(app: &App, actor: &Actor, id: DealId) -> ServiceResult<()> {
    let current = load(app, id).await?;
    access::authorize(app, actor, Action::Delete, Resource::Deal, &current.facts, "", &id.to_string()).await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    if !repo::delete_deal(&mut w.tx, id).await? {
        return Err(ServiceError::NotFound("deal"));
    }
    let subject = current.draft.contact_id.map(|c| c.to_string());
    w.record(&[audit_entry(actor, "deal.delete", "deal", id, subject, vec![])]);
    w.commit(app).await?;
    Ok(())
}

/// A page of the deals the actor may reach (filtered and counted in the database), each
/// checked once more.
pub async fn list(app: &App, actor: &Actor, filter: &DealFilter, page: Page) -> ServiceResult<(Vec<DealRecord>, i64)> {
    list_for(app, actor, Action::Read, filter, page).await
}

/// [`list`] for an action: `Export` lists what the actor may export.
pub async fn list_for(app: &App, actor: &Actor, action: Action, filter: &DealFilter, page: Page) -> ServiceResult<(Vec<DealRecord>, i64)> {
    app.authorize(actor, action, Resource::Deal).await?;
    let mut filter = filter.clone();
    filter.reach = access::reach(app, actor, action, Resource::Deal, "");
    let mut conn = app.conn().await?;
    let (items, total) = repo::list_deals(&mut conn, &filter, page.limit, page.offset).await?;
    Ok((access::permitted(app, actor, action, Resource::Deal, "", items, |d| &d.facts), total))
}

/// The pipeline's value per stage and currency over the deals the actor may reach (the
/// database's filter by reach; titles and amounts are business data: no read event).
pub async fn forecast(app: &App, actor: &Actor, filter: &DealFilter) -> ServiceResult<Vec<repo::StageValue>> {
    app.authorize(actor, Action::Read, Resource::Deal).await?;
    let mut filter = filter.clone();
    filter.reach = access::reach(app, actor, Action::Read, Resource::Deal, "");
    let mut conn = app.conn().await?;
    Ok(repo::forecast(&mut conn, &filter).await?)
}

/// Why the won and lost deals the actor may see went that way: (outcome, reason, count).
pub async fn close_reasons(app: &App, actor: &Actor, filter: &DealFilter) -> ServiceResult<Vec<(String, String, i64)>> {
    app.authorize(actor, Action::Read, Resource::Deal).await?;
    let mut filter = filter.clone();
    filter.reach = access::reach(app, actor, Action::Read, Resource::Deal, "");
    let mut conn = app.conn().await?;
    Ok(repo::close_reasons(&mut conn, &filter).await?)
}

/// Every deal the actor may export, for a file in `format` (a bulk disclosure: audited before
/// and after).
pub async fn export(app: &App, actor: &Actor, format: &str) -> ServiceResult<Vec<DealRecord>> {
    app.authorize(actor, Action::Export, Resource::Deal).await?;
    access::export_started(app, actor, Resource::Deal, format).await?;
    let filter = DealFilter::default();
    let all = access::export_all(|page| list_for(app, actor, Action::Export, &filter, page)).await?;
    access::export_finished(app, actor, Resource::Deal, format, all.len()).await?;
    Ok(all)
}
