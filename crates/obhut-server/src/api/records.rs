//! `/api/v1` for organizations, activities, deals, pipeline stages, tickets and the caller.

use super::extract::{if_match, parse_id, ApiActor, ApiJson, ApiQuery};
use super::problem::{bad_request, Problem};
use super::rfc3339;
use crate::app::App;
use crate::services::{self, Page};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use obhut_core::activity::{ActivityInput, ActivityKind};
use obhut_core::deal::{DealInput, StageInput, StageOutcome};
use obhut_core::ids::{ActivityId, ContactId, DealId, OrganizationId, StageId, TicketId, UserId};
use obhut_core::organization::OrganizationInput;
use obhut_core::ticket::{TicketInput, TicketKind, TicketPriority, TicketStatus};
use obhut_core::user::Role;
use obhut_store::activities::ActivityRecord;
use obhut_store::deals::{DealFilter, DealRecord, StageRecord};
use obhut_store::organizations::OrganizationRecord;
use obhut_store::tickets::{TicketFilter, TicketRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: Option<UserId>,
    pub username: String,
    pub role: Role,
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "users", responses((status = 200, body = Me), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn me(ApiActor(actor): ApiActor) -> Json<Me> {
    Json(Me { id: actor.user_id, username: actor.name.clone(), role: actor.role })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationOut {
    pub id: OrganizationId,
    pub name: String,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub vat_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub owner_id: Option<UserId>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    /// standard or hr: the class the record is decided by where it is about no contact.
    pub record_class: String,
    pub team: Option<String>,
    pub created_at: String,
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
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", params(SearchQuery), responses((status = 200, body = OrganizationPage)), security(("bearer" = [])))]
pub async fn list_organizations(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<OrganizationPage>, Problem> {
    let (items, total) = services::organizations::list(&app, &actor, q.q.as_deref(), Page::new(q.limit, q.offset)).await?;
    Ok(Json(OrganizationPage { items: items.iter().map(OrganizationOut::from).collect(), total }))
}

#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", request_body = OrganizationInput,
    responses((status = 201, body = OrganizationOut), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_organization(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<OrganizationInput>,
) -> Result<(StatusCode, Json<OrganizationOut>), Problem> {
    let r = services::organizations::create(&app, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(OrganizationOut::from(&r))))
}

#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations", params(("id" = String, Path)), responses((status = 200, body = OrganizationOut), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get_organization(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<OrganizationOut>, Problem> {
    let r = services::organizations::get(&app, &actor, parse_id(&id, OrganizationId::parse)?).await?;
    Ok(Json(OrganizationOut::from(&r)))
}

#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "organizations", params(("id" = String, Path)), request_body = OrganizationInput,
    responses((status = 200, body = OrganizationOut), (status = 422, body = Problem)), security(("bearer" = [])))]
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

#[utoipa::path(delete, path = "/api/v1/organizations/{id}", tag = "organizations", params(("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn delete_organization(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<StatusCode, Problem> {
    services::organizations::delete(&app, &actor, parse_id(&id, OrganizationId::parse)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityOut {
    pub id: ActivityId,
    pub kind: ActivityKind,
    pub subject: String,
    pub body: Option<String>,
    pub occurred_at: String,
    pub contact_id: Option<ContactId>,
    pub organization_id: Option<OrganizationId>,
    pub deal_id: Option<DealId>,
    pub created_at: String,
}

impl From<&ActivityRecord> for ActivityOut {
    fn from(r: &ActivityRecord) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            subject: r.text.subject.clone(),
            body: r.text.body.clone(),
            occurred_at: rfc3339(r.occurred_at),
            contact_id: r.contact_id,
            organization_id: r.organization_id,
            deal_id: r.deal_id,
            created_at: rfc3339(r.created_at),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/activities", tag = "activities", request_body = ActivityInput, responses((status = 201, body = ActivityOut), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_activity(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<ActivityInput>,
) -> Result<(StatusCode, Json<ActivityOut>), Problem> {
    let r = services::activities::create(&app, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(ActivityOut::from(&r))))
}

/// Read an activity. The read is logged with its purpose before the text is returned.
#[utoipa::path(get, path = "/api/v1/activities/{id}", tag = "activities", params(("id" = String, Path), super::contacts::ReadQuery),
    responses((status = 200, body = ActivityOut), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get_activity(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<super::contacts::ReadQuery>,
) -> Result<Json<ActivityOut>, Problem> {
    let purpose = q.purpose.as_deref().unwrap_or(services::contacts::DEFAULT_READ_PURPOSE);
    let r = services::activities::get_for(&app, &actor, parse_id(&id, ActivityId::parse)?, purpose).await?;
    Ok(Json(ActivityOut::from(&r)))
}

#[utoipa::path(delete, path = "/api/v1/activities/{id}", tag = "activities", params(("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn delete_activity(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<StatusCode, Problem> {
    services::activities::delete(&app, &actor, parse_id(&id, ActivityId::parse)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StageOut {
    pub id: StageId,
    pub name: String,
    pub position: i64,
    pub probability: i64,
    pub outcome: StageOutcome,
}

impl From<&StageRecord> for StageOut {
    fn from(s: &StageRecord) -> Self {
        Self { id: s.id, name: s.name.clone(), position: s.position, probability: s.probability, outcome: s.outcome }
    }
}

#[utoipa::path(get, path = "/api/v1/pipeline/stages", tag = "deals", responses((status = 200, body = Vec<StageOut>)), security(("bearer" = [])))]
pub async fn list_stages(State(app): State<App>, ApiActor(actor): ApiActor) -> Result<Json<Vec<StageOut>>, Problem> {
    Ok(Json(services::deals::stages(&app, &actor).await?.iter().map(StageOut::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/pipeline/stages", tag = "deals", request_body = StageInput, responses((status = 201, body = StageOut), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn create_stage(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<StageInput>,
) -> Result<(StatusCode, Json<StageOut>), Problem> {
    let s = services::deals::create_stage(&app, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(StageOut::from(&s))))
}

#[utoipa::path(patch, path = "/api/v1/pipeline/stages/{id}", tag = "deals", params(("id" = String, Path)), request_body = StageInput, responses((status = 200, body = StageOut)), security(("bearer" = [])))]
pub async fn update_stage(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<StageInput>,
) -> Result<Json<StageOut>, Problem> {
    let s = services::deals::update_stage(&app, &actor, parse_id(&id, StageId::parse)?, &input).await?;
    Ok(Json(StageOut::from(&s)))
}

#[utoipa::path(delete, path = "/api/v1/pipeline/stages/{id}", tag = "deals", params(("id" = String, Path)), responses((status = 204), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn delete_stage(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<StatusCode, Problem> {
    services::deals::delete_stage(&app, &actor, parse_id(&id, StageId::parse)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealOut {
    pub id: DealId,
    pub title: String,
    pub stage_id: Option<StageId>,
    pub organization_id: Option<OrganizationId>,
    pub contact_id: Option<ContactId>,
    /// Decimal string in the currency's major unit.
    pub amount: Option<String>,
    pub currency: String,
    pub expected_close_on: Option<String>,
    pub owner_id: Option<UserId>,
    /// standard or hr: the class the record is decided by where it is about no contact.
    pub record_class: String,
    pub team: Option<String>,
    pub created_at: String,
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
    /// Part of the title.
    pub q: Option<String>,
    pub stage_id: Option<String>,
    pub organization_id: Option<String>,
    pub contact_id: Option<String>,
    pub owner_id: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/deals", tag = "deals", params(DealQuery), responses((status = 200, body = DealPage)), security(("bearer" = [])))]
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
        ..Default::default()
    };
    let (items, total) = services::deals::list(&app, &actor, &f, Page::new(q.limit, q.offset)).await?;
    Ok(Json(DealPage { items: items.iter().map(DealOut::from).collect(), total }))
}

#[utoipa::path(post, path = "/api/v1/deals", tag = "deals", request_body = DealInput, responses((status = 201, body = DealOut), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_deal(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<DealInput>,
) -> Result<(StatusCode, Json<DealOut>), Problem> {
    let r = services::deals::create(&app, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(DealOut::from(&r))))
}

#[utoipa::path(get, path = "/api/v1/deals/{id}", tag = "deals", params(("id" = String, Path)), responses((status = 200, body = DealOut), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get_deal(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<Json<DealOut>, Problem> {
    Ok(Json(DealOut::from(&services::deals::get(&app, &actor, parse_id(&id, DealId::parse)?).await?)))
}

#[utoipa::path(patch, path = "/api/v1/deals/{id}", tag = "deals", params(("id" = String, Path)), request_body = DealInput, responses((status = 200, body = DealOut), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update_deal(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<DealInput>,
) -> Result<Json<DealOut>, Problem> {
    Ok(Json(DealOut::from(&services::deals::update(&app, &actor, parse_id(&id, DealId::parse)?, patch, if_match(&headers)?).await?)))
}

#[utoipa::path(delete, path = "/api/v1/deals/{id}", tag = "deals", params(("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn delete_deal(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<StatusCode, Problem> {
    services::deals::delete(&app, &actor, parse_id(&id, DealId::parse)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketOut {
    pub id: TicketId,
    pub number: i64,
    pub kind: TicketKind,
    pub status: TicketStatus,
    pub priority: TicketPriority,
    pub title: String,
    pub description: Option<String>,
    pub contact_id: Option<ContactId>,
    pub organization_id: Option<OrganizationId>,
    pub owner_id: Option<UserId>,
    /// standard or hr: the class the record is decided by where it is about no contact.
    pub record_class: String,
    pub team: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

impl From<&TicketRecord> for TicketOut {
    fn from(r: &TicketRecord) -> Self {
        let d = &r.draft;
        Self {
            id: r.id,
            number: r.number,
            kind: d.kind,
            status: d.status,
            priority: d.priority,
            title: d.text.title.clone(),
            description: d.text.description.clone(),
            contact_id: d.contact_id,
            organization_id: d.organization_id,
            owner_id: d.owner_id,
            record_class: d.record_class.as_str().into(),
            team: d.team.clone(),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            version: r.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketPage {
    pub items: Vec<TicketOut>,
    pub total: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TicketQuery {
    /// open, in_progress, waiting, resolved, closed.
    pub status: Option<String>,
    /// service or complaint.
    pub kind: Option<String>,
    pub contact_id: Option<String>,
    pub organization_id: Option<String>,
    pub owner_id: Option<String>,
    /// Only tickets that are not resolved or closed.
    pub open: Option<bool>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(TicketQuery), responses((status = 200, body = TicketPage)), security(("bearer" = [])))]
pub async fn list_tickets(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<TicketQuery>,
) -> Result<Json<TicketPage>, Problem> {
    let f = TicketFilter {
        status: q.status.as_deref().map(TicketStatus::parse).transpose().map_err(|m| bad_request("status", m))?,
        kind: q.kind.as_deref().map(TicketKind::parse).transpose().map_err(|m| bad_request("kind", m))?,
        contact_id: q.contact_id.as_deref().map(ContactId::parse).transpose().map_err(|m| bad_request("contact_id", m))?,
        organization_id: q
            .organization_id
            .as_deref()
            .map(OrganizationId::parse)
            .transpose()
            .map_err(|m| bad_request("organization_id", m))?,
        owner_id: q.owner_id.as_deref().map(UserId::parse).transpose().map_err(|m| bad_request("owner_id", m))?,
        open_only: q.open.unwrap_or(false),
        ..Default::default()
    };
    let (items, total) = services::tickets::list(&app, &actor, &f, Page::new(q.limit, q.offset)).await?;
    Ok(Json(TicketPage { items: items.iter().map(TicketOut::from).collect(), total }))
}

#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = TicketInput, responses((status = 201, body = TicketOut), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_ticket(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<TicketInput>,
) -> Result<(StatusCode, Json<TicketOut>), Problem> {
    let r = services::tickets::create(&app, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(TicketOut::from(&r))))
}

/// Read a ticket. The read is logged with its purpose before the text is returned.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = String, Path), super::contacts::ReadQuery),
    responses((status = 200, body = TicketOut), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get_ticket(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<super::contacts::ReadQuery>,
) -> Result<Json<TicketOut>, Problem> {
    let purpose = q.purpose.as_deref().unwrap_or(services::contacts::DEFAULT_READ_PURPOSE);
    Ok(Json(TicketOut::from(&services::tickets::get_for(&app, &actor, parse_id(&id, TicketId::parse)?, purpose).await?)))
}

#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = String, Path)), request_body = TicketInput, responses((status = 200, body = TicketOut), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update_ticket(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<TicketInput>,
) -> Result<Json<TicketOut>, Problem> {
    Ok(Json(TicketOut::from(&services::tickets::update(&app, &actor, parse_id(&id, TicketId::parse)?, patch, if_match(&headers)?).await?)))
}

#[utoipa::path(delete, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn delete_ticket(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<StatusCode, Problem> {
    services::tickets::delete(&app, &actor, parse_id(&id, TicketId::parse)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An organization's activities, newest first.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/activities", tag = "organizations", params(("id" = String, Path), super::contacts::PageQuery),
    responses((status = 200, body = Vec<ActivityOut>), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn list_organization_activities(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<super::contacts::PageQuery>,
) -> Result<Json<Vec<ActivityOut>>, Problem> {
    let id = parse_id(&id, OrganizationId::parse)?;
    services::organizations::get(&app, &actor, id).await?;
    activity_list(&app, &actor, obhut_store::activities::ActivityOwner::Organization(id), q).await
}

/// A deal's activities, newest first.
#[utoipa::path(get, path = "/api/v1/deals/{id}/activities", tag = "deals", params(("id" = String, Path), super::contacts::PageQuery),
    responses((status = 200, body = Vec<ActivityOut>), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn list_deal_activities(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<super::contacts::PageQuery>,
) -> Result<Json<Vec<ActivityOut>>, Problem> {
    let id = parse_id(&id, DealId::parse)?;
    services::deals::get(&app, &actor, id).await?;
    activity_list(&app, &actor, obhut_store::activities::ActivityOwner::Deal(id), q).await
}

/// The activities of one record, a page of them, newest first.
pub(crate) async fn activity_list(
    app: &App,
    actor: &crate::gate::Actor,
    owner: obhut_store::activities::ActivityOwner,
    q: super::contacts::PageQuery,
) -> Result<Json<Vec<ActivityOut>>, Problem> {
    let list = services::activities::list(app, actor, owner, Page::new(q.limit, q.offset)).await?;
    Ok(Json(list.iter().map(ActivityOut::from).collect()))
}

/// `?format=json` (default) or `csv` for an export of records.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecordExportQuery {
    /// json or csv.
    pub format: Option<String>,
}

enum RecordFormat {
    Json,
    Csv,
}

fn record_format(q: &RecordExportQuery) -> Result<RecordFormat, Problem> {
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(RecordFormat::Json),
        "csv" => Ok(RecordFormat::Csv),
        _ => Err(bad_request("format", "must be json or csv")),
    }
}

/// The export file: a JSON array of the records as the API shows them, or CSV with a header
/// row of their field names.
fn export_file<T: Serialize>(kind: &str, format: RecordFormat, items: &[T]) -> Result<axum::response::Response, Problem> {
    use axum::http::{header, HeaderValue};
    use axum::response::IntoResponse;
    let internal = |e: String| Problem::from(crate::error::ServiceError::Internal(e));
    let (body, ct, ext) = match format {
        RecordFormat::Json => (serde_json::to_vec(items).map_err(|e| internal(e.to_string()))?, "application/json", "json"),
        RecordFormat::Csv => {
            let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
            let mut header_done = false;
            for item in items {
                let serde_json::Value::Object(m) = serde_json::to_value(item).map_err(|e| internal(e.to_string()))? else { continue };
                if !header_done {
                    w.write_record(m.keys()).map_err(|e| internal(e.to_string()))?;
                    header_done = true;
                }
                let cell = |v: &serde_json::Value| match v {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Array(a) => {
                        a.iter().map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string())).collect::<Vec<_>>().join(", ")
                    }
                    other => other.to_string(),
                };
                w.write_record(m.values().map(cell)).map_err(|e| internal(e.to_string()))?;
            }
            (w.into_inner().map_err(|e| internal(e.to_string()))?, "text/csv; charset=utf-8", "csv")
        }
    };
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{kind}.{ext}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// Export the deals the caller may export (audited).
#[utoipa::path(get, path = "/api/v1/deals/export", tag = "deals", params(RecordExportQuery),
    responses((status = 200, description = "the export file"), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn export_deals(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<RecordExportQuery>,
) -> Result<axum::response::Response, Problem> {
    let format = record_format(&q)?;
    let items = services::deals::export(&app, &actor, q.format.as_deref().unwrap_or("json")).await?;
    export_file("deals", format, &items.iter().map(DealOut::from).collect::<Vec<_>>())
}

/// Export the tickets the caller may export, with their texts (audited; each ticket is a read).
#[utoipa::path(get, path = "/api/v1/tickets/export", tag = "tickets", params(RecordExportQuery),
    responses((status = 200, description = "the export file"), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn export_tickets(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<RecordExportQuery>,
) -> Result<axum::response::Response, Problem> {
    let format = record_format(&q)?;
    let items = services::tickets::export(&app, &actor, q.format.as_deref().unwrap_or("json")).await?;
    export_file("tickets", format, &items.iter().map(TicketOut::from).collect::<Vec<_>>())
}

/// Export the organizations the caller may export (audited).
#[utoipa::path(get, path = "/api/v1/organizations/export", tag = "organizations", params(RecordExportQuery),
    responses((status = 200, description = "the export file"), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn export_organizations(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<RecordExportQuery>,
) -> Result<axum::response::Response, Problem> {
    let format = record_format(&q)?;
    let items = services::organizations::export(&app, &actor, q.format.as_deref().unwrap_or("json")).await?;
    export_file("organizations", format, &items.iter().map(OrganizationOut::from).collect::<Vec<_>>())
}
