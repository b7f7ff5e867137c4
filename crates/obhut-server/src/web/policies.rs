//! The Cedar policies in force, their history and the editor that checks a new version
//! before it takes effect. Everything goes through `services::policies`, which refuses users
//! and guests.

use super::page::{render_status, see_other, Ctx, Errs};
use super::session::{Posted, Web};
use crate::error::ServiceError;
use crate::fmt;
use crate::i18n::Tr;
use crate::services::audit as audit_service;
use crate::services::policies as service;
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

pub(super) struct PolicyVersionRow {
    version: i64,
    at: String,
    by: String,
}

#[derive(Template)]
#[template(path = "privacy/policies.html")]
pub(super) struct PoliciesPage {
    ctx: Ctx,
    version: i64,
    schema: &'static str,
    history: Vec<PolicyVersionRow>,
    source: String,
    errs: Errs,
    /// After "validate": the text is valid.
    valid: bool,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct PolicyForm {
    source: String,
    /// `check` or `save`: which button was pressed.
    op: String,
}

pub(super) async fn show_policies(web: &Web, source: Option<String>, errs: Errs, valid: bool) -> Response {
    let tr = web.tr();
    let (view, names) = match (service::current(&web.app, web.actor()).await, audit_service::actor_names(&web.app, web.actor()).await) {
        (Ok(v), Ok(n)) => (v, n),
        (Err(e), _) | (_, Err(e)) => return web.fail(e),
    };
    let history = view
        .history
        .iter()
        .map(|(version, at, by)| PolicyVersionRow { version: *version, at: fmt::datetime(tr.lang, *at), by: names.display(by) })
        .collect();
    let status = if errs.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render_status(
        status,
        &PoliciesPage {
            ctx: web.ctx("privacy"),
            version: view.version,
            schema: view.schema,
            history,
            source: source.unwrap_or(view.source),
            errs,
            valid,
        },
    )
}

/// The service's refusal of a policy set in the user's language; the validator's own
/// details (Cedar's, in English) are kept as they are.
pub(super) fn policy_message(tr: Tr, msg: &str) -> String {
    if let Some(details) = msg.strip_prefix("the policies do not validate against the schema: ") {
        tr.f("privacy.policies_invalid", details)
    } else if msg.starts_with("these policies would keep administrators") {
        tr.t("privacy.policies_lockout").to_string()
    } else if msg.starts_with("a policy set has at most") {
        tr.t("privacy.policies_too_long").to_string()
    } else {
        tr.message(msg)
    }
}

/// `GET /privacy/policies`.
pub async fn policies_page(web: Web) -> Response {
    show_policies(&web, None, Errs::none(), false).await
}

/// `POST /privacy/policies`: validates (`op=check`) or saves (`op=save`) the submitted text.
pub async fn post_policies(Posted { web, form }: Posted<PolicyForm>) -> Response {
    // Browsers send CRLF line ends from a textarea; the policies are kept with LF.
    let source = form.source.replace("\r\n", "\n");
    let tr = web.tr();
    let invalid = |e: &obhut_core::ValidationErrors| {
        let mut errs = Errs::none();
        for fe in &e.0 {
            if fe.field == "source" {
                errs.add("source", policy_message(tr, &fe.message));
            } else {
                errs.other.push(tr.message(&fe.message));
            }
        }
        errs
    };
    if form.op == "save" {
        match service::save(&web.app, web.actor(), &source).await {
            Ok(_) => see_other("/privacy/policies?flash=saved"),
            Err(ServiceError::Validation(v)) => show_policies(&web, Some(source), invalid(&v), false).await,
            Err(e) => web.fail(e),
        }
    } else {
        match service::check(&web.app, web.actor(), &source).await {
            Ok(()) => show_policies(&web, Some(source), Errs::none(), true).await,
            Err(ServiceError::Validation(v)) => show_policies(&web, Some(source), invalid(&v), false).await,
            Err(e) => web.fail(e),
        }
    }
}
