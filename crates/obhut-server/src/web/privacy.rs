//! The DPO's pages ("Datenschutz"): the purpose registry with its forms and history, the
//! controller's details, the Art. 30 record with its downloads, and the audit browser.
//!
//! Everything here goes through `services::purposes` and `services::audit`, which refuse
//! users and guests; the pages only show what the services return.

use super::failure::{OrFail, PageResult};
use super::page::{non_empty, render, render_status, see_other, Ctx, Errs, Pager, PAGE_SIZE};
use super::session::{Posted, Web};
use crate::error::ServiceError;
use crate::fmt;
use crate::i18n::Tr;
use crate::services::audit::{self as audit_service};
use crate::services::purposes::{self as service, RopaFormat};
use crate::services::Page;
use askama::Template;
use axum::extract::Query;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use obhut_core::purpose::{Controller, LegalBasis, Purpose, Transfer};
use obhut_store::audit::{AuditFilter, Verification};
use serde::Deserialize;

// ---------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------

/// The chain's state as the overview and the audit browser show it.
pub(super) struct ChainStatus {
    intact: bool,
    events: i64,
    head_seq: i64,
    first_bad_seq: Option<i64>,
    problem: Option<String>,
}

impl From<Verification> for ChainStatus {
    fn from(v: Verification) -> Self {
        Self { intact: v.intact, events: v.events, head_seq: v.head_seq, first_bad_seq: v.first_bad_seq, problem: v.problem }
    }
}

pub(super) async fn chain_status(web: &Web) -> Result<ChainStatus, Response> {
    audit_service::verify(&web.app, web.actor()).await.map(ChainStatus::from).map_err(|e| web.fail(e))
}

pub(super) fn purpose_name(tr: Tr, p: &Purpose) -> String {
    match tr.lang {
        crate::i18n::Lang::De => p.name_de.clone(),
        crate::i18n::Lang::En => p.name_en.clone(),
    }
}

/// "Art. 6(1)(a) GDPR" or "Art. 6 Abs. 1 lit. a DSGVO".
pub(super) fn basis_article(tr: Tr, b: LegalBasis) -> String {
    tr.f("privacy.art6", b.letter())
}

pub(super) fn basis_label(tr: Tr, b: LegalBasis) -> String {
    format!("{} – {}", tr.v("legal_basis", b.as_str()), basis_article(tr, b))
}

/// A date `YYYY-MM-DD` from the registry in the user's format; other text as it is.
pub(super) fn review_date(tr: Tr, s: &str) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(s, &fmt) {
        Ok(d) => fmt::date(tr.lang, d),
        Err(_) => s.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// Overview
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "privacy/overview.html")]
pub(super) struct OverviewPage {
    ctx: Ctx,
    chain: ChainStatus,
    purposes: usize,
    active: usize,
    dpia: usize,
    overdue: Vec<(String, String)>,
    /// Open data subject requests and how many of them are overdue; `None` for those who may
    /// not run requests.
    requests: Option<(usize, usize)>,
}

