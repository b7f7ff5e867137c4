//! Retention over the API: the rule catalogue, the sweep (and its dry run), what falls due
//! next, legal holds and resolving pseudonyms. DPO and administrators only.

use super::extract::{ApiActor, ApiJson, ApiQuery};
use super::problem::Problem;
use crate::app::App;
use crate::error::ServiceError;
use crate::services::retention::{self as svc, DueEntry, HoldView, Resolved, RuleChange, SweepReport};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use obhut_core::retention::RetentionRule;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_rules))
        .routes(routes!(set_rule))
        .routes(routes!(run))
        .routes(routes!(due))
        .routes(routes!(list_holds, place_hold))
        .routes(routes!(release_hold))
        .routes(routes!(resolve))
}

/// The rule catalogue: one deletion rule per data type (DIN 66398).
#[utoipa::path(get, path = "/retention/rules", tag = "retention",
    responses((status = 200, body = [RetentionRule]), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn list_rules(State(app): State<App>, ApiActor(actor): ApiActor) -> Result<Json<Vec<RetentionRule>>, Problem> {
    Ok(Json(svc::rules(&app, &actor).await?))
}

/// Changes the rule of a data type; a legal duty's period cannot be cut short.
#[utoipa::path(patch, path = "/retention/rules/{data_type}", tag = "retention", params(("data_type" = String, Path, description = "the data type of the rule")), request_body = RuleChange,
    responses((status = 200, body = RetentionRule), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn set_rule(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(data_type): Path<String>,
    ApiJson(b): ApiJson<RuleChange>,
) -> Result<Json<RetentionRule>, Problem> {
    Ok(Json(svc::set_rule(&app, &actor, &data_type, &b).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    /// Only say what would happen, and why.
    #[serde(default)]
    pub dry_run: bool,
    /// Decide as of this day (YYYY-MM-DD; default today). Later days only in a dry run.
    #[serde(default)]
    pub at: Option<String>,
    /// List at most this many contacts (default 1000); all are handled.
    #[serde(default)]
    pub limit: Option<usize>,
}

fn parse_day(field: &str, s: &str) -> Result<time::Date, ServiceError> {
    time::Date::parse(s.trim(), &time::format_description::well_known::Iso8601::DATE)
        .map_err(|_| ServiceError::field(field, "a date as YYYY-MM-DD"))
}

/// Runs the retention sweep now (the server runs it daily), or a dry run of it.
#[utoipa::path(post, path = "/retention/run", tag = "retention", request_body = RunBody,
    responses((status = 200, body = SweepReport), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn run(State(app): State<App>, ApiActor(actor): ApiActor, ApiJson(b): ApiJson<RunBody>) -> Result<Json<SweepReport>, Problem> {
    let at = b.at.as_deref().map(|a| parse_day("at", a)).transpose()?;
    Ok(Json(svc::sweep(&app, &actor, at, b.dry_run, b.limit.unwrap_or(1000).min(100_000)).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// Look this many days ahead (default 90).
    #[serde(default)]
    pub days: Option<i64>,
    #[serde(default)]
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DueList {
    pub total: i64,
    pub entries: Vec<DueEntry>,
}

/// What falls due next (Wiedervorlage), soonest first.
#[utoipa::path(get, path = "/retention/due", tag = "retention", params(DueQuery),
    responses((status = 200, body = DueList), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn due(State(app): State<App>, ApiActor(actor): ApiActor, ApiQuery(q): ApiQuery<DueQuery>) -> Result<Json<DueList>, Problem> {
    let (entries, total) = svc::due_next(&app, &actor, q.days.unwrap_or(90), q.limit.unwrap_or(100).min(10_000)).await?;
    Ok(Json(DueList { total, entries }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    pub contact_id: String,
    /// Why the data must be kept (a dispute, an authority's order). Sealed.
    pub reason: String,
    /// The day the hold ends by itself (YYYY-MM-DD).
    #[serde(default)]
    pub until: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HoldQuery {
    /// All holds of this contact (default: every hold in force).
    #[serde(default)]
    pub contact_id: Option<String>,
}

/// Legal holds in force, or all of one contact.
#[utoipa::path(get, path = "/retention/holds", tag = "retention", params(HoldQuery),
    responses((status = 200, body = [HoldView]), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn list_holds(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<HoldQuery>,
) -> Result<Json<Vec<HoldView>>, Problem> {
    Ok(Json(svc::holds(&app, &actor, q.contact_id.as_deref()).await?))
}

/// Places a legal hold: the contact's retention rules wait and its erasure is refused.
#[utoipa::path(post, path = "/retention/holds", tag = "retention", request_body = HoldBody,
    responses((status = 201, body = HoldView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 410, body = Problem),
        (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn place_hold(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<HoldBody>,
) -> Result<(StatusCode, Json<HoldView>), Problem> {
    Ok((StatusCode::CREATED, Json(svc::place_hold(&app, &actor, &b.contact_id, &b.reason, b.until.as_deref()).await?)))
}

/// Releases a legal hold; the rules it postponed apply at the next sweep.
#[utoipa::path(post, path = "/retention/holds/{id}/release", tag = "retention", params(("id" = String, Path, description = "hold id")),
    responses((status = 200, body = HoldView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn release_hold(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<Json<HoldView>, Problem> {
    Ok(Json(svc::release_hold(&app, &actor, &id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// Why the pseudonym is resolved; logged (sealed) with the resolution.
    pub reason: String,
}

/// Resolves a pseudonym (`PSN-…`) to the identifiers it replaced. Each resolution is logged.
#[utoipa::path(post, path = "/retention/pseudonyms/{token}/resolve", tag = "retention", params(("token" = String, Path, description = "the pseudonym (PSN-…)")), request_body = ResolveBody,
    responses((status = 200, body = Resolved), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn resolve(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(token): Path<String>,
    ApiJson(b): ApiJson<ResolveBody>,
) -> Result<Json<Resolved>, Problem> {
    Ok(Json(svc::resolve(&app, &actor, &token, &b.reason).await?))
}
