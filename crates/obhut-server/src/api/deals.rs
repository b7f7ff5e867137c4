//! `/api/v1/deals`: filter, create, read, update and delete deals, their activities and the
//! export.

use super::activities::ActivityOut;
use super::export::{export_file, RecordExportQuery};
use super::extract::{if_match, parse_id, ApiActor, ApiJson, ApiQuery, IfMatch};
use super::problem::{bad_request, Problem};
use crate::app::App;
use crate::fmt::rfc3339;
use crate::services::{self, Page};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use obhut_core::deal::DealInput;
use obhut_core::ids::{ContactId, DealId, OrganizationId, StageId, UserId};
use obhut_store::activities::ActivityOwner;
use obhut_store::deals::{DealFilter, DealRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_deals, create_deal))
        .routes(routes!(export_deals))
        .routes(routes!(get_deal, update_deal, delete_deal))
        .routes(routes!(list_deal_activities))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealOut {
    pub id: DealId,
    pub title: String,
    #[schema(required = true)]
    pub stage_id: Option<StageId>,
    #[schema(required = true)]
    pub organization_id: Option<OrganizationId>,
    #[schema(required = true)]
    pub contact_id: Option<ContactId>,
    /// Decimal string in the currency's major unit.
    #[schema(required = true)]
    pub amount: Option<String>,
    pub currency: String,
    /// YYYY-MM-DD.
    #[schema(required = true)]
    pub expected_close_on: Option<String>,
    #[schema(required = true)]
    pub owner_id: Option<UserId>,
    /// standard or hr: the class the record is decided by where it is about no contact.
    pub record_class: String,
    #[schema(required = true)]
    pub team: Option<String>,
    /// Why a won or lost deal went that way (a code); null in an open stage or when not given.
    #[schema(required = true)]
    pub close_reason: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    pub version: i64,
}

impl From<&DealRecord> for DealOut {
    fn from(r: &DealRecord) -> Self {
        let d = &r.draft;
        Self {
            id: r.id,
            title: d.title.clone(),
            stage_id: d.stage_id,
            organization_id: d.organization_id,
            contact_id: d.contact_id,
            amount: d.amount_cents.map(|c| format!("{}.{:02}", c / 100, c % 100)),
            currency: d.currency.clone(),
            expected_close_on: d.expected_close_on.map(|d| d.to_string()),
            owner_id: d.owner_id,
            record_class: d.record_class.as_str().into(),
            team: d.team.clone(),
            close_reason: d.close_reason.clone(),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            version: r.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealPage {
    pub items: Vec<DealOut>,
    pub total: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DealQuery {
    /// Part of the title (at most 200 characters).
    pub q: Option<String>,
    pub stage_id: Option<String>,
    pub organization_id: Option<String>,
    pub contact_id: Option<String>,
    pub owner_id: Option<String>,
    /// A column across all pages: `title`, `stage`, `amount`, `close`, `owner`, `stage_since`,
    /// `created`, `updated`, each descending with a leading `-`; default: last changed first.
    pub sort: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// List deals, filtered by stage, organization, contact, owner or part of the title.
#[utoipa::path(get, path = "/deals", tag = "deals", params(DealQuery),
    responses((status = 200, body = DealPage), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn list_deals(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<DealQuery>,
) -> Result<Json<DealPage>, Problem> {
    let f = DealFilter {
        stage_id: q.stage_id.as_deref().map(StageId::parse).transpose().map_err(|m| bad_request("stage_id", m))?,
        organization_id: q
            .organization_id
            .as_deref()
            .map(OrganizationId::parse)
            .transpose()
            .map_err(|m| bad_request("organization_id", m))?,
        contact_id: q.contact_id.as_deref().map(ContactId::parse).transpose().map_err(|m| bad_request("contact_id", m))?,
        owner_id: q.owner_id.as_deref().map(UserId::parse).transpose().map_err(|m| bad_request("owner_id", m))?,
        q: match q.q {
            Some(s) if s.chars().any(char::is_control) || s.chars().count() > 200 => {
                return Err(bad_request("q", "a search has at most 200 characters and no control characters"))
            }
            s => s,
        },
        sort: match q.sort.as_deref() {
            None => None,
            Some(k) if obhut_store::db::is_order(obhut_store::deals::DEAL_ORDERS, k) => Some(k.to_string()),
            Some(_) => return Err(bad_request("sort", obhut_store::db::order_names(obhut_store::deals::DEAL_ORDERS))),
        },
        ..Default::default()
    };
    let (items, total) = services::deals::list(&app, &actor, &f, Page::new(q.limit, q.offset)).await?;
    Ok(Json(DealPage { items: items.iter().map(DealOut::from).collect(), total }))
}

/// Create a deal.
#[utoipa::path(post, path = "/deals", tag = "deals", request_body = DealInput,
    responses((status = 201, body = DealOut), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn create_deal(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<DealInput>,
) -> Result<(StatusCode, Json<DealOut>), Problem> {
    let r = services::deals::create(&app, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(DealOut::from(&r))))
}

/// Read a deal.
#[utoipa::path(get, path = "/deals/{id}", tag = "deals", params(("id" = String, Path, description = "deal id")),
    responses((status = 200, body = DealOut), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get_deal(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<Json<DealOut>, Problem> {
    Ok(Json(DealOut::from(&services::deals::get(&app, &actor, parse_id(&id, DealId::parse)?).await?)))
}

/// Change a deal: absent fields stay. `If-Match` guards against lost updates.
#[utoipa::path(patch, path = "/deals/{id}", tag = "deals", params(("id" = String, Path, description = "deal id"), IfMatch), request_body = DealInput,
    responses((status = 200, body = DealOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "the record changed since the version in If-Match")),
    security(("bearer" = [])))]
pub async fn update_deal(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<DealInput>,
) -> Result<Json<DealOut>, Problem> {
    Ok(Json(DealOut::from(&services::deals::update(&app, &actor, parse_id(&id, DealId::parse)?, patch, if_match(&headers)?).await?)))
}

/// Delete a deal.
#[utoipa::path(delete, path = "/deals/{id}", tag = "deals", params(("id" = String, Path, description = "deal id")),
    responses((status = 204, description = "deleted"), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn delete_deal(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<StatusCode, Problem> {
    services::deals::delete(&app, &actor, parse_id(&id, DealId::parse)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A deal's activities, newest first.
#[utoipa::path(get, path = "/deals/{id}/activities", tag = "deals", params(("id" = String, Path, description = "deal id"), super::extract::PageQuery),
    responses((status = 200, body = Vec<ActivityOut>), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn list_deal_activities(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<super::extract::PageQuery>,
) -> Result<Json<Vec<ActivityOut>>, Problem> {
    let id = parse_id(&id, DealId::parse)?;
    services::deals::get(&app, &actor, id).await?;
    super::activities::list_for(&app, &actor, ActivityOwner::Deal(id), q).await
}

/// Export the deals the caller may export (audited).
#[utoipa::path(get, path = "/deals/export", tag = "deals", params(RecordExportQuery),
    responses((status = 200, description = "the export file", content(
            (Vec<DealOut> = "application/json"),
            (String = "text/csv"))),
        (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn export_deals(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<RecordExportQuery>,
) -> Result<Response, Problem> {
    let format = q.format()?;
    let items = services::deals::export(&app, &actor, format.as_str()).await?;
    export_file("deals", format, &items.iter().map(DealOut::from).collect::<Vec<_>>())
}
