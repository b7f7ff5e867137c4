//! Bulk actions on contacts chosen in a list. Each contact goes through the gate, the audit
//! trail and the rules of a single change (a tag, an owner, a task, an erasure through the
//! Art. 17 flow); an export of the selection is one logged disclosure. What is refused for a
//! contact is named with it; the others are done.

use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::Actor;
use obhut_core::contact::ContactInput;
use obhut_core::ids::ContactId;
use obhut_core::task::TaskInput;

/// The most contacts one bulk action takes (a page of a list is 50).
pub const MAX: usize = 500;

/// What a bulk action did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// Contacts changed (or, for an erasure, erased or restricted by a legal duty).
    pub done: usize,
    /// Contacts that already were as asked (the tag or owner was there).
    pub unchanged: usize,
    /// Contacts refused, each with the reason.
    pub refused: Vec<(ContactId, String)>,
}

/// The selection, checked: at least one contact, at most [`MAX`], each once.
pub fn selection(ids: &[String]) -> ServiceResult<Vec<ContactId>> {
    let mut out: Vec<ContactId> = Vec::new();
    for raw in ids {
        let id = ContactId::parse(raw.trim()).map_err(|_| ServiceError::field("ids", format!("'{raw}' is not a contact id")))?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    if out.is_empty() {
        return Err(ServiceError::field("ids", "choose at least one contact"));
    }
    if out.len() > MAX {
        return Err(ServiceError::field("ids", format!("at most {MAX} contacts at a time")));
    }
    Ok(out)
}

fn refused(out: &mut Outcome, id: ContactId, e: ServiceError) -> ServiceResult<()> {
    match e {
        // A broken database ends the run; a refusal for one contact does not.
        ServiceError::Unavailable | ServiceError::Internal(_) => Err(e),
        ServiceError::Validation(v) => {
            out.refused.push((id, v.0.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; ")));
            Ok(())
        }
        other => {
            out.refused.push((id, other.to_string()));
            Ok(())
        }
    }
}

/// The tags a contact has now, as stored (no read is handed out: the change itself is the
/// processing, checked and audited by the update).
async fn current(app: &App, id: ContactId) -> ServiceResult<Option<(Vec<String>, Option<obhut_core::ids::UserId>, i64)>> {
    let mut conn = app.conn().await?;
    let found = obhut_store::contacts::find_contact(&mut conn, &app.store.crypto, id).await?;
    Ok(found.map(|c| (c.tags, c.owner_id, c.version)))
}

/// Adds `tag` to each contact.
pub async fn tag(app: &App, actor: &Actor, ids: &[ContactId], tag: &str) -> ServiceResult<Outcome> {
    let tag = tag.trim().to_lowercase();
    if tag.is_empty() {
        return Err(ServiceError::field("tag", "is required"));
    }
    let mut out = Outcome::default();
    for &id in ids {
        let Some((mut tags, _, version)) = current(app, id).await? else {
            out.refused.push((id, "contact not found".into()));
            continue;
        };
        if tags.contains(&tag) {
            out.unchanged += 1;
            continue;
        }
        tags.push(tag.clone());
        let patch = ContactInput { tags: Some(tags), ..Default::default() };
        match super::contacts::update(app, actor, id, patch, Some(version)).await {
            Ok(_) => out.done += 1,
            Err(e) => refused(&mut out, id, e)?,
        }
    }
    Ok(out)
}

/// Gives each contact to `owner` (a user id).
pub async fn assign(app: &App, actor: &Actor, ids: &[ContactId], owner: &str) -> ServiceResult<Outcome> {
    let owner = obhut_core::ids::UserId::parse(owner.trim()).map_err(|_| ServiceError::field("owner_id", "choose a user"))?;
    let mut out = Outcome::default();
    for &id in ids {
        let Some((_, was, version)) = current(app, id).await? else {
            out.refused.push((id, "contact not found".into()));
            continue;
        };
        if was == Some(owner) {
            out.unchanged += 1;
            continue;
        }
        let patch = ContactInput { owner_id: Some(owner.to_string()), ..Default::default() };
        match super::contacts::update(app, actor, id, patch, Some(version)).await {
            Ok(_) => out.done += 1,
            Err(e) => refused(&mut out, id, e)?,
        }
    }
    Ok(out)
}

/// A task on each contact (the same title and due day), assigned to the actor.
pub async fn add_task(app: &App, actor: &Actor, ids: &[ContactId], title: &str, due_on: Option<&str>) -> ServiceResult<Outcome> {
    let mut out = Outcome::default();
    for &id in ids {
        let input = TaskInput {
            title: Some(title.to_string()),
            kind: Some("follow_up".into()),
            due_on: due_on.map(str::to_string).filter(|d| !d.trim().is_empty()),
            assignee_id: actor.user_id.map(|u| u.to_string()),
            contact_id: Some(id.to_string()),
            ..Default::default()
        };
        match super::tasks::create(app, actor, &input).await {
            Ok(_) => out.done += 1,
            // The same mistake for every contact is the input's, not the contact's: say it once.
            Err(ServiceError::Validation(v)) if v.0.iter().any(|f| f.field == "title" || f.field == "due_on") => {
                return Err(ServiceError::Validation(v));
            }
            Err(e) => refused(&mut out, id, e)?,
        }
    }
    Ok(out)
}

/// Erases each contact through the Art. 17 flow (legal holds and retention duties keep what
/// they must, restricted; the recipients are told), with the reason given.
pub async fn erase(app: &App, actor: &Actor, ids: &[ContactId], reason: &str) -> ServiceResult<Outcome> {
    let mut out = Outcome::default();
    for &id in ids {
        match super::erasure::erase(app, actor, &id.to_string(), reason, None).await {
            Ok(_) => out.done += 1,
            Err(ServiceError::Validation(v)) if v.0.iter().any(|f| f.field == "reason") => return Err(ServiceError::Validation(v)),
            Err(ServiceError::Forbidden(m)) if out.done == 0 => return Err(ServiceError::Forbidden(m)),
            Err(e) => refused(&mut out, id, e)?,
        }
    }
    Ok(out)
}

/// The chosen contacts as CSV: one disclosure, logged with its recipient like any export.
pub async fn export_csv(app: &App, actor: &Actor, ids: &[ContactId], recipient: Option<&str>) -> ServiceResult<(Vec<u8>, u64)> {
    let filter = obhut_store::contacts::ContactFilter { ids: Some(ids.to_vec()), ..Default::default() };
    let mut buf: Vec<u8> = Vec::new();
    let n = super::contacts::export_to(app, actor, super::contacts::ExportFormat::Csv, &filter, recipient, &mut buf).await?;
    Ok((buf, n))
}
