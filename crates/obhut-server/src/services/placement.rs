//! Where a deal or ticket stands: the contact and organization it is linked to decide its
//! facts (a record about a contact inherits the contact's), and each new link is checked.

use crate::app::App;
use crate::error::ServiceResult;
use crate::gate::Actor;
use obhut_store::reach::RecordFacts;

/// Where a deal or ticket stands: the organization and contact it belongs to, and its own
/// class, owner and team (which decide where it is about no contact).
pub struct Placement<'a> {
    pub organization: Option<obhut_core::ids::OrganizationId>,
    pub contact: Option<obhut_core::ids::ContactId>,
    pub class: obhut_core::contact::RecordClass,
    pub owner: Option<obhut_core::ids::UserId>,
    pub team: Option<&'a str>,
}

/// Checks the records a deal or ticket is linked to (they exist, the actor may see them, the
/// contact's processing is not restricted: `attempt` names the link in a refusal) and returns
/// the facts the record will be decided by. A link the record has already (`before`) stands
/// with the record: only a new one is checked.
pub async fn placement_facts(
    app: &App,
    actor: &Actor,
    now: Placement<'_>,
    before: Option<Placement<'_>>,
    attempt: &str,
) -> ServiceResult<RecordFacts> {
    if let Some(o) = now.organization.filter(|o| before.as_ref().and_then(|b| b.organization) != Some(*o)) {
        super::organizations::linkable(app, actor, o, "organization_id").await?;
    }
    let Some(c) = now.contact else {
        return Ok(RecordFacts::own(now.class, now.owner, now.team.map(str::to_string), vec![]));
    };
    let rec = if before.as_ref().and_then(|b| b.contact) == Some(c) {
        super::contacts::load(app, c).await?
    } else {
        super::contacts::linkable(app, actor, c, "contact_id", attempt).await?
    };
    Ok(RecordFacts::about(&rec.facts(), now.owner))
}
