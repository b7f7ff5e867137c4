//! The privacy settings over the API: purposes and the Art. 30 record, the gate's policies,
//! processors (Art. 28), users' access, the field catalog and the minimization lint.

use super::extract::{ApiActor, ApiJson, ApiQuery};
use super::problem::{bad_request, Problem};
use crate::app::App;
use crate::services;
use crate::services::privacy::{FieldRow, LintReport};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use obhut_core::processor::Processor;
use obhut_core::purpose::Purpose;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The purpose registry (the record of processing activities).
#[utoipa::path(get, path = "/api/v1/purposes", tag = "privacy",
    responses((status = 200, body = Object), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn list_purposes(State(app): State<App>, ApiActor(actor): ApiActor) -> Result<Json<Vec<Purpose>>, Problem> {
    Ok(Json(services::purposes::list(&app, &actor).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Saved {
    pub version: i64,
}

/// Creates or changes a purpose; every change is a new version, audited. A purpose without
/// legal basis reference, data subjects, data categories or retention is refused.
#[utoipa::path(put, path = "/api/v1/purposes/{key}", tag = "privacy", request_body = Object,
    responses((status = 200, body = Saved), (status = 400, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn save_purpose(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    ApiJson(p): ApiJson<Purpose>,
) -> Result<Json<Saved>, Problem> {
    if p.key != key {
        return Err(bad_request("key", "the key in the body must be the key in the path"));
    }
    Ok(Json(Saved { version: services::purposes::save(&app, &actor, &p).await? }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RopaQuery {
    /// md, html or json (default json).
    pub format: Option<String>,
}

/// The Art. 30 record, generated from the live registry.
#[utoipa::path(get, path = "/api/v1/ropa", tag = "privacy", params(RopaQuery),
    responses((status = 200, description = "The record in the asked format"), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn ropa(State(app): State<App>, ApiActor(actor): ApiActor, ApiQuery(q): ApiQuery<RopaQuery>) -> Result<Response, Problem> {
    let f = q.format.as_deref().unwrap_or("json");
    let format = services::purposes::RopaFormat::parse(f).map_err(|m| bad_request("format", m))?;
    let ct = match format {
        services::purposes::RopaFormat::Markdown => "text/markdown; charset=utf-8",
        services::purposes::RopaFormat::Html => "text/html; charset=utf-8",
        services::purposes::RopaFormat::Json => "application/json",
    };
    let body = services::purposes::ropa(&app, &actor, format).await?;
    Ok(([(header::CONTENT_TYPE, ct)], body).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PoliciesOut {
    pub version: i64,
    /// The Cedar policies in force.
    pub source: String,
    /// The Cedar schema they are validated against.
    pub schema: String,
    pub history: Vec<PolicyVersionOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyVersionOut {
    pub version: i64,
    pub saved_at: String,
    pub saved_by: String,
}

/// The gate's Cedar policies in force, with their schema and saved versions.
#[utoipa::path(get, path = "/api/v1/policies", tag = "privacy",
    responses((status = 200, body = PoliciesOut), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn get_policies(State(app): State<App>, ApiActor(actor): ApiActor) -> Result<Json<PoliciesOut>, Problem> {
    let v = services::policies::current(&app, &actor).await?;
    Ok(Json(PoliciesOut {
        version: v.version,
        source: v.source,
        schema: v.schema.to_string(),
        history: v
            .history
            .into_iter()
            .map(|(version, at, by)| PolicyVersionOut { version, saved_at: super::rfc3339(at), saved_by: by })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoliciesIn {
    /// The complete Cedar policy set.
    pub source: String,
}

/// Validates a policy set against the schema and saves it as the next version, in force at
/// once. One that does not validate is refused (422, the validator's message) and nothing changes.
#[utoipa::path(put, path = "/api/v1/policies", tag = "privacy", request_body = PoliciesIn,
    responses((status = 200, body = Saved), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn save_policies(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<PoliciesIn>,
) -> Result<Json<Saved>, Problem> {
    Ok(Json(Saved { version: services::policies::save(&app, &actor, &b.source).await? }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Valid {
    pub valid: bool,
}

/// Validates a policy set without saving it.
#[utoipa::path(post, path = "/api/v1/policies/validate", tag = "privacy", request_body = PoliciesIn,
    responses((status = 200, body = Valid), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn validate_policies(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<PoliciesIn>,
) -> Result<Json<Valid>, Problem> {
    services::policies::check(&app, &actor, &b.source).await?;
    Ok(Json(Valid { valid: true }))
}

/// The processors (Art. 28) and their grants.
#[utoipa::path(get, path = "/api/v1/processors", tag = "privacy",
    responses((status = 200, body = Vec<Processor>), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn list_processors(State(app): State<App>, ApiActor(actor): ApiActor) -> Result<Json<Vec<Processor>>, Problem> {
    Ok(Json(services::policies::list_processors(&app, &actor).await?))
}

/// Creates or changes a processor: contract date, purposes, scope tag, validity window,
/// country and transfer mechanism. Versioned and audited.
#[utoipa::path(put, path = "/api/v1/processors/{key}", tag = "privacy", request_body = Processor,
    responses((status = 200, body = Saved), (status = 400, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn save_processor(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    ApiJson(p): ApiJson<Processor>,
) -> Result<Json<Saved>, Problem> {
    if p.key != key {
        return Err(bad_request("key", "the key in the body must be the key in the path"));
    }
    Ok(Json(Saved { version: services::policies::save_processor(&app, &actor, &p).await? }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessIn {
    /// admin, dpo, user, hr, guest or processor.
    pub role: String,
    /// own, team or all (default all).
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub teams: Vec<String>,
    /// For the role processor: the processor's key.
    #[serde(default)]
    pub processor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessOut {
    pub username: String,
    pub role: String,
    pub scope: String,
    pub teams: Vec<String>,
    pub processor: Option<String>,
}

/// Sets a user's role, scope, teams and processor. Administrators only; audited.
#[utoipa::path(put, path = "/api/v1/users/{username}/access", tag = "privacy", request_body = AccessIn,
    responses((status = 200, body = AccessOut), (status = 400, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn set_access(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(username): Path<String>,
    ApiJson(b): ApiJson<AccessIn>,
) -> Result<Json<AccessOut>, Problem> {
    let role = obhut_core::user::Role::parse(&b.role).map_err(|m| bad_request("role", m))?;
    let scope = obhut_core::user::Scope::parse(b.scope.as_deref().unwrap_or("all")).map_err(|m| bad_request("scope", m))?;
    let u = services::users::set_access(&app, &actor, &username, role, scope, &b.teams, b.processor.as_deref()).await?;
    Ok(Json(AccessOut {
        username: u.username,
        role: u.role.as_str().into(),
        scope: u.scope.as_str().into(),
        teams: u.teams,
        processor: u.processor_key,
    }))
}

/// Every personal field of every record type, its data category and the purposes that justify it.
#[utoipa::path(get, path = "/api/v1/privacy/fields", tag = "privacy",
    responses((status = 200, body = Vec<FieldRow>), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn fields(State(app): State<App>, ApiActor(actor): ApiActor) -> Result<Json<Vec<FieldRow>>, Problem> {
    Ok(Json(services::privacy::catalog(&app, &actor).await?))
}

/// Fields and records holding data that no active purpose justifies (as `obhut privacy lint`).
#[utoipa::path(get, path = "/api/v1/privacy/lint", tag = "privacy",
    responses((status = 200, body = LintReport), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn lint(State(app): State<App>, ApiActor(actor): ApiActor) -> Result<Json<LintReport>, Problem> {
    Ok(Json(services::privacy::lint(&app, &actor, 1000).await?))
}
