//! `/api/v1/organizations`: search, create, read, update and delete organizations, their
//! activities and the export.

use super::activities::ActivityOut;
use super::export::{export_file, RecordExportQuery};
use super::extract::{if_match, parse_id, ApiActor, ApiJson, ApiQuery, IfMatch};
use super::problem::Problem;
use crate::app::App;
use crate::fmt::rfc3339;
use crate::services::{self, Page};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use obhut_core::ids::{OrganizationId, UserId};
use obhut_core::organization::OrganizationInput;
use obhut_store::activities::ActivityOwner;
use obhut_store::organizations::OrganizationRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_organizations, create_organization))
        .routes(routes!(export_organizations))
        .routes(routes!(get_organization, update_organization, delete_organization))
        .routes(routes!(list_organization_activities))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationOut {
    pub id: OrganizationId,
    pub name: String,
    #[schema(required = true)]
    pub website: Option<String>,
    #[schema(required = true)]
    pub industry: Option<String>,
    #[schema(required = true)]
    pub vat_id: Option<String>,
    #[schema(required = true)]
    pub email: Option<String>,
    #[schema(required = true)]
    pub phone: Option<String>,
    #[schema(required = true)]
    pub street: Option<String>,
    #[schema(required = true)]
    pub postal_code: Option<String>,
    #[schema(required = true)]
    pub city: Option<String>,
    #[schema(required = true)]
    pub country: Option<String>,
    #[schema(required = true)]
    pub owner_id: Option<UserId>,
    pub tags: Vec<String>,
    #[schema(required = true)]
    pub notes: Option<String>,
    /// standard or hr: the class the record is decided by where it is about no contact.
    pub record_class: String,
    #[schema(required = true)]
    pub team: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    pub version: i64,
}

impl From<&OrganizationRecord> for OrganizationOut {
    fn from(r: &OrganizationRecord) -> Self {
        let d = &r.draft;
        Self {
            id: r.id,
            name: d.name.clone(),
            website: d.website.clone(),
            industry: d.industry.clone(),
            vat_id: d.vat_id.clone(),
            email: d.sealed.email.as_ref().map(|e| e.to_string()),
            phone: d.sealed.phone.as_ref().map(|e| e.to_string()),
            street: d.sealed.street.clone(),
            postal_code: d.postal_code.clone(),
            city: d.city.clone(),
            country: d.country.clone(),
            owner_id: d.owner_id,
            tags: d.tags.clone(),
            notes: d.sealed.notes.clone(),
            record_class: d.record_class.as_str().into(),
            team: d.team.clone(),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            version: r.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationPage {
    pub items: Vec<OrganizationOut>,
    pub total: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Part of the name.
    pub q: Option<String>,
    pub owner_id: Option<String>,
    pub tag: Option<String>,
    /// The city (case-insensitive).
    pub city: Option<String>,
    /// A column across all pages: `name` (default), `industry`, `city`, `owner`, `created`, `updated`,
    /// each descending with a leading `-`.
    pub sort: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// List or search organizations.
#[utoipa::path(get, path = "/organizations", tag = "organizations", params(SearchQuery),
    responses((status = 200, body = OrganizationPage), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list_organizations(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<OrganizationPage>, Problem> {
    let filter = obhut_store::organizations::OrganizationFilter {
        q: q.q,
        owner_id: q
            .owner_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(obhut_core::ids::UserId::parse)
            .transpose()
            .map_err(|m| super::problem::bad_request("owner_id", m))?,
        tag: q.tag.map(|t| t.trim().to_lowercase()),
        city: q.city,
        sort: q.sort,
    };
    let page = Page::new(q.limit, q.offset);
    let (items, total) = services::organizations::list_filtered(&app, &actor, crate::gate::Action::Read, &filter, page).await?;
    Ok(Json(OrganizationPage { items: items.iter().map(OrganizationOut::from).collect(), total }))
}

/// Create an organization.
#[utoipa::path(post, path = "/organizations", tag = "organizations", request_body = OrganizationInput,
    responses((status = 201, body = OrganizationOut), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn create_organization(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<OrganizationInput>,
) -> Result<(StatusCode, Json<OrganizationOut>), Problem> {
    let r = services::organizations::create(&app, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(OrganizationOut::from(&r))))
}

/// Read an organization.
#[utoipa::path(get, path = "/organizations/{id}", tag = "organizations", params(("id" = String, Path, description = "organization id")),
    responses((status = 200, body = OrganizationOut), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get_organization(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<OrganizationOut>, Problem> {
    let r = services::organizations::get(&app, &actor, parse_id(&id, OrganizationId::parse)?).await?;
    Ok(Json(OrganizationOut::from(&r)))
}

/// Change an organization: absent fields stay. `If-Match` guards against lost updates.
#[utoipa::path(patch, path = "/organizations/{id}", tag = "organizations",
    params(("id" = String, Path, description = "organization id"), IfMatch), request_body = OrganizationInput,
    responses((status = 200, body = OrganizationOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "the record changed since the version in If-Match")),
    security(("bearer" = [])))]
pub async fn update_organization(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<OrganizationInput>,
) -> Result<Json<OrganizationOut>, Problem> {
    let r = services::organizations::update(&app, &actor, parse_id(&id, OrganizationId::parse)?, patch, if_match(&headers)?).await?;
    Ok(Json(OrganizationOut::from(&r)))
}

/// Delete an organization.
#[utoipa::path(delete, path = "/organizations/{id}", tag = "organizations", params(("id" = String, Path, description = "organization id")),
    responses((status = 204, description = "deleted"), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn delete_organization(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<StatusCode, Problem> {
    services::organizations::delete(&app, &actor, parse_id(&id, OrganizationId::parse)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An organization's activities, newest first.
#[utoipa::path(get, path = "/organizations/{id}/activities", tag = "organizations",
    params(("id" = String, Path, description = "organization id"), super::extract::PageQuery),
    responses((status = 200, body = Vec<ActivityOut>), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn list_organization_activities(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<super::extract::PageQuery>,
) -> Result<Json<Vec<ActivityOut>>, Problem> {
    let id = parse_id(&id, OrganizationId::parse)?;
    services::organizations::get(&app, &actor, id).await?;
    super::activities::list_for(&app, &actor, ActivityOwner::Organization(id), q).await
}

/// Export the organizations the caller may export (audited).
#[utoipa::path(get, path = "/organizations/export", tag = "organizations", params(RecordExportQuery),
    responses((status = 200, description = "the export file", content(
            (Vec<OrganizationOut> = "application/json"),
            (String = "text/csv"))),
        (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn export_organizations(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<RecordExportQuery>,
) -> Result<Response, Problem> {
    let format = q.format()?;
    let items = services::organizations::export(&app, &actor, format.as_str()).await?;
    export_file("organizations", format, &items.iter().map(OrganizationOut::from).collect::<Vec<_>>())
}