/// `GET /privacy`.
pub async fn privacy_overview(web: Web) -> PageResult {
    let tr = web.tr();
    let purposes = service::list(&web.app, web.actor()).await.or_fail(&web)?;
    let chain = match chain_status(&web).await {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    // A purpose not reviewed within a year is due (Art. 24(1): measures reviewed and updated).
    let year_ago = (web.app.clock.now().date() - time::Duration::days(365)).to_string();
    let overdue = purposes
        .iter()
        .filter(|p| p.active && (p.last_review.is_empty() || p.last_review < year_ago))
        .map(|p| (p.key.clone(), purpose_name(tr, p)))
        .collect();
    let requests = crate::services::dsr::list_cases(&web.app, web.actor(), true, 10_000)
        .await
        .ok()
        .map(|open| (open.len(), open.iter().filter(|c| c.overdue).count()));
    Ok(render(&OverviewPage {
        ctx: web.ctx("privacy"),
        purposes: purposes.len(),
        active: purposes.iter().filter(|p| p.active).count(),
        dpia: purposes.iter().filter(|p| p.dpia_required).count(),
        overdue,
        requests,
        chain,
    }))
}

// ---------------------------------------------------------------------------------------
// Controller
// ---------------------------------------------------------------------------------------

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ControllerForm {
    name: String,
    address: String,
    email: String,
    phone: String,
    representative: String,
    joint_controllers: String,
    dpo_name: String,
    dpo_email: String,
    general_measures: String,
    general_measures_de: String,
    privacy_notice_url: String,
    imprint_url: String,
}

pub(super) const CONTROLLER_FIELDS: &[&str] = &[
    "name",
    "address",
    "email",
    "phone",
    "representative",
    "joint_controllers",
    "dpo_name",
    "dpo_email",
    "general_measures",
    "general_measures_de",
    "privacy_notice_url",
    "imprint_url",
];

impl ControllerForm {
    fn from_controller(c: &Controller) -> Self {
        Self {
            name: c.name.clone(),
            address: c.address.clone(),
            email: c.email.clone(),
            phone: c.phone.clone().unwrap_or_default(),
            representative: c.representative.clone().unwrap_or_default(),
            joint_controllers: c.joint_controllers.join("\n"),
            dpo_name: c.dpo_name.clone(),
            dpo_email: c.dpo_email.clone(),
            general_measures: c.general_measures.join("\n"),
            general_measures_de: c.general_measures_in("de").join("\n"),
            privacy_notice_url: c.privacy_notice_url.clone().unwrap_or_default(),
            imprint_url: c.imprint_url.clone().unwrap_or_default(),
        }
    }

    fn to_controller(&self) -> Controller {
        Controller {
            name: self.name.trim().to_string(),
            address: self.address.trim().to_string(),
            email: self.email.trim().to_string(),
            phone: non_empty(&self.phone).map(String::from),
            representative: non_empty(&self.representative).map(String::from),
            joint_controllers: lines(&self.joint_controllers),
            dpo_name: self.dpo_name.trim().to_string(),
            dpo_email: self.dpo_email.trim().to_string(),
            general_measures: lines(&self.general_measures),
            general_measures_de: lines(&self.general_measures_de),
            privacy_notice_url: non_empty(&self.privacy_notice_url).map(String::from),
            imprint_url: non_empty(&self.imprint_url).map(String::from),
        }
    }
}

#[derive(Template)]
#[template(path = "privacy/controller.html")]
pub(super) struct ControllerPage {
    ctx: Ctx,
    form: ControllerForm,
    errs: Errs,
}

pub(super) fn show_controller(web: &Web, form: ControllerForm, errs: Errs) -> Response {
    let status = if errs.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render_status(status, &ControllerPage { ctx: web.ctx("privacy"), form, errs })
}

/// `GET /privacy/controller`.
pub async fn controller_page(web: Web) -> Response {
    match service::controller(&web.app, web.actor()).await {
        Ok(c) => show_controller(&web, ControllerForm::from_controller(&c), Errs::none()),
        Err(e) => web.fail(e),
    }
}

/// `POST /privacy/controller`.
pub async fn update_controller(Posted { web, form }: Posted<ControllerForm>) -> Response {
    let tr = web.tr();
    match service::save_controller(&web.app, web.actor(), &form.to_controller()).await {
        Ok(()) => see_other("/privacy/controller?flash=saved"),
        Err(ServiceError::Validation(v)) => {
            let mut errs = Errs::none();
            for fe in &v.0 {
                let key = format!("privacy.check_controller_{}", fe.field);
                let text = if CONTROLLER_FIELDS.contains(&fe.field.as_str()) { tr.t(&key).to_string() } else { tr.message(&fe.message) };
                if CONTROLLER_FIELDS.contains(&fe.field.as_str()) {
                    errs.add(&fe.field, text);
                } else {
                    errs.other.push(text);
                }
            }
            show_controller(&web, form, errs)
        }
        Err(e) => web.fail(e),
    }
}

// ---------------------------------------------------------------------------------------
// Record of processing activities
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "privacy/ropa.html")]
pub(super) struct RopaPage {
    ctx: Ctx,
    controller: Controller,
    /// The general measures in the user's language.
    general_measures: Vec<String>,
    purposes: Vec<PurposeView>,
    generated: String,
}

/// `GET /privacy/ropa`: the Art. 30 record inside the layout, from the live registry.
pub async fn ropa_page(web: Web) -> Response {
    let tr = web.tr();
    let (purposes, controller) = match (service::list(&web.app, web.actor()).await, service::controller(&web.app, web.actor()).await) {
        (Ok(p), Ok(c)) => (p, c),
        (Err(e), _) | (_, Err(e)) => return web.fail(e),
    };
    let purposes = purposes.iter().filter(|p| p.active).map(|p| PurposeView::new(tr, p)).collect();
    let general_measures = controller.general_measures_in(tr.lang.code());
    render(&RopaPage { ctx: web.ctx("privacy"), controller, general_measures, purposes, generated: fmt::datetime(tr.lang, web.app.now_ms()) })
}

