//! `/api/v1/contacts/{id}/restriction`: restriction of processing (Art. 18): read it, restrict
//! with a reason and an optional end, or lift it once the person was told.

use super::extract::{ApiActor, ApiJson};
use super::problem::Problem;
use crate::app::App;
use crate::services::restriction::{self, RestrictionView};
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(restriction, restrict))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestrictBody {
    /// `true` restricts processing (Art. 18), `false` lifts the restriction.
    pub restricted: bool,
    /// Why (required to restrict), e.g. "accuracy contested (Art. 18(1)(a))". Never name the person.
    #[serde(default)]
    pub reason: Option<String>,
    /// YYYY-MM-DD: the restriction ends at this day (optional).
    #[serde(default)]
    pub until: Option<String>,
    /// YYYY-MM-DD: required to lift: the day the person was told (Art. 18(3)).
    #[serde(default)]
    pub person_informed_on: Option<String>,
    /// How the person was told: email, letter, phone, web_form or in_person.
    #[serde(default)]
    pub informed_via: Option<String>,
    /// The request case (id or reference) the change answers; a restriction completes it.
    #[serde(default)]
    pub case_id: Option<String>,
}

/// Restricts processing of a contact (Art. 18) or lifts it (only after the person was told).
/// A restricted contact is only stored: it leaves every list, search, audience and export, and
/// any other processing is refused (403, type `restricted`), except for the DPO and
/// administrators. Recipients of its data get notification tasks (Art. 19).
#[utoipa::path(put, path = "/contacts/{id}/restriction", tag = "rights", params(("id" = String, Path, description = "contact id")), request_body = RestrictBody,
    responses((status = 200, body = RestrictionView), (status = 410, body = Problem, description = "the contact was erased"), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn restrict(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RestrictBody>,
) -> Result<Json<RestrictionView>, Problem> {
    let v = if b.restricted {
        let until = restriction::optional_date("until", b.until.as_deref())?;
        restriction::restrict(&app, &actor, &id, b.reason.as_deref().unwrap_or(""), until, b.case_id.as_deref()).await?
    } else {
        let informed = restriction::optional_date("person_informed_on", b.person_informed_on.as_deref())?;
        restriction::lift_restriction(&app, &actor, &id, informed, b.informed_via.as_deref(), b.case_id.as_deref()).await?
    };
    Ok(Json(v))
}

/// The restriction of a contact (Art. 18): whether, since when, until when, why.
#[utoipa::path(get, path = "/contacts/{id}/restriction", tag = "rights", params(("id" = String, Path, description = "contact id")),
    responses((status = 200, body = RestrictionView), (status = 410, body = Problem, description = "the contact was erased"), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn restriction(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<RestrictionView>, Problem> {
    Ok(Json(restriction::restriction(&app, &actor, &id).await?))
}
