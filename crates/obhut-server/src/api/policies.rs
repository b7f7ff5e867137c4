//! `/api/v1/policies`: the privacy gate's Cedar policies, validated and versioned.

use super::extract::{ApiActor, ApiJson};
use super::problem::Problem;
use super::purposes::Saved;
use crate::app::App;
use crate::services;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(get_policies, save_policies)).routes(routes!(validate_policies))
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
#[utoipa::path(get, path = "/policies", tag = "privacy",
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
            .map(|(version, at, by)| PolicyVersionOut { version, saved_at: crate::fmt::rfc3339(at), saved_by: by })
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
#[utoipa::path(put, path = "/policies", tag = "privacy", request_body = PoliciesIn,
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
#[utoipa::path(post, path = "/policies/validate", tag = "privacy", request_body = PoliciesIn,
    responses((status = 200, body = Valid), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn validate_policies(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<PoliciesIn>,
) -> Result<Json<Valid>, Problem> {
    services::policies::check(&app, &actor, &b.source).await?;
    Ok(Json(Valid { valid: true }))
}