pub(super) async fn ropa_file(web: Web, format: RopaFormat) -> Response {
    let (ext, content_type) = match format {
        RopaFormat::Markdown => ("md", "text/markdown; charset=utf-8"),
        RopaFormat::Html => ("html", "text/html; charset=utf-8"),
        RopaFormat::Json => ("json", "application/json"),
    };
    match service::ropa_in(&web.app, web.actor(), format, web.tr().lang.code()).await {
        Ok(body) => {
            let name = format!("attachment; filename=ropa-{}.{ext}", web.app.clock.now().date());
            ([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, name)], body).into_response()
        }
        Err(e) => web.fail(e),
    }
}

/// `GET /privacy/ropa.md`.
pub async fn ropa_markdown(web: Web) -> Response {
    ropa_file(web, RopaFormat::Markdown).await
}

/// `GET /privacy/ropa.html`.
pub async fn ropa_html(web: Web) -> Response {
    ropa_file(web, RopaFormat::Html).await
}

/// `GET /privacy/ropa.json`.
pub async fn ropa_json(web: Web) -> Response {
    ropa_file(web, RopaFormat::Json).await
}

// ---------------------------------------------------------------------------------------
// Audit browser
// ---------------------------------------------------------------------------------------

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    subject_id: String,
    actor: String,
    action: String,
    from: String,
    to: String,
    page: String,
}

pub(super) struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    action_label: String,
    /// `(href, text)`: contacts link to their page.
    subject: Option<(Option<String>, String)>,
    record: String,
    fields: String,
    purpose: String,
}

#[derive(Template)]
#[template(path = "privacy/audit.html")]
pub(super) struct AuditPage {
    ctx: Ctx,
    q: AuditQuery,
    errs: Errs,
    chain: ChainStatus,
    rows: Vec<AuditRow>,
    pager: Pager,
    actors: Vec<String>,
    actions: Vec<&'static str>,
}

/// Actions the filter suggests (any other is accepted too).
pub(super) const KNOWN_ACTIONS: &[&str] = &[
    "contact.read",
    "contact.read_refused",
    "contact.list_refused",
    "contact.create",
    "contact.update",
    "contact.delete",
    "contact.import",
    "contact.export",
    "organization.create",
    "organization.update",
    "organization.delete",
    "deal.create",
    "deal.update",
    "deal.delete",
    "ticket.update",
    "ticket.delete",
    "activity.create",
    "activity.delete",
    "stage.create",
    "stage.update",
    "stage.delete",
    "purpose.create",
    "purpose.update",
    "controller.update",
];

/// The German-time day `YYYY-MM-DD` as milliseconds: its first instant, or with `end` its last.
pub(super) fn day_bound(s: &str, end: bool) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(s.trim(), &fmt).ok()?;
    let day = if end { day.next_day()? } else { day };
    let rfc = fmt::from_input_datetime(&format!("{day}T00:00"));
    let t = time::OffsetDateTime::parse(&rfc, &time::format_description::well_known::Rfc3339).ok()?;
    Some(obhut_core::clock::to_millis(t) - i64::from(end))
}

