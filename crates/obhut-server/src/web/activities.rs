//! Editing an activity from the timeline it stands in: its kind, subject, time and text. The
//! activity stays filed where it is; the service audits the change with the values before
//! and after sealed.

use super::common::{activity_kinds, with_flash, ActivityForm, ACTIVITY_FIELDS};
use super::failure::{OrFail, PageResult};
use super::page::{non_empty, render_status, see_other, Ctx, Errs, Opt};
use super::session::{sanitize_next, Posted, Web};
use crate::error::ServiceError;
use crate::fmt;
use crate::services;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use obhut_core::activity::ActivityInput;
use obhut_core::ids::ActivityId;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "activities/edit.html")]
struct EditPage {
    ctx: Ctx,
    action: String,
    back: String,
    form: ActivityForm,
    errs: Errs,
    kinds: Vec<Opt>,
}

/// Where the edit page leads back to: the page whose timeline holds the activity.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BackQuery {
    back: String,
}

/// The edit form as typed, with the page to go back to.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EditForm {
    kind: String,
    subject: String,
    body: String,
    occurred_at: String,
    back: String,
}

fn show(web: &Web, id: &str, back: String, form: ActivityForm, errs: Errs, status: StatusCode) -> Response {
    let page =
        EditPage { ctx: web.ctx("contacts"), action: format!("/activities/{id}/edit"), back, form, errs, kinds: activity_kinds(web.tr()) };
    render_status(status, &page)
}

/// `GET /activities/{id}/edit`: the form, filled with the activity (a logged read).
pub async fn edit_page(web: Web, Path(id): Path<String>, Query(q): Query<BackQuery>) -> PageResult {
    let Ok(aid) = ActivityId::parse(&id) else { return Ok(web.not_found()) };
    let a = services::activities::get(&web.app, web.actor(), aid).await.or_fail(&web)?;
    let form = ActivityForm {
        kind: a.kind.as_str().to_string(),
        subject: a.text.subject,
        body: a.text.body.unwrap_or_default(),
        occurred_at: fmt::input_datetime(a.occurred_at),
    };
    Ok(show(&web, &id, sanitize_next(Some(&q.back)), form, Errs::none(), StatusCode::OK))
}

/// `POST /activities/{id}/edit`: saves, and goes back to the timeline.
pub async fn update(Path(id): Path<String>, Posted { web, form }: Posted<EditForm>) -> PageResult {
    let Ok(aid) = ActivityId::parse(&id) else { return Ok(web.not_found()) };
    let back = sanitize_next(Some(&form.back));
    let input = ActivityInput {
        kind: Some(form.kind.clone()),
        subject: Some(form.subject.clone()),
        body: Some(form.body.clone()),
        occurred_at: non_empty(&form.occurred_at).map(fmt::from_input_datetime),
        ..Default::default()
    };
    match services::activities::update(&web.app, web.actor(), aid, &input).await {
        Ok(_) => Ok(see_other(&with_flash(&back, "saved"))),
        Err(ServiceError::Validation(v)) => {
            let errs = Errs::from_validation(web.tr(), &v, &[], ACTIVITY_FIELDS);
            let typed = ActivityForm { kind: form.kind, subject: form.subject, body: form.body, occurred_at: form.occurred_at };
            Ok(show(&web, &id, back, typed, errs, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(web.failure(e)),
    }
}
