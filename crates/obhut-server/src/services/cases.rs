//! What every data subject request case shares: who may run cases, the case as the surfaces
//! show it, dates and free text of case forms, and the audit entry of a case step.

use super::audit_entry;
use crate::app::App;
use crate::error::ServiceError;
use crate::error::ServiceResult;
use crate::gate::{Action, Actor, Resource};
use obhut_core::dsr::{CaseKind, CaseStatus};
use obhut_store::dsr::Case;
use serde::Serialize;
use time::Date;

/// Data subject requests are run by the DPO and administrators.
pub async fn authorize(app: &App, actor: &Actor) -> ServiceResult<()> {
    app.authorize(actor, Action::Administer, Resource::Audit).await
}

/// A case as the API, the CLI and the UI show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub id: String,
    /// `DSR-2026-0001`.
    pub reference: String,
    pub kind: String,
    /// The article the request rests on.
    pub article: String,
    pub contact_id: String,
    pub received_on: String,
    pub received_via: String,
    /// The deadline (Art. 12(3)); after an extension the extended one.
    pub due_on: String,
    pub first_due_on: String,
    pub extended: bool,
    pub extension_reason: Option<String>,
    pub person_informed_on: Option<String>,
    pub identity_check: Option<String>,
    pub identity_note: Option<String>,
    pub status: String,
    pub closing_reason: Option<String>,
    /// Open and past its deadline.
    pub overdue: bool,
    /// Days until the deadline (negative: overdue); for closed cases 0.
    pub days_left: i64,
    pub created_by: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    /// A rectification made through the case (Art. 16): when, and the fields corrected.
    pub rectified_at: Option<i64>,
    pub rectified_fields: Vec<String>,
}

pub(crate) fn parse_date(field: &str, s: &str) -> ServiceResult<Date> {
    Date::parse(s.trim(), &time::format_description::well_known::Iso8601::DATE)
        .map_err(|_| ServiceError::field(field, "a date as YYYY-MM-DD"))
}

pub(crate) fn stored_date(s: &str) -> ServiceResult<Date> {
    Date::parse(s, &time::format_description::well_known::Iso8601::DATE).map_err(|_| ServiceError::Internal(format!("stored date '{s}'")))
}

pub(crate) fn today(app: &App) -> Date {
    app.clock.now().date()
}

pub(crate) fn text(field: &str, v: Option<&str>, required: Option<&str>) -> ServiceResult<Option<String>> {
    let v = v.map(str::trim).filter(|s| !s.is_empty());
    match (v, required) {
        (None, Some(why)) => Err(ServiceError::field(field, why)),
        (Some(t), _) if t.chars().count() > 2000 || t.chars().any(|c| c.is_control() && c != '\n') => {
            Err(ServiceError::field(field, "at most 2000 characters, without control characters"))
        }
        (v, _) => Ok(v.map(str::to_string)),
    }
}

pub(crate) fn view(app: &App, c: Case) -> ServiceResult<CaseView> {
    let status = CaseStatus::parse(&c.status).map_err(ServiceError::Internal)?;
    let kind = CaseKind::parse(&c.kind).map_err(ServiceError::Internal)?;
    let due = stored_date(&c.due_on)?;
    let days_left = if status.is_open() { (due - today(app)).whole_days() } else { 0 };
    Ok(CaseView {
        id: c.id,
        reference: c.reference,
        kind: c.kind,
        article: kind.article().into(),
        contact_id: c.contact_id,
        received_on: c.received_on,
        received_via: c.received_via,
        due_on: c.due_on,
        first_due_on: c.first_due_on,
        extended: c.extended_at.is_some(),
        extension_reason: c.extension_reason,
        person_informed_on: c.person_informed_on,
        identity_check: c.identity_check,
        identity_note: c.identity_note,
        status: c.status,
        closing_reason: c.closing_reason,
        overdue: status.is_open() && days_left < 0,
        days_left,
        created_by: c.created_by,
        created_at: c.created_at,
        closed_at: c.closed_at,
        rectified_at: c.rectified_at,
        rectified_fields: c.rectified_fields,
    })
}

pub(crate) fn case_audit(actor: &Actor, action: &str, c: &Case, fields: &[&str]) -> obhut_store::audit::AuditEntry {
    let mut e = audit_entry(actor, action, "dsr_case", &c.id, Some(c.contact_id.clone()), fields.iter().map(|f| f.to_string()).collect());
    e.purpose = Some("data_subject_rights".into());
    e
}

pub(crate) async fn load_case(app: &App, id: &str) -> ServiceResult<Case> {
    let mut conn = app.conn().await?;
    obhut_store::dsr::find(&mut conn, &app.store.crypto, id.trim()).await?.ok_or(ServiceError::NotFound("case"))
}

pub(crate) fn require_open(c: &Case) -> ServiceResult<CaseStatus> {
    let s = CaseStatus::parse(&c.status).map_err(ServiceError::Internal)?;
    if !s.is_open() {
        return Err(ServiceError::Conflict(format!("case {} is {} already", c.reference, c.status)));
    }
    Ok(s)
}

/// Completes the case a change answered (an erasure, a restriction), in the same audited
/// write as the change.
pub(crate) async fn complete(app: &App, w: &mut crate::app::AuditedWrite, actor: &Actor, c: &mut Case, now: i64) -> ServiceResult<()> {
    c.status = CaseStatus::Completed.as_str().into();
    c.closed_at = Some(now);
    c.updated_at = now;
    obhut_store::dsr::update(&mut w.tx, &app.store.crypto, c).await?;
    w.record(&[case_audit(actor, "dsr.close", c, &["status"])]);
    Ok(())
}