/// `GET /privacy/audit`: events filtered by subject, actor, action and days, newest first.
pub async fn audit_browser(web: Web, Query(q): Query<AuditQuery>) -> PageResult {
    let tr = web.tr();
    let names = audit_service::actor_names(&web.app, web.actor()).await.or_fail(&web)?;
    let mut errs = Errs::none();
    let mut bound = |field: &str, v: &str, end: bool| match non_empty(v) {
        None => None,
        Some(v) => {
            let b = day_bound(v, end);
            if b.is_none() {
                errs.add(field, tr.t("privacy.err_date"));
            }
            b
        }
    };
    let since = bound("from", &q.from, false);
    let until = bound("to", &q.to, true);
    let filter = AuditFilter {
        subject_id: non_empty(&q.subject_id).map(String::from),
        actor: non_empty(&q.actor).map(|a| names.recorded(a)),
        action: non_empty(&q.action).map(String::from),
        since,
        until,
    };
    let page = super::page::page_number(Some(q.page.as_str()));
    let chain = match chain_status(&web).await {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let (events, total) = if errs.any() {
        (Vec::new(), 0)
    } else {
        audit_service::search(&web.app, web.actor(), &filter, Page::new(Some(PAGE_SIZE), Some((page - 1) * PAGE_SIZE)))
            .await
            .or_fail(&web)?
    };
    let rows = events
        .into_iter()
        .map(|e| {
            let x = e.entry;
            let subject = x.subject_id.map(|s| {
                let href = (x.record_type == "contact" || x.action.starts_with("contact.")).then(|| format!("/contacts/{s}"));
                (href, s)
            });
            AuditRow {
                seq: e.seq,
                at: fmt::datetime(tr.lang, e.at),
                actor: names.display(&x.actor),
                action_label: tr.v("audit", &x.action),
                action: x.action,
                subject,
                record: match x.record_id {
                    Some(id) => format!("{} {id}", x.record_type),
                    None => x.record_type,
                },
                fields: x.fields.join(", "),
                purpose: x.purpose.unwrap_or_default(),
            }
        })
        .collect::<Vec<_>>();
    let base = super::page::list_url(
        "/privacy/audit",
        &[("subject_id", &q.subject_id), ("actor", &q.actor), ("action", &q.action), ("from", &q.from), ("to", &q.to)],
    );
    let pager = Pager::new(&base, page, rows.len(), total);
    let mut actors: Vec<String> =
        names.usernames().into_iter().flat_map(|u| [format!("ui: {u}"), format!("api: {u}")]).chain(["system".to_string()]).collect();
    actors.dedup();
    let status = if errs.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render_status(status, &AuditPage { ctx: web.ctx("privacy"), q, errs, chain, rows, pager, actors, actions: KNOWN_ACTIONS.to_vec() }))
}

/// One purpose as its page shows it.
pub(super) struct PurposeView {
    pub(super) key: String,
    pub(super) name: String,
    pub(super) name_de: String,
    pub(super) name_en: String,
    pub(super) description: String,
    pub(super) dpv_purpose: String,
    pub(super) basis: String,
    pub(super) basis_dpv: String,
    pub(super) special_category_condition: Option<String>,
    pub(super) basis_reference: String,
    pub(super) data_subject_categories: Vec<String>,
    pub(super) data_categories: Vec<String>,
    /// `(name, kind label, country)`.
    pub(super) recipients: Vec<(String, String, String)>,
    pub(super) transfers: Vec<Transfer>,
    pub(super) retention_rule: String,
    pub(super) retention_days: Option<u32>,
    pub(super) measures: Vec<String>,
    pub(super) dpia_required: bool,
    pub(super) compatible_with: Vec<String>,
    pub(super) active: bool,
    pub(super) version: i64,
    pub(super) last_review: String,
}

impl PurposeView {
    pub(super) fn new(tr: Tr, p: &Purpose) -> Self {
        Self {
            key: p.key.clone(),
            name: purpose_name(tr, p),
            name_de: p.name_de.clone(),
            name_en: p.name_en.clone(),
            description: p.description_in(tr.lang.code()).to_string(),
            dpv_purpose: p.dpv_purpose.clone(),
            basis: basis_label(tr, p.legal_basis),
            basis_dpv: format!("{}, {}", p.legal_basis.dpv(), p.legal_basis.dpv_gdpr()),
            special_category_condition: p.special_category_condition.clone(),
            basis_reference: p.basis_reference.clone(),
            data_subject_categories: p.data_subject_categories.clone(),
            data_categories: p.data_categories.clone(),
            recipients: p.recipients.iter().map(|r| (r.name.clone(), tr.v("recipient_kind", &r.kind), r.country.clone())).collect(),
            transfers: p.transfers.clone(),
            retention_rule: p.retention_rule_in(tr.lang.code()).to_string(),
            retention_days: p.retention_days,
            measures: p.measures_in(tr.lang.code()).to_vec(),
            dpia_required: p.dpia_required,
            compatible_with: p.compatible_with.clone(),
            active: p.active,
            version: p.version,
            last_review: review_date(tr, &p.last_review),
        }
    }
}

/// The non-empty lines of a text box, trimmed.
pub(super) fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn days_are_bounded_in_german_time() {
        // 1 March 2026 is winter time: the day starts at 23:00 UTC the evening before.
        let from = day_bound("2026-03-01", false).unwrap_or_default();
        let to = day_bound("2026-03-01", true).unwrap_or_default();
        assert_eq!(fmt::datetime(Lang::En, from), "2026-03-01 00:00");
        assert_eq!(to - from, 24 * 3600 * 1000 - 1);
        assert_eq!(day_bound("gestern", false), None);
    }
}
