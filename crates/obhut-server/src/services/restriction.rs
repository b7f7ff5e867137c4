//! Art. 18: restriction of processing. A restricted contact is only stored: it leaves every
//! list, search, audience and export, and any other processing is refused (see
//! [`super::access::guard`]) except for those who run data subject rights. Lifting a
//! restriction needs the day the person was told of it (Art. 18(3)).

use super::audit_entry;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::Actor;
use obhut_core::dsr::{CaseKind, CaseStatus, ReceivedVia};
use obhut_core::ids::ContactId;
use obhut_store::dsr::Case;
use serde::Serialize;
use time::Date;

use super::cases::{authorize, complete, load_case, parse_date, require_open, today};
use super::recipients::notify_recipients;

/// A contact's restriction as the API, the CLI and the UI show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RestrictionView {
    pub contact_id: String,
    pub restricted: bool,
    pub restricted_at: Option<i64>,
    /// YYYY-MM-DD: the restriction ends at this day.
    pub until: Option<String>,
    pub restricted_by: Option<String>,
    pub reason: Option<String>,
    pub case_id: Option<String>,
    /// Notification tasks created for the recipients (Art. 19) by this change.
    pub recipient_notices: usize,
}

fn restriction_view(contact_id: &str, r: Option<obhut_store::restriction::Restriction>, created: usize) -> RestrictionView {
    match r {
        Some(r) => RestrictionView {
            contact_id: r.contact_id,
            restricted: true,
            restricted_at: Some(r.restricted_at),
            until: r.until,
            restricted_by: r.restricted_by,
            reason: r.reason,
            case_id: r.case_id,
            recipient_notices: created,
        },
        None => RestrictionView {
            contact_id: contact_id.into(),
            restricted: false,
            restricted_at: None,
            until: None,
            restricted_by: None,
            reason: None,
            case_id: None,
            recipient_notices: created,
        },
    }
}

fn contact_id(s: &str) -> ServiceResult<ContactId> {
    ContactId::parse(s.trim()).map_err(|_| ServiceError::NotFound("contact"))
}

/// The case a restriction or lifting answers: of this contact and kind, its identity checked.
async fn case_for(app: &App, case_id: Option<&str>, contact: &str, kind: CaseKind) -> ServiceResult<Option<Case>> {
    let Some(c) = case_id.map(str::trim).filter(|c| !c.is_empty()) else { return Ok(None) };
    let c = match load_case(app, c).await {
        Err(ServiceError::NotFound(_)) => return Err(ServiceError::field("case", "no such request case")),
        other => other?,
    };
    if c.kind != kind.as_str() || c.contact_id != contact {
        return Err(ServiceError::field("case", format!("case {} is not a {} request of this contact", c.reference, kind.as_str())));
    }
    if require_open(&c)? != CaseStatus::InProgress {
        return Err(ServiceError::Conflict(format!("case {}: check the requester's identity first", c.reference)));
    }
    Ok(Some(c))
}

/// The status of a contact's restriction (DPO and administrators).
pub async fn restriction(app: &App, actor: &Actor, contact: &str) -> ServiceResult<RestrictionView> {
    authorize(app, actor).await?;
    let id = contact_id(contact)?;
    super::contacts::load(app, id).await?;
    let mut conn = app.conn().await?;
    let r = obhut_store::restriction::find(&mut conn, &app.store.crypto, &id.to_string()).await?;
    Ok(restriction_view(&id.to_string(), r, 0))
}

fn check_reason(reason: &str) -> ServiceResult<String> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(ServiceError::field("reason", "say why processing is restricted (for example: accuracy contested, Art. 18(1)(a))"));
    }
    if r.chars().count() > 500 || r.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ServiceError::field("reason", "at most 500 characters, without control characters"));
    }
    Ok(r.to_string())
}

/// Restricts processing of a contact inside the caller's transaction: the restriction, the
/// recipients' notification tasks (Art. 19) and the audit event `contact.restrict`, all or
/// nothing with the caller's other changes. For the retention rules, which restrict what a
/// legal duty keeps until the duty ends (`until`). Returns the tasks created; `NotFound` for
/// an unknown contact.
#[allow(clippy::too_many_arguments)]
pub async fn restrict_within(
    app: &App,
    tx: &mut obhut_store::Conn,
    actor: &Actor,
    id: ContactId,
    reason: &str,
    until: Option<Date>,
    case_id: Option<&str>,
    now: i64,
) -> ServiceResult<usize> {
    let sid = id.to_string();
    if !obhut_store::restriction::set_restricted(tx, &app.store.crypto, &sid, now, until, &actor.audit_name(), reason, case_id).await? {
        return Err(ServiceError::NotFound("contact"));
    }
    let created = notify_recipients(app, tx, actor, id, "restriction", case_id, now).await?;
    let mut fields = vec!["restricted_at".to_string()];
    if let Some(u) = until {
        fields.push(format!("until={u}"));
    }
    let mut e = audit_entry(actor, "contact.restrict", "contact", &sid, Some(sid.clone()), fields);
    e.purpose = Some("data_subject_rights".into());
    obhut_store::audit::append(tx, &app.store.crypto, now, &[e]).await?;
    Ok(created)
}

