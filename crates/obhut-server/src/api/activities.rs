//! `/api/v1/activities`: create, read (logged with its purpose) and delete activities, and the
//! page of one record's activities that contacts, organizations and deals list.

use super::extract::{parse_id, ApiActor, ApiJson, ApiQuery};
use super::problem::Problem;
use crate::app::App;
use crate::fmt::rfc3339;
use crate::services::{self, Page};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use obhut_core::activity::{ActivityInput, ActivityKind};
use obhut_core::ids::{ActivityId, ContactId, DealId, OrganizationId};
use obhut_store::activities::{ActivityOwner, ActivityRecord};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(create_activity)).routes(routes!(get_activity, update_activity, delete_activity))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityOut {
    pub id: ActivityId,
    pub kind: ActivityKind,
    pub subject: String,
    #[schema(required = true)]
    pub body: Option<String>,
    /// RFC 3339.
    pub occurred_at: String,
    #[schema(required = true)]
    pub contact_id: Option<ContactId>,
    #[schema(required = true)]
    pub organization_id: Option<OrganizationId>,
    #[schema(required = true)]
    pub deal_id: Option<DealId>,
    /// RFC 3339.
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

/// Record an activity (a call, a meeting, a note …) about a contact, an organization or a deal.
#[utoipa::path(post, path = "/activities", tag = "activities", request_body = ActivityInput,
    responses((status = 201, body = ActivityOut), (status = 403, body = Problem), (status = 404, body = Problem, description = "the record it is about is unknown"),
        (status = 410, body = Problem, description = "the contact it is about was erased")),
    security(("bearer" = [])))]
pub async fn create_activity(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<ActivityInput>,
) -> Result<(StatusCode, Json<ActivityOut>), Problem> {
    let r = services::activities::create(&app, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(ActivityOut::from(&r))))
}

/// Read an activity. The read is logged with its purpose before the text is returned.
#[utoipa::path(get, path = "/activities/{id}", tag = "activities", params(("id" = String, Path, description = "activity id"), super::extract::ReadQuery),
    responses((status = 200, body = ActivityOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem, description = "unknown purpose")),
    security(("bearer" = [])))]
pub async fn get_activity(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<super::extract::ReadQuery>,
) -> Result<Json<ActivityOut>, Problem> {
    let purpose = q.purpose.as_deref().unwrap_or(services::contacts::DEFAULT_READ_PURPOSE);
    let r = services::activities::get_for(&app, &actor, parse_id(&id, ActivityId::parse)?, purpose).await?;
    Ok(Json(ActivityOut::from(&r)))
}

/// Change an activity's kind, subject, text or time; what the body leaves out stays. The
/// activity stays filed where it is (a body naming another contact, organization or deal is
/// refused). The values before and after are kept in the audit trail, sealed.
#[utoipa::path(patch, path = "/activities/{id}", tag = "activities", params(("id" = String, Path, description = "activity id")), request_body = ActivityInput,
    responses((status = 200, body = ActivityOut), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_activity(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ActivityInput>,
) -> Result<Json<ActivityOut>, Problem> {
    let r = services::activities::update(&app, &actor, parse_id(&id, ActivityId::parse)?, &input).await?;
    Ok(Json(ActivityOut::from(&r)))
}

/// Delete an activity.
#[utoipa::path(delete, path = "/activities/{id}", tag = "activities", params(("id" = String, Path, description = "activity id")),
    responses((status = 204, description = "deleted"), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn delete_activity(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<StatusCode, Problem> {
    services::activities::delete(&app, &actor, parse_id(&id, ActivityId::parse)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The activities of one record, a page of them, newest first.
pub(crate) async fn list_for(
    app: &App,
    actor: &crate::gate::Actor,
    owner: ActivityOwner,
    q: super::extract::PageQuery,
) -> Result<Json<Vec<ActivityOut>>, Problem> {
    let list = services::activities::list(app, actor, owner, Page::new(q.limit, q.offset)).await?;
    Ok(Json(list.iter().map(ActivityOut::from).collect()))
}
