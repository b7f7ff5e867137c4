//! The contact page's data subject rights actions for the DPO and administrators: restrict or
//! lift a restriction (Art. 18), erase with a confirmation (Art. 17), rectify through a case
//! (Art. 16), and the list of recipients still to be told (Art. 19).
//!
//! Everything goes through `services::rights` and `services::dsr`, which let only those who
//! run data subject rights in; the pages are offered to them alone.

use super::{fmt, non_empty, render_status, see_other, Ctx, Errs, Opt, Posted, Tr, Web};
use crate::error::ServiceError;
use crate::services::dsr as dsr_service;
use crate::services::rights::{self as service, NoticeView, RestrictionView};
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use obhut_core::dsr::{CaseKind, CaseStatus, ReceivedVia};
use obhut_core::ids::ContactId;
use obhut_store::recipient_notices::NoticeFilter;
use serde::Deserialize;

const RESTRICT_FIELDS: &[&str] = &["reason", "until", "case"];
const LIFT_FIELDS: &[&str] = &["person_informed_on", "informed_via", "case"];
const ERASE_FIELDS: &[&str] = &["reason", "confirm"];

/// A service message at a form field in the user's language.
pub(super) fn message(tr: Tr, msg: &str) -> String {
    const PARTS: &[(&str, &str)] = &[
        ("say why processing is restricted", "rights.err_reason"),
        ("say why the contact is erased", "rights.err_erase_reason"),
        ("at most 500 characters", "rights.err_text_500"),
        ("at most 2000 characters", "rights.err_text_2000"),
        ("a date as YYYY-MM-DD", "rights.err_date"),
        ("ends after today", "rights.err_until_past"),
        ("must be told before a restriction is lifted", "rights.err_informed_missing"),
        ("not a date in the future", "rights.err_informed_future"),
        ("is told of the lifting after the restriction", "rights.err_informed_early"),
        ("no such request case", "rights.err_no_case"),
        ("is not a restriction request of this contact", "rights.err_not_restriction_case"),
        ("is not a request of this contact", "rights.err_not_case_of_contact"),
        ("check the requester's identity first", "rights.err_identity_first"),
        ("restricted already", "rights.err_restricted_already"),
        ("is not restricted", "rights.err_not_restricted"),
        ("say how and when the recipient was told", "rights.err_note"),
        ("is done already", "rights.err_done_already"),
        ("name at least one field to correct", "rights.err_nothing_to_correct"),
        ("the corrected values are the ones stored already", "rights.err_nothing_to_correct"),
        ("must be one of", "rights.err_choice"),
        ("a legal hold", "rights.err_erase_hold"),
    ];
    match PARTS.iter().find(|(m, _)| msg.contains(m)) {
        Some((_, k)) => tr.t(k).to_string(),
        None => tr.message(msg),
    }
}

fn errs(tr: Tr, v: &obhut_core::ValidationErrors, known: &[&str]) -> Errs {
    let mut out = Errs::none();
    for fe in &v.0 {
        let msg = message(tr, &fe.message);
        if known.contains(&fe.field.as_str()) {
            out.add(&fe.field, msg);
        } else {
            out.other.push(msg);
        }
    }
    out
}

/// The contact's name for the headings (read through the gate, like the contact page).
async fn contact_name(web: &Web, id: &str) -> Result<(ContactId, String), Response> {
    let Ok(cid) = ContactId::parse(id) else { return Err(web.not_found()) };
    match crate::services::contacts::get(&web.app, web.actor(), cid).await {
        Ok(c) => Ok((cid, super::contacts::display_name(&c, web.tr()))),
        Err(e) => Err(web.fail(e)),
    }
}

