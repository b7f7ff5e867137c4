//! `/api/v1/tickets`: filter, create, read (logged with its purpose), update and delete
//! tickets, and the export.

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
use obhut_core::ids::{ContactId, OrganizationId, TicketId, UserId};
use obhut_core::ticket::{TicketInput, TicketKind, TicketPriority, TicketStatus};
use obhut_store::tickets::{TicketFilter, TicketRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list_tickets, create_ticket)).routes(routes!(export_tickets)).routes(routes!(
        get_ticket,
        update_ticket,
        delete_ticket
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketOut {
    pub id: TicketId,
    pub number: i64,
    pub kind: TicketKind,
    pub status: TicketStatus,
    pub priority: TicketPriority,
    pub title: String,
    #[schema(required = true)]
    pub description: Option<String>,
    #[schema(required = true)]
    pub contact_id: Option<ContactId>,
    #[schema(required = true)]
    pub organization_id: Option<OrganizationId>,
    #[schema(required = true)]
    pub owner_id: Option<UserId>,
    /// standard or hr: the class the record is decided by where it is about no contact.
    pub record_class: String,
    #[schema(required = true)]
    pub team: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    pub version: i64,
    /// RFC 3339: when the next answer to the customer is due by the priority's SLA; null
    /// while none is owed (waiting for the customer, resolved, closed).
    #[schema(required = true)]
    pub due_at: Option<String>,
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
            due_at: r.due_at.map(rfc3339),
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
    #[param(value_type = Option<TicketStatus>)]
    pub status: Option<String>,
    #[param(value_type = Option<TicketKind>)]
    pub kind: Option<String>,
    pub contact_id: Option<String>,
    pub organization_id: Option<String>,
    pub owner_id: Option<String>,
    /// Only tickets that are not resolved or closed.
    pub open: Option<bool>,
    /// Only the ticket with this number.
    pub number: Option<i64>,
    /// `due`: the most urgent answer first (tickets owing none last); default (`updated`): last changed
    /// first; or a column across all pages: `number`, `status`, `priority`, `kind`, `owner`, `due`,
    /// `created`, `updated`, each descending with a leading `-`.
    pub sort: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// List tickets, filtered by status, kind, contact, organization or owner.
#[utoipa::path(get, path = "/tickets", tag = "tickets", params(TicketQuery),
    responses((status = 200, body = TicketPage), (status = 403, body = Problem)), security(("bearer" = [])))]
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
        number: q.number,
        by_due: q.sort.as_deref() == Some("due"),
        sort: match q.sort.as_deref() {
            None | Some("updated") | Some("due") => None,
            Some(k) if obhut_store::db::is_order(obhut_store::tickets::TICKET_ORDERS, k) => Some(k.to_string()),
            Some(_) => return Err(bad_request("sort", obhut_store::db::order_names(obhut_store::tickets::TICKET_ORDERS))),
        },
        ..Default::default()
    };
    let (items, total) = services::tickets::list(&app, &actor, &f, Page::new(q.limit, q.offset)).await?;
    Ok(Json(TicketPage { items: items.iter().map(TicketOut::from).collect(), total }))
}

/// Open a ticket.
#[utoipa::path(post, path = "/tickets", tag = "tickets", request_body = TicketInput,
    responses((status = 201, body = TicketOut), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn create_ticket(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<TicketInput>,
) -> Result<(StatusCode, Json<TicketOut>), Problem> {
    let r = services::tickets::create(&app, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(TicketOut::from(&r))))
}

/// Read a ticket. The read is logged with its purpose before the text is returned.
#[utoipa::path(get, path = "/tickets/{id}", tag = "tickets", params(("id" = String, Path, description = "ticket id"), super::extract::ReadQuery),
    responses((status = 200, body = TicketOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem, description = "unknown purpose")),
    security(("bearer" = [])))]
pub async fn get_ticket(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<super::extract::ReadQuery>,
) -> Result<Json<TicketOut>, Problem> {
    let purpose = q.purpose.as_deref().unwrap_or(services::contacts::DEFAULT_READ_PURPOSE);
    Ok(Json(TicketOut::from(&services::tickets::get_for(&app, &actor, parse_id(&id, TicketId::parse)?, purpose).await?)))
}

/// Change a ticket: absent fields stay. `If-Match` guards against lost updates.
#[utoipa::path(patch, path = "/tickets/{id}", tag = "tickets", params(("id" = String, Path, description = "ticket id"), IfMatch), request_body = TicketInput,
    responses((status = 200, body = TicketOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "the record changed since the version in If-Match")),
    security(("bearer" = [])))]
pub async fn update_ticket(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<TicketInput>,
) -> Result<Json<TicketOut>, Problem> {
    Ok(Json(TicketOut::from(&services::tickets::update(&app, &actor, parse_id(&id, TicketId::parse)?, patch, if_match(&headers)?).await?)))
}

/// Delete a ticket.
#[utoipa::path(delete, path = "/tickets/{id}", tag = "tickets", params(("id" = String, Path, description = "ticket id")),
    responses((status = 204, description = "deleted"), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn delete_ticket(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<StatusCode, Problem> {
    services::tickets::delete(&app, &actor, parse_id(&id, TicketId::parse)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Export the tickets the caller may export, with their texts (audited; each ticket is a read).
#[utoipa::path(get, path = "/tickets/export", tag = "tickets", params(RecordExportQuery),
    responses((status = 200, description = "the export file", content(
            (Vec<TicketOut> = "application/json"),
            (String = "text/csv"))),
        (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn export_tickets(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<RecordExportQuery>,
) -> Result<Response, Problem> {
    let format = q.format()?;
    let items = services::tickets::export(&app, &actor, format.as_str()).await?;
    export_file("tickets", format, &items.iter().map(TicketOut::from).collect::<Vec<_>>())
}
