//! The audit trail over the API: the browser (filtered events) and verification. Administrators only.

use super::extract::{ApiActor, ApiQuery};
use super::problem::{bad_request, Problem};
use crate::app::App;
use crate::services;
use axum::extract::State;
use axum::Json;
use obhut_store::audit::AuditFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list_audit)).routes(routes!(verify_audit))
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The data subject (a contact id).
    pub subject_id: Option<String>,
    /// As recorded, e.g. `api:user:<id>` or `cli:anna`.
    pub actor: Option<String>,
    /// e.g. `contact.read`, `contact.update`, `login.failed`.
    pub action: Option<String>,
    /// RFC 3339, inclusive.
    pub since: Option<String>,
    pub until: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventOut {
    pub seq: i64,
    /// RFC 3339.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub record_type: String,
    #[schema(required = true)]
    pub record_id: Option<String>,
    #[schema(required = true)]
    pub subject_id: Option<String>,
    /// The personal fields touched, never their values.
    pub fields: Vec<String>,
    #[schema(required = true)]
    pub purpose: Option<String>,
    /// The recipient of a disclosure (`processor:<key>` or the named third party of an export).
    #[schema(required = true)]
    pub recipient: Option<String>,
    /// Set when the details of this read event were emptied at the end of its retention.
    pub redacted: bool,
    /// SHA-256 of this event over its predecessor's hash, hex.
    pub hash: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEventOut>,
    pub total: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationOut {
    pub intact: bool,
    pub events: i64,
    pub head_seq: i64,
    #[schema(required = true)]
    pub first_bad_seq: Option<i64>,
    #[schema(required = true)]
    pub problem: Option<String>,
}

fn time(field: &str, v: Option<&str>) -> Result<Option<i64>, Problem> {
    v.map(|s| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map(obhut_core::clock::to_millis)
            .map_err(|_| bad_request(field, "give a time in RFC 3339, e.g. 2026-11-23T08:00:00Z"))
    })
    .transpose()
}

/// Audit events, newest first, filtered by subject, actor, action and time.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = Problem), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn list_audit(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, Problem> {
    let filter = AuditFilter {
        subject_id: q.subject_id.clone(),
        actor: q.actor.clone(),
        action: q.action.clone(),
        since: time("since", q.since.as_deref())?,
        until: time("until", q.until.as_deref())?,
    };
    let page = services::Page::new(q.limit, q.offset);
    let (events, total) = services::audit::search(&app, &actor, &filter, page).await?;
    let items = events
        .into_iter()
        .map(|e| AuditEventOut {
            seq: e.seq,
            at: crate::fmt::rfc3339(e.at),
            actor: e.entry.actor,
            action: e.entry.action,
            record_type: e.entry.record_type,
            record_id: e.entry.record_id,
            subject_id: e.entry.subject_id,
            fields: e.entry.fields,
            purpose: e.entry.purpose,
            recipient: e.entry.recipient,
            redacted: e.redacted_at.is_some(),
            hash: hex::encode(e.hash),
        })
        .collect();
    Ok(Json(AuditPage { items, total }))
}

/// Verifies the whole chain against its signed head (as `obhut audit verify`).
#[utoipa::path(get, path = "/audit/verify", tag = "audit",
    responses((status = 200, body = VerificationOut), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn verify_audit(State(app): State<App>, ApiActor(actor): ApiActor) -> Result<Json<VerificationOut>, Problem> {
    let v = services::audit::verify(&app, &actor).await?;
    Ok(Json(VerificationOut {
        intact: v.intact,
        events: v.events,
        head_seq: v.head_seq,
        first_bad_seq: v.first_bad_seq,
        problem: v.problem,
    }))
}
