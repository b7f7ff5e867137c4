//! `/api/v1/tasks`: tasks and follow-ups on contacts, organizations, deals and tickets; list
//! (filtered), create, read (logged), change (done, reopen, reassign), delete.

use super::extract::{if_match, parse_id, ApiActor, ApiJson, ApiQuery, IfMatch};
use super::problem::{bad_request, Problem};
use crate::app::App;
use crate::fmt::rfc3339;
use crate::services::{self, Page};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use obhut_core::ids::{ContactId, DealId, OrganizationId, TaskId, TicketId, UserId};
use obhut_core::task::{TaskInput, TaskKind, TaskPriority};
use obhut_store::tasks::{Due, TaskFilter, TaskRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list_tasks, create_task)).routes(routes!(get_task, update_task, delete_task))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskOut {
    pub id: TaskId,
    /// Shown as A-<number> (German) or T-<number>.
    pub number: i64,
    pub kind: TaskKind,
    pub priority: TaskPriority,
    pub title: String,
    #[schema(required = true)]
    pub notes: Option<String>,
    /// YYYY-MM-DD.
    #[schema(required = true)]
    pub due_on: Option<String>,
    /// RFC 3339.
    #[schema(required = true)]
    pub remind_at: Option<String>,
    /// RFC 3339: when the reminder mail was queued.
    #[schema(required = true)]
    pub reminded_at: Option<String>,
    #[schema(required = true)]
    pub assignee_id: Option<UserId>,
    /// contact, organization, deal or ticket.
    pub on_kind: String,
    /// The id of the record the task is on.
    #[schema(value_type = String, format = Uuid)]
    pub on_id: String,
    pub done: bool,
    /// RFC 3339.
    #[schema(required = true)]
    pub done_at: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    pub version: i64,
}

impl From<&TaskRecord> for TaskOut {
    fn from(r: &TaskRecord) -> Self {
        let d = &r.draft;
        Self {
            id: r.id,
            number: r.number,
            kind: d.kind,
            priority: d.priority,
            title: d.text.title.clone(),
            notes: d.text.notes.clone(),
            due_on: d.due_on.map(|x| x.to_string()),
            remind_at: d.remind_at.map(|t| rfc3339(obhut_core::clock::to_millis(t))),
            reminded_at: r.reminded_at.map(rfc3339),
            assignee_id: d.assignee_id,
            on_kind: d.on.kind().into(),
            on_id: d.on.id().to_string(),
            done: d.done,
            done_at: r.done_at.map(rfc3339),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            version: r.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskPage {
    pub items: Vec<TaskOut>,
    pub total: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// A user id, or `me`.
    pub assignee_id: Option<String>,
    pub contact_id: Option<String>,
    pub organization_id: Option<String>,
    pub deal_id: Option<String>,
    pub ticket_id: Option<String>,
    #[param(value_type = Option<TaskKind>)]
    pub kind: Option<String>,
    /// true: done tasks; false: open ones; absent: both.
    pub done: Option<bool>,
    /// overdue, today, week (the next seven days after today) or undated, relative to today in German time.
    pub due: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

fn id_param<T>(v: &Option<String>, field: &str, parse: fn(&str) -> Result<T, String>) -> Result<Option<T>, Problem> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(parse).transpose().map_err(|m| bad_request(field, m))
}

/// List tasks: open ones by due day, done ones most recently done first.
#[utoipa::path(get, path = "/tasks", tag = "tasks", params(TaskQuery),
    responses((status = 200, body = TaskPage), (status = 400, body = Problem), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn list_tasks(State(app): State<App>, ApiActor(actor): ApiActor, ApiQuery(q): ApiQuery<TaskQuery>) -> Result<Json<TaskPage>, Problem> {
    let today = services::tasks::today(&app);
    let assignee_id = match q.assignee_id.as_deref().map(str::trim) {
        Some("me") => Some(actor.user_id.ok_or_else(|| bad_request("assignee_id", "'me' needs a user's token"))?),
        _ => id_param(&q.assignee_id, "assignee_id", UserId::parse)?,
    };
    let due = match q.due.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("overdue") => Some((Due::Overdue, today)),
        Some("today") => Some((Due::On, today)),
        Some("week") => Some((Due::Until(today + time::Duration::days(7)), today)),
        Some("undated") => Some((Due::Undated, today)),
        Some(_) => return Err(bad_request("due", "must be one of overdue, today, week, undated")),
    };
    let f = TaskFilter {
        assignee_id,
        contact_id: id_param(&q.contact_id, "contact_id", ContactId::parse)?,
        organization_id: id_param(&q.organization_id, "organization_id", OrganizationId::parse)?,
        deal_id: id_param(&q.deal_id, "deal_id", DealId::parse)?,
        ticket_id: id_param(&q.ticket_id, "ticket_id", TicketId::parse)?,
        kind: q.kind.as_deref().map(TaskKind::parse).transpose().map_err(|m| bad_request("kind", m))?,
        done: q.done,
        due,
        ..Default::default()
    };
    let (items, total) = services::tasks::list(&app, &actor, &f, Page::new(q.limit, q.offset)).await?;
    Ok(Json(TaskPage { items: items.iter().map(TaskOut::from).collect(), total }))
}

/// Add a task or follow-up to a contact, organization, deal or ticket. It is decided like that
/// record; the assignee (default: the caller) must be allowed to see it.
#[utoipa::path(post, path = "/tasks", tag = "tasks", request_body = TaskInput,
    responses((status = 201, body = TaskOut), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_task(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<TaskInput>,
) -> Result<(StatusCode, Json<TaskOut>), Problem> {
    let r = services::tasks::create(&app, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(TaskOut::from(&r))))
}

/// Read a task (logged as a read of the record it is about).
#[utoipa::path(get, path = "/tasks/{id}", tag = "tasks", params(("id" = String, Path, description = "task id"), super::extract::ReadQuery),
    responses((status = 200, body = TaskOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem, description = "unknown purpose")),
    security(("bearer" = [])))]
pub async fn get_task(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<super::extract::ReadQuery>,
) -> Result<Json<TaskOut>, Problem> {
    let purpose = q.purpose.as_deref().unwrap_or(services::contacts::DEFAULT_READ_PURPOSE);
    Ok(Json(TaskOut::from(&services::tasks::get_for(&app, &actor, parse_id(&id, TaskId::parse)?, purpose).await?)))
}

/// Change a task: absent fields stay, `"done": true` ticks it off. The record it is on stays.
/// `If-Match` guards against lost updates.
#[utoipa::path(patch, path = "/tasks/{id}", tag = "tasks", params(("id" = String, Path, description = "task id"), IfMatch), request_body = TaskInput,
    responses((status = 200, body = TaskOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "the task changed since the version in If-Match"), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_task(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<TaskInput>,
) -> Result<Json<TaskOut>, Problem> {
    Ok(Json(TaskOut::from(&services::tasks::update(&app, &actor, parse_id(&id, TaskId::parse)?, patch, if_match(&headers)?).await?)))
}

/// Delete a task.
#[utoipa::path(delete, path = "/tasks/{id}", tag = "tasks", params(("id" = String, Path, description = "task id")),
    responses((status = 204, description = "deleted"), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn delete_task(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<StatusCode, Problem> {
    services::tasks::delete(&app, &actor, parse_id(&id, TaskId::parse)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
