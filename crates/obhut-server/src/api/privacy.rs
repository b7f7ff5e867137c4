//! `/api/v1/privacy`: the field catalog (every personal field, its data category and the
//! purposes that justify it) and the minimization lint.

use super::extract::ApiActor;
use super::problem::Problem;
use crate::app::App;
use crate::services;
use crate::services::privacy::{FieldRow, LintReport};
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(fields)).routes(routes!(lint))
}

/// Every personal field of every record type, its data category and the purposes that justify it.
#[utoipa::path(get, path = "/privacy/fields", tag = "privacy",
    responses((status = 200, body = Vec<FieldRow>), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn fields(State(app): State<App>, ApiActor(actor): ApiActor) -> Result<Json<Vec<FieldRow>>, Problem> {
    Ok(Json(services::privacy::catalog(&app, &actor).await?))
}

/// Fields and records holding data that no active purpose justifies (as `obhut privacy lint`).
#[utoipa::path(get, path = "/privacy/lint", tag = "privacy",
    responses((status = 200, body = LintReport), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn lint(State(app): State<App>, ApiActor(actor): ApiActor) -> Result<Json<LintReport>, Problem> {
    Ok(Json(services::privacy::lint(&app, &actor, 1000).await?))
}
