//! `POST /contacts/bulk`: an action on the contacts ticked in the list (tag, assignee, a task
//! each, an export of the selection as one logged disclosure, erasure through the Art. 17
//! flow), and the page that says what was done and what was refused, by name.

use super::common::contact_names;
use super::page::{render_status, Ctx};
use super::session::Posted;
use crate::error::ServiceError;
use crate::services::bulk;
use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;

/// The bulk form: the action with its value, and one `c.<id>` field per ticked contact (a
/// plain form sends them without JavaScript).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BulkForm {
    action: String,
    tag: String,
    owner_id: String,
    title: String,
    due_on: String,
    reason: String,
    recipient: String,
    /// The list to go back to.
    back: String,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

#[derive(Template)]
#[template(path = "contacts/bulk_result.html")]
struct BulkResultPage {
    ctx: Ctx,
    heading: String,
    done: String,
    unchanged: usize,
    refused: Vec<(String, String, String)>,
    error: Option<String>,
    back: String,
}

fn back_of(form: &BulkForm) -> String {
    // Only a path on this site.
    if form.back.starts_with("/contacts") && !form.back.starts_with("//") { form.back.clone() } else { "/contacts".into() }
}

pub async fn bulk(Posted { web, form }: Posted<BulkForm>) -> Response {
    let tr = web.tr();
    let back = back_of(&form);
    let heading = tr.v("bulk", &format!("{}_heading", form.action));
    let raw: Vec<String> = form.rest.keys().filter_map(|k| k.strip_prefix("c.")).map(str::to_string).collect();
    let fail = |e: ServiceError| -> Response {
        let error = match &e {
            ServiceError::Validation(v) => v.0.iter().map(|f| tr.message(&f.message)).collect::<Vec<_>>().join("; "),
            _ => return web.fail(e),
        };
        let page = BulkResultPage {
            ctx: web.ctx("contacts"),
            heading: heading.clone(),
            done: String::new(),
            unchanged: 0,
            refused: vec![],
            error: Some(error),
            back: back.clone(),
        };
        render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    let ids = match bulk::selection(&raw) {
        Ok(ids) => ids,
        Err(e) => return fail(e),
    };
    let (app, actor) = (&web.app, web.actor());
    let outcome = match form.action.as_str() {
        "tag" => bulk::tag(app, actor, &ids, &form.tag).await,
        "assign" => bulk::assign(app, actor, &ids, &form.owner_id).await,
        "task" => bulk::add_task(app, actor, &ids, &form.title, Some(&form.due_on)).await,
        "erase" => bulk::erase(app, actor, &ids, &form.reason).await,
        "export" => {
            let recipient = Some(form.recipient.as_str()).filter(|r| !r.trim().is_empty());
            return match bulk::export_csv(app, actor, &ids, recipient).await {
                Ok((body, _)) => (
                    [
                        (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                        (header::CONTENT_DISPOSITION, "attachment; filename=\"kontakte-auswahl.csv\"".to_string()),
                    ],
                    body,
                )
                    .into_response(),
                Err(e) => fail(e),
            };
        }
        _ => Err(ServiceError::field("action", "must be one of tag, assign, task, export, erase")),
    };
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let names = contact_names(&web, outcome.refused.iter().map(|(id, _)| *id).collect(), super::common::SERVICE_PURPOSE).await;
    let refused = outcome
        .refused
        .iter()
        .map(|(id, why)| (id.to_string(), names.get(id).cloned().unwrap_or_else(|| id.to_string()), tr.message(why)))
        .collect();
    let page = BulkResultPage {
        ctx: web.ctx("contacts"),
        heading,
        done: tr.f(&format!("bulk.{}_done", form.action), outcome.done),
        unchanged: outcome.unchanged,
        refused,
        error: None,
        back,
    };
    render_status(StatusCode::OK, &page)
}
