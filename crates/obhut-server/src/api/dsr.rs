//! Data subject rights over the API: erasure (Art. 17).

use super::extract::{ApiActor, ApiJson};
use super::problem::Problem;
use crate::app::App;
use crate::services;
use crate::services::dsr::Erasure;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseBody {
    /// Why (for example the request it answers). Never name the person here.
    pub reason: String,
    /// The request case this erasure answers.
    #[serde(default)]
    pub case_id: Option<String>,
}

/// Erases a contact (Art. 17 GDPR) by destroying its key and deleting its rows, mails and
/// blind indexes; the audit trail keeps its events, unreadable, and still verifies. Afterwards
/// the contact answers 410 Gone. DPO and administrators only.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/erasure", tag = "rights", request_body = EraseBody,
    responses((status = 200, body = Erasure), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 410, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn erase(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<EraseBody>,
) -> Result<Json<Erasure>, Problem> {
    Ok(Json(services::dsr::erase(&app, &actor, &id, &b.reason, b.case_id.as_deref()).await?))
}
