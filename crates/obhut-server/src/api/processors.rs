//! `/api/v1/processors`: the processors (Art. 28), their contracts and grants.

use super::extract::{ApiActor, ApiJson};
use super::problem::{bad_request, Problem};
use super::purposes::Saved;
use crate::app::App;
use crate::services;
use axum::extract::{Path, State};
use axum::Json;
use obhut_core::processor::Processor;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list_processors)).routes(routes!(save_processor))
}

/// The processors (Art. 28) and their grants.
#[utoipa::path(get, path = "/processors", tag = "privacy",
    responses((status = 200, body = Vec<Processor>), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn list_processors(State(app): State<App>, ApiActor(actor): ApiActor) -> Result<Json<Vec<Processor>>, Problem> {
    Ok(Json(services::policies::list_processors(&app, &actor).await?))
}

/// Creates or changes a processor: contract date, purposes, scope tag, validity window,
/// country and transfer mechanism. Versioned and audited.
#[utoipa::path(put, path = "/processors/{key}", tag = "privacy", params(("key" = String, Path, description = "processor key")), request_body = Processor,
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
