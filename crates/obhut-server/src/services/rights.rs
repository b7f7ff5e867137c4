//! Data subject rights beyond access and erasure: restriction of processing (Art. 18),
//! telling the recipients of a contact's data (Art. 19), and rectification through a request
//! case (Art. 16).
//!
//! A restricted contact is only stored. It leaves every list, search, audience and export, and
//! any other processing is refused (and logged as `contact.restricted_refused`), except for
//! those who run data subject rights: the gate decides who that is (whoever may administer the
//! audit trail: by default the DPO and administrators). Lifting a restriction needs the day the
//! person was told of it (Art. 18(3)).

use super::audit_entry;
use super::dsr::{authorize, case_audit, load_case, parse_date, require_open, text, today, view, CaseView};
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Resource};
use obhut_core::contact::ContactInput;
use obhut_core::dsr::{CaseKind, CaseStatus, ReceivedVia};
use obhut_core::ids::ContactId;
use obhut_store::contacts::ContactRecord;
use obhut_store::dsr::Case;
use obhut_store::recipient_notices::{self as notices, Notice, NoticeFilter};
use serde::Serialize;
use time::Date;

/// Whether the actor sees and may process restricted contacts: whoever runs data subject
/// rights (the gate's answer for administering the audit trail). Nothing is logged.
pub fn sees_restricted(app: &App, actor: &Actor) -> bool {
    app.gate.check_kind(actor, Action::Administer, Resource::Audit, "", app.today()).is_ok()
}

/// Refuses any processing of a restricted contact (Art. 18(2)) by someone who does not run
/// data subject rights, and logs the attempt as `access.refused` (policy `restriction`) with
/// what was tried.
pub(crate) async fn guard(app: &App, actor: &Actor, record: &ContactRecord, attempt: &str) -> ServiceResult<()> {
    if !record.is_restricted() || sees_restricted(app, actor) {
        return Ok(());
    }
    refuse(app, actor, record, attempt).await
}

/// Refuses processing that no one may do to a restricted contact, whatever their role
/// (marketing and re-confirmation mail), logged like [`guard`]'s refusals.
pub(crate) async fn guard_always(app: &App, actor: &Actor, record: &ContactRecord, attempt: &str) -> ServiceResult<()> {
    if !record.is_restricted() {
        return Ok(());
    }
    refuse(app, actor, record, attempt).await
}

