//! The DPO's cockpit for data subject requests ("Betroffenenanfragen"): the list of cases by
//! deadline with the form that opens one, and the case page that walks a case through its
//! steps (identity check, one extension, closing) and, for an erasure request, erases.
//!
//! Everything goes through `services::dsr`, which lets only the DPO and administrators in;
//! the service's refusals (its English messages) are shown in the user's language, at the
//! field they concern or above the form, and nothing is changed.

#[cfg(test)]
mod tests;
mod text;

use self::text::*;
use crate::web::failure::{OrFail, PageResult};

use super::page::{non_empty, parse_date, render_status, see_other, show_date, Ctx, Errs, Opt};
use super::session::{Posted, Web};
use crate::error::ServiceError;
use crate::fmt;
use crate::i18n::Tr;
use crate::services::audit as audit_service;
use crate::services::cases::CaseView;
use crate::services::dsr::{self as service, NewCase};
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use obhut_core::dsr::{CaseKind, CaseStatus, IdentityCheck, ReceivedVia};
use serde::Deserialize;

/// How many cases the list shows at most (a year of requests in a large firm).
pub(super) const LIST_LIMIT: i64 = 2000;

/// The ways the identity can be checked, in the order the forms offer them.
pub(super) const CHECKS: [IdentityCheck; 3] = [IdentityCheck::KnownIdentity, IdentityCheck::EmailCode, IdentityCheck::Manual];

/// The fields of the form that opens a case, in form order.
pub(super) const NEW_FIELDS: &[&str] =
    &["contact_id", "kind", "received_on", "received_via", "identity_check", "identity_evidence", "identity_note"];
pub(super) const VERIFY_FIELDS: &[&str] = &["identity_check", "identity_evidence", "identity_note"];
pub(super) const EXTEND_FIELDS: &[&str] = &["extend_reason", "informed_on", "new_due"];
pub(super) const CLOSE_FIELDS: &[&str] = &["close_status", "close_reason"];
pub(super) const ERASE_FIELDS: &[&str] = &["erase_reason", "erase_confirm"];

// ---------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------

/// One case in the list.
pub(super) struct CaseRow {
    id: String,
    reference: String,
    kind: String,
    contact_id: String,
    /// The person's name, read through the gate under the rights purpose (`None`: erased or
    /// not readable).
    contact_name: Option<String>,
    received: String,
    via: String,
    due: String,
    days: String,
    overdue: bool,
    open: bool,
    status_code: String,
    status: String,
}

impl CaseRow {
    fn new(tr: Tr, c: &CaseView) -> Self {
        Self {
            id: c.id.clone(),
            reference: c.reference.clone(),
            kind: kind_with_article(tr, &c.kind),
            contact_id: c.contact_id.clone(),
            contact_name: None,
            received: show_date(tr, &c.received_on),
            via: tr.v("dsr_ui.via", &c.received_via),
            due: show_date(tr, &c.due_on),
            days: days_text(tr, c),
            overdue: c.overdue,
            open: CaseStatus::parse(&c.status).is_ok_and(CaseStatus::is_open),
            status_code: c.status.clone(),
            status: status_label(tr, &c.status),
        }
    }
}

/// The form that opens a case, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct NewForm {
    contact_id: String,
    kind: String,
    received_on: String,
    received_via: String,
    identity_check: String,
    identity_evidence: String,
    identity_note: String,
    /// The contact picker's search, and whether it was asked for (then nothing is opened).
    contact_id_q: String,
    pick: String,
}

