//! Restriction of processing (Art. 18) in the UI: the contact's restriction page, the forms
//! to restrict (with a reason, an end and a case) and to lift it (the day the person was told).

use super::failure::{OrFail, PageResult};
use super::page::{non_empty, render_status, see_other, Ctx, Errs, Opt};
use super::rights::{contact_name, errs, message};
use super::session::{Posted, Web};
use crate::error::ServiceError;
use crate::fmt;
use crate::services::restriction::RestrictionView;
use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use obhut_core::dsr::ReceivedVia;
use serde::Deserialize;

pub(super) const RESTRICT_FIELDS: &[&str] = &["reason", "until", "case"];

pub(super) const LIFT_FIELDS: &[&str] = &["person_informed_on", "informed_via", "case"];

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
pub(super) struct RestrictionPage {
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

pub(super) async fn restriction_page(
    web: &Web,
    id: &str,
    restrict: RestrictForm,
    lift: LiftForm,
    errs: Errs,
    refusal: Option<String>,
    status: StatusCode,
) -> PageResult {
    let tr = web.tr();
    let (cid, name) = match contact_name(web, id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let r = crate::services::restriction::restriction(&web.app, web.actor(), &cid.to_string()).await.or_fail(web)?;
    let mut lift = lift;
    if lift.person_informed_on.is_empty() && !errs.any() {
        lift.person_informed_on = web.app.clock.now().date().to_string();
    }
    let page = RestrictionPage {
        ctx: web.ctx("contacts"),
        contact_id: cid.to_string(),
        name,
        since: r.restricted_at.map(|t| fmt::datetime(tr.lang, t)).unwrap_or_default(),
        until: r.until.as_deref().map(|d| super::page::show_date(tr, d)).unwrap_or_default(),
        r,
        restrict,
        lift,
        errs,
        refusal,
        vias: ReceivedVia::ALL.iter().map(|v| Opt::new(v.as_str(), tr.v("dsr_ui.via", v.as_str()))).collect(),
    };
    Ok(render_status(status, &page))
}

/// `GET /contacts/{id}/restriction`: the restriction, with the form that restricts or lifts it.
pub async fn restriction(web: Web, Path(id): Path<String>) -> PageResult {
    restriction_page(&web, &id, RestrictForm::default(), LiftForm::default(), Errs::none(), None, StatusCode::OK).await
}

/// The page again with the service's problems, nothing changed.
pub(super) async fn refused(web: &Web, id: &str, restrict: RestrictForm, lift: LiftForm, e: ServiceError, known: &[&str]) -> PageResult {
    let tr = web.tr();
    match e {
        ServiceError::Validation(v) => {
            let errs = errs(tr, &v, known);
            restriction_page(web, id, restrict, lift, errs, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        ServiceError::Conflict(m) => {
            restriction_page(web, id, restrict, lift, Errs::none(), Some(message(tr, &m)), StatusCode::CONFLICT).await
        }
        e => Err(web.failure(e)),
    }
}

/// `POST /contacts/{id}/restriction`: restricts processing.
pub async fn restrict(Path(id): Path<String>, Posted { web, form }: Posted<RestrictForm>) -> PageResult {
    let result = async {
        let until = crate::services::restriction::optional_date("until", Some(&form.until))?;
        crate::services::restriction::restrict(&web.app, web.actor(), &id, &form.reason, until, non_empty(&form.case)).await
    }
    .await;
    match result {
        Ok(r) => Ok(see_other(&format!("/contacts/{}?flash=restricted", r.contact_id))),
        Err(e) => refused(&web, &id, form, LiftForm::default(), e, RESTRICT_FIELDS).await,
    }
}

/// `POST /contacts/{id}/restriction/lift`: lifts it, once the person was told.
pub async fn lift(Path(id): Path<String>, Posted { web, form }: Posted<LiftForm>) -> PageResult {
    let result = async {
        let on = crate::services::restriction::optional_date("person_informed_on", Some(&form.person_informed_on))?;
        crate::services::restriction::lift_restriction(&web.app, web.actor(), &id, on, non_empty(&form.informed_via), non_empty(&form.case))
            .await
    }
    .await;
    match result {
        Ok(r) => Ok(see_other(&format!("/contacts/{}?flash=restriction_lifted", r.contact_id))),
        Err(e) => refused(&web, &id, RestrictForm::default(), form, e, LIFT_FIELDS).await,
    }
}