async fn refuse(app: &App, actor: &Actor, record: &ContactRecord, attempt: &str) -> ServiceResult<()> {
    let sid = record.id.to_string();
    let fields = vec![format!("attempt={attempt}"), "policy=restriction".to_string()];
    let event = audit_entry(actor, "access.refused", "contact", &sid, Some(sid.clone()), fields);
    app.access_log.record(event, app.now_ms()).await.map_err(ServiceError::Internal)?;
    metrics::counter!("obhut_restricted_refusals_total").increment(1);
    Err(ServiceError::Restricted(
        "processing of this contact is restricted (Art. 18 GDPR): it is only stored; ask the data protection officer".into(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Art. 19: recipients

/// The events a recipient is told of.
pub const EVENTS: [&str; 4] = ["rectification", "erasure", "restriction", "restriction_lifted"];

/// The recipients the disclosure log knows for a contact: processors and third parties that
/// received its data (audience exports, processors' accesses, named exports in the trail), by
/// the name the Art. 15 report gives them. Read inside the caller's transaction.
pub(crate) async fn recipients_of(conn: &mut obhut_store::Conn, record: &ContactRecord) -> ServiceResult<Vec<String>> {
    let sid = record.id.to_string();
    let processors = obhut_store::policies::list_processors(conn).await?;
    let disclosures = obhut_store::consent::disclosures_of(conn, &sid).await?;
    let events = notices::disclosure_events(conn, &sid).await?;
    Ok(super::dsr_report::recipients(record, &[], &processors, &disclosures, &events)
        .into_iter()
        .filter(|r| r.known_from.iter().any(|k| k == "disclosure_log" || k == "audit_trail"))
        .map(|r| r.recipient)
        .collect())
}

/// Creates one notification task per recipient of the contact's data for `event`, inside the
/// caller's transaction, with one audit event naming how many. Returns how many were created
/// (none for an unknown contact or one without recipients).
pub(crate) async fn notify_recipients(
    app: &App,
    tx: &mut obhut_store::Conn,
    actor: &Actor,
    id: ContactId,
    event: &str,
    case_id: Option<&str>,
    now: i64,
) -> ServiceResult<usize> {
    let Some(record) = obhut_store::contacts::find_contact(tx, &app.store.crypto, id).await? else { return Ok(0) };
    let recipients = recipients_of(tx, &record).await?;
    if recipients.is_empty() {
        return Ok(0);
    }
    let sid = id.to_string();
    let list: Vec<Notice> = recipients
        .iter()
        .map(|r| Notice {
            id: uuid::Uuid::now_v7().to_string(),
            recipient: r.clone(),
            contact_id: sid.clone(),
            event: event.into(),
            case_id: case_id.map(str::to_string),
            created_at: now,
            created_by: actor.audit_name(),
            done_at: None,
            done_by: None,
            note: None,
        })
        .collect();
    notices::insert(tx, &list).await?;
    let mut e = audit_entry(
        actor,
        "recipient_notice.create",
        "contact",
        &sid,
        Some(sid.clone()),
        vec![format!("event={event}"), format!("count={}", list.len())],
    );
    e.purpose = Some("data_subject_rights".into());
    obhut_store::audit::append(tx, &app.store.crypto, now, &[e]).await?;
    Ok(list.len())
}

/// A notification task as the API, the CLI and the UI show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeView {
    pub id: String,
    pub recipient: String,
    pub contact_id: String,
    /// rectification, erasure, restriction or restriction_lifted.
    pub event: String,
    /// The request case it belongs to (id).
    pub case_id: Option<String>,
    pub created_at: i64,
    pub created_by: String,
    pub done: bool,
    pub done_at: Option<i64>,
    pub done_by: Option<String>,
    /// How and when the recipient was told.
    pub note: Option<String>,
}

impl From<Notice> for NoticeView {
    fn from(n: Notice) -> Self {
        Self {
            done: n.done_at.is_some(),
            id: n.id,
            recipient: n.recipient,
            contact_id: n.contact_id,
            event: n.event,
            case_id: n.case_id,
            created_at: n.created_at,
            created_by: n.created_by,
            done_at: n.done_at,
            done_by: n.done_by,
            note: n.note,
        }
    }
}

/// Notification tasks, open ones first (DPO and administrators).
pub async fn notifications(app: &App, actor: &Actor, filter: &NoticeFilter, limit: i64) -> ServiceResult<Vec<NoticeView>> {
    authorize(app, actor).await?;
    let mut conn = app.conn().await?;
    Ok(notices::list(&mut conn, &app.store.crypto, filter, limit).await?.into_iter().map(NoticeView::from).collect())
}

/// Marks a task done: the note says how and when the recipient was told.
pub async fn mark_notified(app: &App, actor: &Actor, id: &str, note: &str) -> ServiceResult<NoticeView> {
    authorize(app, actor).await?;
    let note = text("note", Some(note), Some("say how and when the recipient was told"))?.unwrap_or_default();
    let id = id.trim();
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    let n = notices::find(&mut tx, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("notification"))?;
    if n.done_at.is_some() {
        return Err(ServiceError::Conflict(format!("the notification of {} is done already", n.recipient)));
    }
    notices::mark_done(&mut tx, &app.store.crypto, id, now, &actor.audit_name(), &note).await?;
    let mut e =
        audit_entry(actor, "recipient_notice.done", "recipient_notice", id, Some(n.contact_id.clone()), vec![format!("event={}", n.event)]);
    e.purpose = Some("data_subject_rights".into());
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[e]).await?;
    let done = notices::find(&mut tx, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("notification"))?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(done.into())
}

// ---------------------------------------------------------------------------------------------
// Art. 18: restriction

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
    let mut tx = app.begin_write().await?;
    let created = restrict_within(app, &mut tx, actor, id, &reason, until, case.as_ref().map(|c| c.id.as_str()), now).await?;
    // A restriction that answers a request completes its case.
    if let Some(c) = case.as_mut() {
        c.status = CaseStatus::Completed.as_str().into();
        c.closed_at = Some(now);
        c.updated_at = now;
        obhut_store::dsr::update(&mut tx, &app.store.crypto, c).await?;
        obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[case_audit(actor, "dsr.close", c, &["status"])]).await?;
    }
    let r = obhut_store::restriction::find(&mut tx, &app.store.crypto, &sid).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
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
    let mut tx = app.begin_write().await?;
    let current = obhut_store::restriction::find(&mut tx, &app.store.crypto, &sid)
        .await?
        .ok_or_else(|| ServiceError::Conflict("processing of this contact is not restricted".into()))?;
    let restricted_on = obhut_core::clock::from_millis(current.restricted_at).date();
    if informed_on < restricted_on {
        return Err(ServiceError::field(
            "person_informed_on",
            format!("the person is told of the lifting after the restriction ({restricted_on})"),
        ));
    }
    let created = notify_recipients(app, &mut tx, actor, id, "restriction_lifted", case.as_ref().map(|c| c.id.as_str()), now).await?;
    obhut_store::restriction::lift(&mut tx, &sid).await?;
    let mut fields = vec![format!("person_informed_on={informed_on}")];
    if let Some(v) = via {
        fields.push(format!("informed_via={}", v.as_str()));
    }
    let mut e = audit_entry(actor, "contact.restrict_lift", "contact", &sid, Some(sid.clone()), fields);
    e.purpose = Some("data_subject_rights".into());
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[e]).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(restriction_view(&sid, None, created))
}