impl NewForm {
    fn input(&self) -> NewCase {
        let opt = |s: &str| non_empty(s).map(str::to_string);
        NewCase {
            contact_id: self.contact_id.trim().to_string(),
            kind: self.kind.clone(),
            received_on: opt(&self.received_on),
            received_via: self.received_via.clone(),
            identity_check: opt(&self.identity_check),
            identity_evidence: opt(&self.identity_evidence),
            identity_note: opt(&self.identity_note),
        }
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// `all`: closed cases too; otherwise the open ones.
    show: String,
    /// Prefills the form (a link from elsewhere may name the contact and the kind).
    contact: String,
    kind: String,
}

#[derive(Template)]
#[template(path = "privacy/requests.html")]
pub(super) struct ListPage {
    ctx: Ctx,
    rows: Vec<CaseRow>,
    show_all: bool,
    overdue: usize,
    form: NewForm,
    contact: crate::web::picker::Picker,
    errs: Errs,
    /// A refusal of the whole form (a case of this kind already open, an erased contact).
    refusal: Option<String>,
    kinds: Vec<Opt>,
    vias: Vec<Opt>,
    checks: Vec<Opt>,
}

pub(super) async fn show_list(
    web: &Web,
    show_all: bool,
    form: NewForm,
    errs: Errs,
    refusal: Option<String>,
    status: StatusCode,
) -> PageResult {
    let tr = web.tr();
    let cases = service::list_cases(&web.app, web.actor(), !show_all, LIST_LIMIT).await.or_fail(web)?;
    let mut rows: Vec<CaseRow> = cases.iter().map(|c| CaseRow::new(tr, c)).collect();
    let ids = rows.iter().filter_map(|r| obhut_core::ids::ContactId::parse(&r.contact_id).ok()).collect();
    let names = crate::web::common::contact_names(web, ids, crate::web::common::RIGHTS_PURPOSE).await;
    for r in &mut rows {
        r.contact_name = obhut_core::ids::ContactId::parse(&r.contact_id).ok().and_then(|c| names.get(&c).cloned());
    }
    let overdue = rows.iter().filter(|r| r.overdue).count();
    let contact =
        crate::web::picker::Picker::contact(web, "contact_id", &form.contact_id, &form.contact_id_q, crate::web::common::RIGHTS_PURPOSE).await;
    let page = ListPage {
        ctx: web.ctx("privacy"),
        rows,
        show_all,
        overdue,
        contact,
        form,
        errs,
        refusal,
        kinds: kind_options(tr),
        vias: options(tr, &ReceivedVia::ALL, ReceivedVia::as_str, "dsr_ui.via"),
        checks: options(tr, &CHECKS, IdentityCheck::as_str, "dsr_ui.check"),
    };
    Ok(render_status(status, &page))
}

/// `GET /privacy/requests`: the cases by deadline, open ones first, and the form for a new one.
pub async fn request_list(web: Web, Query(q): Query<ListQuery>) -> PageResult {
    let form = NewForm {
        contact_id: q.contact.trim().to_string(),
        kind: CaseKind::parse(&q.kind).map(|k| k.as_str().to_string()).unwrap_or_default(),
        received_on: web.app.clock.now().date().to_string(),
        received_via: ReceivedVia::Email.as_str().into(),
        ..NewForm::default()
    };
    show_list(&web, q.show == "all", form, Errs::none(), None, StatusCode::OK).await
}

/// `POST /privacy/requests`: opens a case; on bad input the form again, nothing stored.
pub async fn open_request(Posted { web, form }: Posted<NewForm>) -> PageResult {
    let tr = web.tr();
    if !form.pick.is_empty() {
        return show_list(&web, false, form, Errs::none(), None, StatusCode::OK).await;
    }
    match service::open_case(&web.app, web.actor(), &form.input()).await {
        Ok(c) => Ok(see_other(&format!("/privacy/requests/{}?flash=dsr_opened", c.id))),
        Err(ServiceError::Validation(v)) => {
            let errs = errs_of(tr, None, &v, &[], NEW_FIELDS);
            show_list(&web, false, form, errs, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(ServiceError::Conflict(m)) => {
            let text = refusal(tr, None, &m);
            show_list(&web, false, form, Errs::none(), Some(text), StatusCode::CONFLICT).await
        }
        Err(e) => Err(web.failure(e)),
    }
}

// ---------------------------------------------------------------------------------------
// The case page
// ---------------------------------------------------------------------------------------

/// One step of a case as the page walks it.
pub(super) struct Step {
    label: String,
    /// `done`, `current`, `todo`, `optional` or `skipped`.
    state: &'static str,
    state_label: String,
    detail: String,
}

/// A case as its page shows it.
pub(super) struct Detail {
    id: String,
    reference: String,
    kind: String,
    contact_id: String,
    received: String,
    via: String,
    status_code: String,
    status: String,
    open: bool,
    overdue: bool,
    days: String,
    due: String,
    first_due: String,
    extended: bool,
    extension_reason: Option<String>,
    person_informed_on: Option<String>,
    identity_check: Option<String>,
    identity_note: Option<String>,
    closing_reason: Option<String>,
    /// A rejection: the person was told of the right to complain (Art. 77).
    told_of_complaint: bool,
    closed_at: Option<String>,
    created_by: String,
    created_at: String,
    /// For an erasure request whose contact is erased: when.
    erased_on: Option<String>,
}

pub(super) fn steps(tr: Tr, c: &CaseView, status: CaseStatus, extension_possible: bool) -> Vec<Step> {
    let step = |label: &str, state: &'static str, detail: String| Step {
        label: tr.t(label).to_string(),
        state,
        state_label: tr.v("dsr_ui.step_state", state),
        detail,
    };
    let checked = c.identity_check.is_some();
    let mut out =
        vec![step("dsr_ui.step_received", "done", format!("{} · {}", show_date(tr, &c.received_on), tr.v("dsr_ui.via", &c.received_via)))];
    out.push(match (&c.identity_check, status) {
        (Some(check), _) => step("dsr_ui.step_identity", "done", tr.v("dsr_ui.check", check)),
        (None, CaseStatus::Received) => step("dsr_ui.step_identity", "current", tr.t("dsr_ui.step_identity_todo").to_string()),
        (None, _) => step("dsr_ui.step_identity", "skipped", String::new()),
    });
    out.push(if c.extended {
        let informed = c.person_informed_on.as_deref().map(|d| show_date(tr, d)).unwrap_or_default();
        step(
            "dsr_ui.step_extended",
            "done",
            tr.args("dsr_ui.step_extended_detail", [("due", show_date(tr, &c.due_on).into()), ("told", informed.into())]),
        )
    } else if extension_possible {
        step("dsr_ui.step_extended", "optional", tr.f("dsr_ui.step_extended_until", show_date(tr, &c.first_due_on)))
    } else {
        step("dsr_ui.step_extended", "skipped", String::new())
    });
    let closed_on = c.closed_at.map(|t| fmt::datetime(tr.lang, t)).unwrap_or_default();
    out.push(match status {
        CaseStatus::Completed => step("dsr_ui.step_completed", "done", closed_on),
        CaseStatus::Rejected => step("dsr_ui.step_rejected", "done", closed_on),
        CaseStatus::Cancelled => step("dsr_ui.step_cancelled", "done", closed_on),
        _ if checked => step("dsr_ui.step_close", "current", tr.f("dsr_ui.step_close_by", show_date(tr, &c.due_on))),
        _ => step("dsr_ui.step_close", "todo", tr.f("dsr_ui.step_close_by", show_date(tr, &c.due_on))),
    });
    out
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct VerifyForm {
    identity_check: String,
    identity_evidence: String,
    identity_note: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ExtendForm {
    extend_reason: String,
    informed_on: String,
    new_due: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct CloseForm {
    close_status: String,
    close_reason: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct EraseForm {
    erase_reason: String,
    /// The tick that says the erasure is meant.
    erase_confirm: String,
}

/// The corrections of a rectification request: only the fields filled in change.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct RectifyForm {
    salutation: String,
    title: String,
    given_name: String,
    family_name: String,
    email: String,
    phone: String,
    job_title: String,
    birthday: String,
}

/// The fields of the rectification form, named as the contact API names them.
pub(super) const RECTIFY_FIELDS: &[&str] = &["salutation", "title", "given_name", "family_name", "email", "phone", "job_title", "birthday"];

impl RectifyForm {
    fn input(&self) -> obhut_core::contact::ContactInput {
        let opt = |s: &str| non_empty(s).map(str::to_string);
        obhut_core::contact::ContactInput {
            salutation: opt(&self.salutation),
            title: opt(&self.title),
            given_name: opt(&self.given_name),
            family_name: opt(&self.family_name),
            email: opt(&self.email),
            phone: opt(&self.phone),
            job_title: opt(&self.job_title),
            birthday: opt(&self.birthday),
            ..Default::default()
        }
    }
}

/// What a failed POST brings back to the case page.
#[derive(Default)]
pub(super) struct Typed {
    rectify: RectifyForm,
    rectify_errs: Errs,
    verify: VerifyForm,
    verify_errs: Errs,
    extend: ExtendForm,
    extend_errs: Errs,
    close: CloseForm,
    close_errs: Errs,
    erase: EraseForm,
    erase_errs: Errs,
    refusal: Option<String>,
}

#[derive(Template)]
#[template(path = "privacy/request.html")]
pub(super) struct CasePage {
    ctx: Ctx,
    c: Detail,
    steps: Vec<Step>,
    can_verify: bool,
    can_extend: bool,
    can_close: bool,
    /// An erasure request whose identity is checked: the erase button.
    can_erase: bool,
    /// An erasure request still waiting for its identity check.
    erase_waits: bool,
    /// A rectification request whose identity is checked: the form of corrections.
    can_rectify: bool,
    /// The fields a rectification through the case corrected, and when.
    rectified: Option<(String, String)>,
    /// The recipients to tell of what the case changed (Art. 19).
    notices: Vec<super::recipients::NoticeRow>,
    back: String,
    errs: Errs,
    latest_due: String,
    checks: Vec<Opt>,
    close_statuses: Vec<Opt>,
    t: Typed,
}

pub(super) async fn show_case(web: &Web, c: CaseView, mut t: Typed, status: StatusCode) -> Response {
    let tr = web.tr();
    let Ok(case_status) = CaseStatus::parse(&c.status) else { return web.fail(ServiceError::Internal("case status".into())) };
    let open = case_status.is_open();
    let today = web.app.clock.now().date();
    let first_due = parse_date(&c.first_due_on);
    let extension_possible = open && !c.extended && first_due.is_some_and(|d| today <= d);
    let erasure = c.kind == CaseKind::Erasure.as_str();
    let erased_on = if erasure {
        crate::services::tombstones::erased_at(&web.app, &c.contact_id).await.ok().flatten().map(|t| fmt::datetime(tr.lang, t))
    } else {
        None
    };
    let names = audit_service::actor_names(&web.app, web.actor()).await.ok();
    let created_by = names.map(|n| n.display(&c.created_by)).unwrap_or_else(|| c.created_by.clone());
    let (closing_reason, told_of_complaint) = match c.closing_reason.as_deref() {
        Some(r) => match r.find(ART77_NOTE) {
            Some(at) => (non_empty(&r[..at]).map(str::to_string), true),
            None => (Some(r.to_string()), case_status == CaseStatus::Rejected),
        },
        None => (None, case_status == CaseStatus::Rejected),
    };
    let latest_due = parse_date(&c.received_on).map(|r| fmt::date(tr.lang, obhut_core::dsr::latest_extension(r))).unwrap_or_default();
    let in_progress = case_status == CaseStatus::InProgress;
    let close_statuses = [CaseStatus::Completed, CaseStatus::Rejected, CaseStatus::Cancelled]
        .into_iter()
        .filter(|s| in_progress || *s != CaseStatus::Completed)
        .map(|s| Opt::new(s.as_str(), status_label(tr, s.as_str())))
        .collect();
    // Fresh forms start with sensible values.
    if t.extend.informed_on.is_empty() && !t.extend_errs.any() {
        t.extend.informed_on = today.to_string();
    }
    if t.erase.erase_reason.is_empty() && !t.erase_errs.any() {
        t.erase.erase_reason = tr.f("dsr_ui.erase_reason_default", &c.reference);
    }
    // Problems of a form the case no longer shows (a step no longer possible) are said above.
    let can_erase = erasure && in_progress && erased_on.is_none();
    let hidden = (t.verify_errs.any() && case_status != CaseStatus::Received)
        || (t.extend_errs.any() && !extension_possible)
        || (t.close_errs.any() && !open)
        || (t.erase_errs.any() && !can_erase);
    if hidden && t.refusal.is_none() {
        t.refusal = Some(tr.t("dsr_ui.err_step_not_possible").to_string());
    }
    if t.close.close_status.is_empty() {
        t.close.close_status = if in_progress { CaseStatus::Completed } else { CaseStatus::Rejected }.as_str().into();
    }
    let rectification = c.kind == CaseKind::Rectification.as_str();
    let filter = obhut_store::recipient_notices::NoticeFilter { case_id: Some(c.id.clone()), ..Default::default() };
    let notices = match crate::services::recipients::notifications(&web.app, web.actor(), &filter, 500).await {
        Ok(l) => l.into_iter().map(|n| super::recipients::NoticeRow::new(tr, n)).collect(),
        Err(e) => return web.fail(e),
    };
    let rectified = c.rectified_at.map(|at| (fmt::datetime(tr.lang, at), c.rectified_fields.join(", ")));
    let page = CasePage {
        ctx: web.ctx("privacy"),
        can_rectify: rectification && in_progress,
        rectified,
        notices,
        back: format!("case:{}", c.id),
        errs: Errs::none(),
        steps: steps(tr, &c, case_status, extension_possible),
        can_verify: case_status == CaseStatus::Received,
        can_extend: extension_possible,
        can_close: open,
        can_erase,
        erase_waits: erasure && case_status == CaseStatus::Received,
        latest_due,
        checks: options(tr, &CHECKS, IdentityCheck::as_str, "dsr_ui.check"),
        close_statuses,
        t,
        c: Detail {
            id: c.id.clone(),
            reference: c.reference.clone(),
            kind: kind_with_article(tr, &c.kind),
            contact_id: c.contact_id.clone(),
            received: show_date(tr, &c.received_on),
            via: tr.v("dsr_ui.via", &c.received_via),
            status_code: c.status.clone(),
            status: status_label(tr, &c.status),
            open,
            overdue: c.overdue,
            days: days_text(tr, &c),
            due: show_date(tr, &c.due_on),
            first_due: show_date(tr, &c.first_due_on),
            extended: c.extended,
            extension_reason: c.extension_reason.clone(),
            person_informed_on: c.person_informed_on.as_deref().map(|d| show_date(tr, d)),
            identity_check: c.identity_check.as_deref().map(|k| tr.v("dsr_ui.check", k)),
            identity_note: c.identity_note.clone(),
            closing_reason,
            told_of_complaint,
            closed_at: c.closed_at.map(|t| fmt::datetime(tr.lang, t)),
            created_by,
            created_at: fmt::datetime(tr.lang, c.created_at),
            erased_on,
        },
    };
    render_status(status, &page)
}

/// `GET /privacy/requests/{id}` (id or reference).
pub async fn request_page(web: Web, Path(id): Path<String>) -> Response {
    match service::get_case(&web.app, web.actor(), &id).await {
        Ok(c) => show_case(&web, c, Typed::default(), StatusCode::OK).await,
        Err(e) => web.fail(e),
    }
}

/// A service answer to one of the case page's forms: onwards with a flash, or the page again
/// with the problems at the form (`put` files them) and nothing changed.
pub(super) async fn answer(
    web: &Web,
    id: &str,
    result: Result<CaseView, ServiceError>,
    flash: &str,
    put: impl FnOnce(&mut Typed, &CaseView, &obhut_core::ValidationErrors),
) -> PageResult {
    let tr = web.tr();
    let (status, v, m) = match result {
        Ok(c) => return Ok(see_other(&format!("/privacy/requests/{}?flash={flash}", c.id))),
        Err(ServiceError::Validation(v)) => (StatusCode::UNPROCESSABLE_ENTITY, Some(v), String::new()),
        Err(ServiceError::Conflict(m)) => (StatusCode::CONFLICT, None, m),
        Err(ServiceError::Gone(m)) => (StatusCode::GONE, None, m),
        Err(e) => return Err(web.failure(e)),
    };
    // The page again, as the case stands now.
    let c = service::get_case(&web.app, web.actor(), id).await.or_fail(web)?;
    let mut t = Typed::default();
    match v {
        Some(v) => put(&mut t, &c, &v),
        None => t.refusal = Some(refusal(tr, Some(&c), &m)),
    }
    Ok(show_case(web, c, t, status).await)
}

/// `POST /privacy/requests/{id}/identity`.
pub async fn verify_request(Path(id): Path<String>, Posted { web, form }: Posted<VerifyForm>) -> PageResult {
    let tr = web.tr();
    let result = service::verify_identity(
        &web.app,
        web.actor(),
        &id,
        &form.identity_check,
        non_empty(&form.identity_evidence),
        non_empty(&form.identity_note),
    )
    .await;
    answer(&web, &id, result, "dsr_verified", |t, c, v| {
        t.verify_errs = errs_of(tr, Some(c), v, &[], VERIFY_FIELDS);
        t.verify = form;
    })
    .await
}

/// `POST /privacy/requests/{id}/identity/code`: sends the requester a code by email.
pub async fn send_code_request(Path(id): Path<String>, Posted { web, form: _ }: Posted<VerifyForm>) -> PageResult {
    let tr = web.tr();
    let result = match service::send_identity_code(&web.app, web.actor(), &id, None).await {
        Ok(_) => service::get_case(&web.app, web.actor(), &id).await,
        Err(e) => Err(e),
    };
    answer(&web, &id, result, "dsr_code_sent", |t, c, v| {
        t.verify_errs = errs_of(tr, Some(c), v, &[("address", "identity_check")], VERIFY_FIELDS);
        t.verify.identity_check = "email_code".into();
    })
    .await
}

/// `POST /privacy/requests/{id}/extension`.
pub async fn extend_request(Path(id): Path<String>, Posted { web, form }: Posted<ExtendForm>) -> PageResult {
    let tr = web.tr();
    let result = service::extend(&web.app, web.actor(), &id, &form.extend_reason, &form.informed_on, non_empty(&form.new_due)).await;
    answer(&web, &id, result, "dsr_extended", |t, c, v| {
        t.extend_errs = errs_of(tr, Some(c), v, &[("reason", "extend_reason")], EXTEND_FIELDS);
        t.extend = form;
    })
    .await
}

/// `POST /privacy/requests/{id}/close`.
pub async fn close_request(Path(id): Path<String>, Posted { web, form }: Posted<CloseForm>) -> PageResult {
    let tr = web.tr();
    let result = service::close_case(&web.app, web.actor(), &id, &form.close_status, non_empty(&form.close_reason)).await;
    answer(&web, &id, result, "dsr_closed", |t, c, v| {
        t.close_errs = errs_of(tr, Some(c), v, &[("status", "close_status"), ("reason", "close_reason")], CLOSE_FIELDS);
        t.close = form;
    })
    .await
}

/// `POST /privacy/requests/{id}/rectification`: corrects the contact of a rectification
/// request (Art. 16) with the fields filled in; the recipients get notification tasks.
pub async fn rectify_request(Path(id): Path<String>, Posted { web, form }: Posted<RectifyForm>) -> PageResult {
    let tr = web.tr();
    let result = crate::services::rights::rectify(&web.app, web.actor(), &id, form.input()).await;
    let flash = "rectified";
    answer(&web, &id, result, flash, |t, _c, v| {
        let mut e = Errs::none();
        for fe in &v.0 {
            let field = fe.field.split(['[', '.']).next().unwrap_or_default();
            let field = match field {
                "emails" => "email",
                "phones" => "phone",
                f => f,
            };
            let msg = super::rights::message(tr, &fe.message);
            if RECTIFY_FIELDS.contains(&field) {
                e.add(field, msg);
            } else {
                e.other.push(msg);
            }
        }
        t.rectify_errs = e;
        t.rectify = form;
    })
    .await
}

/// `POST /privacy/requests/{id}/erasure`: erases the contact of an erasure request (Art. 17)
/// once the tick confirms it; the case is completed with it.
pub async fn erase_request(Path(id): Path<String>, Posted { web, form }: Posted<EraseForm>) -> PageResult {
    let tr = web.tr();
    let c = service::get_case(&web.app, web.actor(), &id).await.or_fail(&web)?;
    if form.erase_confirm.is_empty() {
        let mut errs = Errs::none();
        if non_empty(&form.erase_reason).is_none() {
            errs.add("erase_reason", tr.t("dsr_ui.err_erase_reason"));
        }
        errs.add("erase_confirm", tr.t("dsr_ui.err_erase_confirm"));
        let t = Typed { erase: form, erase_errs: errs, ..Typed::default() };
        return Ok(show_case(&web, c, t, StatusCode::UNPROCESSABLE_ENTITY).await);
    }
    let result = match crate::services::erasure::erase(&web.app, web.actor(), &c.contact_id, &form.erase_reason, Some(&c.id)).await {
        Ok(_) => Ok(c),
        // The contact was deleted by hand: nothing is left to erase.
        Err(ServiceError::NotFound("contact")) => Err(ServiceError::Conflict(CONTACT_MISSING.into())),
        Err(e) => Err(e),
    };
    answer(&web, &id, result, "dsr_erased", |t, case, v| {
        t.erase_errs = errs_of(tr, Some(case), v, &[("reason", "erase_reason")], ERASE_FIELDS);
        t.erase = form;
    })
    .await
}
