//! `/api/v1/pipeline/stages`: the stages of the deal pipeline (changed by administrators).

use super::extract::{parse_id, ApiActor, ApiJson};
use super::problem::Problem;
use crate::app::App;
use crate::services;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use obhut_core::deal::{StageInput, StageOutcome};
use obhut_core::ids::StageId;
use obhut_store::deals::StageRecord;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list_stages, create_stage)).routes(routes!(update_stage, delete_stage))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StageOut {
    pub id: StageId,
    pub name: String,
    pub position: i64,
    /// Percent.
    pub probability: i64,
    pub outcome: StageOutcome,
}

impl From<&StageRecord> for StageOut {
    fn from(s: &StageRecord) -> Self {
        Self { id: s.id, name: s.name.clone(), position: s.position, probability: s.probability, outcome: s.outcome }
    }
}

/// The pipeline's stages in order.
#[utoipa::path(get, path = "/pipeline/stages", tag = "deals",
    responses((status = 200, body = Vec<StageOut>), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn list_stages(State(app): State<App>, ApiActor(actor): ApiActor) -> Result<Json<Vec<StageOut>>, Problem> {
    Ok(Json(services::deals::stages(&app, &actor).await?.iter().map(StageOut::from).collect()))
}

/// Add a stage. Administrators only.
#[utoipa::path(post, path = "/pipeline/stages", tag = "deals", request_body = StageInput,
    responses((status = 201, body = StageOut), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn create_stage(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<StageInput>,
) -> Result<(StatusCode, Json<StageOut>), Problem> {
    let s = services::deals::create_stage(&app, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(StageOut::from(&s))))
}

/// Change a stage. Administrators only.
#[utoipa::path(patch, path = "/pipeline/stages/{id}", tag = "deals", params(("id" = String, Path, description = "stage id")), request_body = StageInput,
    responses((status = 200, body = StageOut), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn update_stage(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<StageInput>,
) -> Result<Json<StageOut>, Problem> {
    let s = services::deals::update_stage(&app, &actor, parse_id(&id, StageId::parse)?, &input).await?;
    Ok(Json(StageOut::from(&s)))
}

/// Delete a stage. Administrators only.
#[utoipa::path(delete, path = "/pipeline/stages/{id}", tag = "deals", params(("id" = String, Path, description = "stage id")),
    responses((status = 204, description = "deleted"), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete_stage(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<StatusCode, Problem> {
    services::deals::delete_stage(&app, &actor, parse_id(&id, StageId::parse)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