/// Parses an optional calendar day from the edge (API, CLI, form).
pub fn optional_date(field: &str, s: Option<&str>) -> ServiceResult<Option<Date>> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(|s| parse_date(field, s)).transpose()
}

// ---------------------------------------------------------------------------------------------
// Art. 16: rectification through a case

/// Corrects a contact through its rectification case (Art. 16): the case must be in progress
/// (identity checked). The change goes through the contacts' update (audited with the values
/// before and after, sealed), is recorded on the case, and the recipients get notification
/// tasks (Art. 19), in one transaction. The case can then be completed.
pub async fn rectify(app: &App, actor: &Actor, case_id: &str, patch: ContactInput) -> ServiceResult<CaseView> {
    authorize(app, actor).await?;
    let c = load_case(app, case_id).await?;
    if c.kind != CaseKind::Rectification.as_str() {
        return Err(ServiceError::Conflict(format!("case {} is a {} request, not a rectification", c.reference, c.kind)));
    }
    if require_open(&c)? != CaseStatus::InProgress {
        return Err(ServiceError::Conflict(format!("case {}: check the requester's identity first", c.reference)));
    }
    if patch == ContactInput::default() {
        return Err(ServiceError::field("", "name at least one field to correct"));
    }
    let id = ContactId::parse(&c.contact_id).map_err(|_| ServiceError::Internal("case contact id".into()))?;
    let prepared =
        super::contacts::prepare_update(app, actor, id, patch, super::contacts::DEFAULT_READ_PURPOSE, super::contacts::Authority::Request)
            .await?;
    if prepared.fields.is_empty() {
        return Err(ServiceError::field("", "the corrected values are the ones stored already"));
    }
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    super::contacts::apply_update(app, &mut tx, actor, &prepared, None, now).await?;
    obhut_store::dsr::record_rectification(&mut tx, &c.id, now, &prepared.fields).await?;
    let names: Vec<&str> = prepared.fields.iter().map(String::as_str).collect();
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[case_audit(actor, "dsr.rectify", &c, &names)]).await?;
    notify_recipients(app, &mut tx, actor, id, "rectification", Some(&c.id), now).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    view(app, load_case(app, &c.id).await?)
}