/// Restricts processing of a contact (Art. 18): it is only stored from now on, until `until`
/// where given. The recipients of its data get notification tasks (Art. 19); a restriction
/// request case named by `case_id` (identity checked) is completed with it.
pub async fn restrict(
    app: &App,
    actor: &Actor,
    contact: &str,
    reason: &str,
    until: Option<Date>,
    case_id: Option<&str>,
) -> ServiceResult<RestrictionView> {
    authorize(app, actor).await?;
    let reason = check_reason(reason)?;
    let id = contact_id(contact)?;
    let sid = id.to_string();
    if until.is_some_and(|u| u <= today(app)) {
        return Err(ServiceError::field("until", "a restriction that ends at a date ends after today"));
    }
    let record = super::contacts::load(app, id).await?;
    let mut case = case_for(app, case_id, &sid, CaseKind::Restriction).await?;
    if record.is_restricted() {
        return Err(ServiceError::Conflict("processing of this contact is restricted already".into()));
    }
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let created = restrict_within(app, &mut w.tx, actor, id, &reason, until, case.as_ref().map(|c| c.id.as_str()), now).await?;
    // A restriction that answers a request completes its case.
    if let Some(c) = case.as_mut() {
        complete(app, &mut w, actor, c, now).await?;
    }
    let r = obhut_store::restriction::find(&mut w.tx, &app.store.crypto, &sid).await?;
    w.commit(app).await?;
    Ok(restriction_view(&sid, r, created))
}

/// Lifts a restriction (Art. 18(3)): only once the person was told, on `informed_on` (not in
/// the future, not before the restriction), by `informed_via` where said (email, letter, phone,
/// web_form, in_person). The recipients get notification tasks too.
pub async fn lift_restriction(
    app: &App,
    actor: &Actor,
    contact: &str,
    informed_on: Option<Date>,
    informed_via: Option<&str>,
    case_id: Option<&str>,
) -> ServiceResult<RestrictionView> {
    authorize(app, actor).await?;
    let id = contact_id(contact)?;
    let sid = id.to_string();
    let informed_on = informed_on.ok_or_else(|| {
        ServiceError::field("person_informed_on", "the person must be told before a restriction is lifted (Art. 18(3)): give the date")
    })?;
    if informed_on > today(app) {
        return Err(ServiceError::field("person_informed_on", "the person must have been told already: not a date in the future"));
    }
    let via = informed_via
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(ReceivedVia::parse)
        .transpose()
        .map_err(|m| ServiceError::field("informed_via", m))?;
    super::contacts::load(app, id).await?;
    let case = match case_id.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(match load_case(app, c).await {
            Err(ServiceError::NotFound(_)) => return Err(ServiceError::field("case", "no such request case")),
            Ok(c) if c.contact_id != sid => {
                return Err(ServiceError::field("case", format!("case {} is not a request of this contact", c.reference)))
            }
            other => other?,
        }),
        None => None,
    };
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let current = obhut_store::restriction::find(&mut w.tx, &app.store.crypto, &sid)
        .await?
        .ok_or_else(|| ServiceError::Conflict("processing of this contact is not restricted".into()))?;
    let restricted_on = obhut_core::clock::from_millis(current.restricted_at).date();
    if informed_on < restricted_on {
        return Err(ServiceError::field(
            "person_informed_on",
            format!("the person is told of the lifting after the restriction ({restricted_on})"),
        ));
    }
    let created = notify_recipients(app, &mut w.tx, actor, id, "restriction_lifted", case.as_ref().map(|c| c.id.as_str()), now).await?;
    obhut_store::restriction::lift(&mut w.tx, &sid).await?;
    let mut fields = vec![format!("person_informed_on={informed_on}")];
    if let Some(v) = via {
        fields.push(format!("informed_via={}", v.as_str()));
    }
    let mut e = audit_entry(actor, "contact.restrict_lift", "contact", &sid, Some(sid.clone()), fields);
    e.purpose = Some("data_subject_rights".into());
    w.record(&[e]);
    w.commit(app).await?;
    Ok(restriction_view(&sid, None, created))
}

/// Parses an optional calendar day from the edge (API, CLI, form).
pub fn optional_date(field: &str, s: Option<&str>) -> ServiceResult<Option<Date>> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(|s| parse_date(field, s)).transpose()
}