// ---------------------------------------------------------------------------------------
// Restriction (Art. 18)

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct RestrictForm {
    reason: String,
    until: String,
    case: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct LiftForm {
    person_informed_on: String,
    informed_via: String,
    case: String,
}

#[derive(Template)]
#[template(path = "rights/restriction.html")]
struct RestrictionPage {
    ctx: Ctx,
    contact_id: String,
    name: String,
    r: RestrictionView,
    since: String,
    until: String,
    restrict: RestrictForm,
    lift: LiftForm,
    errs: Errs,
    refusal: Option<String>,
    vias: Vec<Opt>,
}

async fn restriction_page(
    web: &Web,
    id: &str,
    restrict: RestrictForm,
    lift: LiftForm,
    errs: Errs,
    refusal: Option<String>,
    status: StatusCode,
) -> Response {
    let tr = web.tr();
    let (cid, name) = match contact_name(web, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r = match service::restriction(&web.app, web.actor(), &cid.to_string()).await {
        Ok(r) => r,
        Err(e) => return web.fail(e),
    };
    let mut lift = lift;
    if lift.person_informed_on.is_empty() && !errs.any() {
        lift.person_informed_on = web.app.clock.now().date().to_string();
    }
    let page = RestrictionPage {
        ctx: web.ctx("contacts"),
        contact_id: cid.to_string(),
        name,
        since: r.restricted_at.map(|t| fmt::datetime(tr.lang, t)).unwrap_or_default(),
        until: r.until.as_deref().map(|d| super::privacy_requests::show_date(tr, d)).unwrap_or_default(),
        r,
        restrict,
        lift,
        errs,
        refusal,
        vias: ReceivedVia::ALL.iter().map(|v| Opt::new(v.as_str(), tr.v("dsr_ui.via", v.as_str()))).collect(),
    };
    render_status(status, &page)
}

/// `GET /contacts/{id}/restriction`: the restriction, with the form that restricts or lifts it.
pub async fn restriction(web: Web, Path(id): Path<String>) -> Response {
    restriction_page(&web, &id, RestrictForm::default(), LiftForm::default(), Errs::none(), None, StatusCode::OK).await
}

/// The page again with the service's problems, nothing changed.
async fn refused(web: &Web, id: &str, restrict: RestrictForm, lift: LiftForm, e: ServiceError, known: &[&str]) -> Response {
    let tr = web.tr();
    match e {
        ServiceError::Validation(v) => {
            let errs = errs(tr, &v, known);
            restriction_page(web, id, restrict, lift, errs, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        ServiceError::Conflict(m) => {
            restriction_page(web, id, restrict, lift, Errs::none(), Some(message(tr, &m)), StatusCode::CONFLICT).await
        }
        e => web.fail(e),
    }
}

/// `POST /contacts/{id}/restriction`: restricts processing.
pub async fn restrict(Path(id): Path<String>, Posted { web, form }: Posted<RestrictForm>) -> Response {
    let result = async {
        let until = service::optional_date("until", Some(&form.until))?;
        service::restrict(&web.app, web.actor(), &id, &form.reason, until, non_empty(&form.case)).await
    }
    .await;
    match result {
        Ok(r) => see_other(&format!("/contacts/{}?flash=restricted", r.contact_id)),
        Err(e) => refused(&web, &id, form, LiftForm::default(), e, RESTRICT_FIELDS).await,
    }
}

/// `POST /contacts/{id}/restriction/lift`: lifts it, once the person was told.
pub async fn lift(Path(id): Path<String>, Posted { web, form }: Posted<LiftForm>) -> Response {
    let result = async {
        let on = service::optional_date("person_informed_on", Some(&form.person_informed_on))?;
        service::lift_restriction(&web.app, web.actor(), &id, on, non_empty(&form.informed_via), non_empty(&form.case)).await
    }
    .await;
    match result {
        Ok(r) => see_other(&format!("/contacts/{}?flash=restriction_lifted", r.contact_id)),
        Err(e) => refused(&web, &id, RestrictForm::default(), form, e, LIFT_FIELDS).await,
    }
}

// ---------------------------------------------------------------------------------------
// Erasure (Art. 17)

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct EraseForm {
    reason: String,
    confirm: String,
    case: String,
}

#[derive(Template)]
#[template(path = "rights/erase.html")]
struct ErasePage {
    ctx: Ctx,
    contact_id: String,
    name: String,
    form: EraseForm,
    errs: Errs,
    refusal: Option<String>,
}

async fn erase_page(web: &Web, id: &str, form: EraseForm, errs: Errs, refusal: Option<String>, status: StatusCode) -> Response {
    if let Err(e) = dsr_service::authorize(&web.app, web.actor()).await {
        return web.fail(e);
    }
    let (cid, name) = match contact_name(web, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    render_status(status, &ErasePage { ctx: web.ctx("contacts"), contact_id: cid.to_string(), name, form, errs, refusal })
}

/// `GET /contacts/{id}/erase`: what erasure deletes and keeps, and the confirmation.
pub async fn erase_confirm(web: Web, Path(id): Path<String>) -> Response {
    erase_page(&web, &id, EraseForm::default(), Errs::none(), None, StatusCode::OK).await
}

/// `POST /contacts/{id}/erase`: erases once the tick confirms it.
pub async fn erase(Path(id): Path<String>, Posted { web, form }: Posted<EraseForm>) -> Response {
    let tr = web.tr();
    if form.confirm.is_empty() {
        let mut e = Errs::none();
        if non_empty(&form.reason).is_none() {
            e.add("reason", tr.t("rights.err_erase_reason"));
        }
        e.add("confirm", tr.t("rights.err_erase_confirm"));
        return erase_page(&web, &id, form, e, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match dsr_service::erase(&web.app, web.actor(), &id, &form.reason, non_empty(&form.case)).await {
        // A legal duty kept records: the contact stays, restricted, and says so.
        Ok(e) if e.restricted_until.is_some() => see_other(&format!("/contacts/{}?flash=erase_restricted", e.contact_id)),
        Ok(_) => see_other("/contacts?flash=erased"),
        Err(ServiceError::Validation(v)) => {
            let e = errs(tr, &v, ERASE_FIELDS);
            erase_page(&web, &id, form, e, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(ServiceError::Conflict(m)) => {
            let text = message(tr, &m);
            erase_page(&web, &id, form, Errs::none(), Some(text), StatusCode::CONFLICT).await
        }
        Err(e) => web.fail(e),
    }
}

// ---------------------------------------------------------------------------------------
// Rectification (Art. 16)

/// `GET /contacts/{id}/rectify`: to the open rectification case of the contact (its form), or
/// to the form that opens one.
pub async fn rectify(web: Web, Path(id): Path<String>) -> Response {
    let Ok(cid) = ContactId::parse(&id) else { return web.not_found() };
    let cases = match dsr_service::list_cases(&web.app, web.actor(), true, 10_000).await {
        Ok(c) => c,
        Err(e) => return web.fail(e),
    };
    let open = cases.iter().find(|c| c.contact_id == cid.to_string() && c.kind == CaseKind::Rectification.as_str());
    match open {
        Some(c) if c.status == CaseStatus::InProgress.as_str() => see_other(&format!("/privacy/requests/{}#rectify", c.id)),
        Some(c) => see_other(&format!("/privacy/requests/{}#verify", c.id)),
        None => see_other(&format!("/privacy/requests?contact={cid}&kind=rectification#new-case")),
    }
}

// ---------------------------------------------------------------------------------------
// Recipients (Art. 19)

/// One task as the lists show it.
pub(super) struct NoticeRow {
    pub id: String,
    pub recipient: String,
    pub contact_id: String,
    pub event: String,
    pub case_id: Option<String>,
    pub created: String,
    pub done: bool,
    pub done_on: String,
    pub note: String,
}

impl NoticeRow {
    pub(super) fn new(tr: Tr, n: NoticeView) -> Self {
        Self {
            id: n.id,
            recipient: n.recipient,
            contact_id: n.contact_id,
            event: tr.v("rights.event", &n.event),
            case_id: n.case_id,
            created: fmt::datetime(tr.lang, n.created_at),
            done: n.done_at.is_some(),
            done_on: n.done_at.map(|t| fmt::datetime(tr.lang, t)).unwrap_or_default(),
            note: n.note.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct NoticeQuery {
    /// `all`: done tasks too.
    show: String,
}

#[derive(Template)]
#[template(path = "rights/notifications.html")]
struct NoticesPage {
    ctx: Ctx,
    notices: Vec<NoticeRow>,
    show_all: bool,
    errs: Errs,
    /// Where a "mark as told" form returns to: this list.
    back: String,
}

async fn notices_page(web: &Web, show_all: bool, errs: Errs, status: StatusCode) -> Response {
    let tr = web.tr();
    let filter = NoticeFilter { open_only: !show_all, ..Default::default() };
    let notices = match service::notifications(&web.app, web.actor(), &filter, 2000).await {
        Ok(l) => l.into_iter().map(|n| NoticeRow::new(tr, n)).collect(),
        Err(e) => return web.fail(e),
    };
    render_status(status, &NoticesPage { ctx: web.ctx("privacy"), notices, show_all, errs, back: String::new() })
}

/// `GET /privacy/notifications`: the recipients still to be told, oldest first.
pub async fn notifications(web: Web, Query(q): Query<NoticeQuery>) -> Response {
    notices_page(&web, q.show == "all", Errs::none(), StatusCode::OK).await
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct DoneForm {
    note: String,
    /// Where to go back to: `case:<id>` or the list.
    back: String,
}

/// `POST /privacy/notifications/{id}/done`: marks a task done with its note.
pub async fn notification_done(Path(id): Path<String>, Posted { web, form }: Posted<DoneForm>) -> Response {
    let tr = web.tr();
    let back = match form.back.strip_prefix("case:") {
        Some(c) if !c.is_empty() && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') => format!("/privacy/requests/{c}"),
        _ => "/privacy/notifications".to_string(),
    };
    match service::mark_notified(&web.app, web.actor(), &id, &form.note).await {
        Ok(_) => see_other(&format!("{back}?flash=notified#notices")),
        Err(ServiceError::Validation(v)) => {
            let mut e = Errs::none();
            for fe in &v.0 {
                e.add(&id, message(tr, &fe.message));
            }
            notices_page(&web, false, e, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(ServiceError::Conflict(_)) => see_other(&format!("{back}#notices")),
        Err(e) => web.fail(e),
    }
}
