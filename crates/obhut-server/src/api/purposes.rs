//! `/api/v1/purposes` and `/api/v1/ropa`: the purpose registry and the Art. 30 record made
//! from it.

use super::extract::{ApiActor, ApiJson, ApiQuery};
use super::problem::{bad_request, Problem};
use crate::app::App;
use crate::services;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use obhut_core::purpose::Purpose;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list_purposes)).routes(routes!(save_purpose)).routes(routes!(ropa))
}

/// The purpose registry (the record of processing activities).
#[utoipa::path(get, path = "/purposes", tag = "privacy",
    responses((status = 200, body = Vec<Purpose>), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn list_purposes(State(app): State<App>, ApiActor(actor): ApiActor) -> Result<Json<Vec<Purpose>>, Problem> {
    Ok(Json(services::purposes::list(&app, &actor).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Saved {
    pub version: i64,
}

/// Creates or changes a purpose; every change is a new version, audited. A purpose without
/// legal basis reference, data subjects, data categories or retention is refused.
#[utoipa::path(put, path = "/purposes/{key}", tag = "privacy", params(("key" = String, Path, description = "purpose key")), request_body = Purpose,
    responses((status = 200, body = Saved), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "the purpose changed since the version in the body")),
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
    #[param(value_type = Option<RopaFormat>, inline)]
    pub format: Option<String>,
    /// de or en (default en): the language of the Markdown and HTML record; the JSON holds both.
    pub lang: Option<String>,
}

/// The formats of the Art. 30 record.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum RopaFormat {
    Md,
    Html,
    Json,
}

/// The Art. 30 record, generated from the live registry.
#[utoipa::path(get, path = "/ropa", tag = "privacy", params(RopaQuery),
    responses((status = 200, description = "The record in the asked format", content((Object = "application/json"), (String = "text/markdown"), (String = "text/html"))), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn ropa(State(app): State<App>, ApiActor(actor): ApiActor, ApiQuery(q): ApiQuery<RopaQuery>) -> Result<Response, Problem> {
    let f = q.format.as_deref().unwrap_or("json");
    let format = services::purposes::RopaFormat::parse(f).map_err(|m| bad_request("format", m))?;
    let ct = match format {
        services::purposes::RopaFormat::Markdown => "text/markdown; charset=utf-8",
        services::purposes::RopaFormat::Html => "text/html; charset=utf-8",
        services::purposes::RopaFormat::Json => "application/json",
    };
    let lang = q.lang.as_deref().unwrap_or("en");
    if lang != "de" && lang != "en" {
        return Err(bad_request("lang", "must be de or en"));
    }
    let body = services::purposes::ropa_in(&app, &actor, format, lang).await?;
    Ok(([(header::CONTENT_TYPE, ct)], body).into_response())
}
