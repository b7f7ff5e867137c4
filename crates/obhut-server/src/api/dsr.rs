//! Data subject rights over the API: request cases with their deadlines, rectification
//! through a case (Art. 16), erasure (Art. 17) and the recipients' notification tasks (Art. 19).

use super::extract::{ApiActor, ApiJson, ApiQuery};
use super::problem::Problem;
use crate::app::App;
use crate::services;
use crate::services::cases::CaseView;
use crate::services::dsr::{CodeSent, NewCase};
use crate::services::erasure::Erasure;
use crate::services::recipients::NoticeView;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use obhut_core::contact::ContactInput;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(erase))
        .routes(routes!(list_cases, open_case))
        .routes(routes!(get_case))
        .routes(routes!(verify))
        .routes(routes!(send_code))
        .routes(routes!(extend))
        .routes(routes!(close))
        .routes(routes!(rectify))
        .routes(routes!(list_notifications))
        .routes(routes!(notification_done))
}

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
#[utoipa::path(post, path = "/contacts/{id}/erasure", tag = "rights", params(("id" = String, Path, description = "contact id")), request_body = EraseBody,
    responses((status = 200, body = Erasure), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "a legal hold keeps the contact"),
        (status = 410, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn erase(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<EraseBody>,
) -> Result<Json<Erasure>, Problem> {
    Ok(Json(services::erasure::erase(&app, &actor, &id, &b.reason, b.case_id.as_deref()).await?))
}

/// Opens a case for a data subject request; the deadline (Art. 12(3)) is set from the receipt.
#[utoipa::path(post, path = "/dsr/cases", tag = "rights", request_body = NewCase,
    responses((status = 201, body = CaseView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn open_case(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<NewCase>,
) -> Result<(StatusCode, Json<CaseView>), Problem> {
    Ok((StatusCode::CREATED, Json(services::dsr::open_case(&app, &actor, &b).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// Open cases only.
    #[serde(default)]
    pub open: bool,
    #[serde(default)]
    pub limit: Option<i64>,
}

/// Cases by due date, open ones first, each with `overdue` and `days_left`.
#[utoipa::path(get, path = "/dsr/cases", tag = "rights", params(CaseQuery),
    responses((status = 200, body = [CaseView]), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn list_cases(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> Result<Json<Vec<CaseView>>, Problem> {
    Ok(Json(services::dsr::list_cases(&app, &actor, q.open, q.limit.unwrap_or(200)).await?))
}

/// One case, by id or reference.
#[utoipa::path(get, path = "/dsr/cases/{id}", tag = "rights", params(("id" = String, Path, description = "case id or reference")),
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get_case(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<Json<CaseView>, Problem> {
    Ok(Json(services::dsr::get_case(&app, &actor, &id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// known_identity, email_code or manual.
    pub identity_check: String,
    #[serde(default)]
    pub identity_evidence: Option<String>,
    #[serde(default)]
    pub identity_note: Option<String>,
}

/// Records how the requester's identity was checked; the case moves on to in progress.
#[utoipa::path(post, path = "/dsr/cases/{id}/identity", tag = "rights", params(("id" = String, Path, description = "case id or reference")), request_body = VerifyBody,
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn verify(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<VerifyBody>,
) -> Result<Json<CaseView>, Problem> {
    Ok(Json(
        services::dsr::verify_identity(&app, &actor, &id, &b.identity_check, b.identity_evidence.as_deref(), b.identity_note.as_deref())
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    /// One of the contact's known addresses; default its first.
    #[serde(default)]
    pub address: Option<String>,
}

/// Sends the requester a six-digit code for the identity check `email_code` (valid 30
/// minutes, five tries); then `POST …/identity` with `identity_check: email_code` and the code
/// as `identity_evidence`.
#[utoipa::path(post, path = "/dsr/cases/{id}/identity/code", tag = "rights", params(("id" = String, Path, description = "case id or reference")), request_body = CodeBody,
    responses((status = 202, body = CodeSent), (status = 403, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn send_code(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CodeBody>,
) -> Result<(StatusCode, Json<CodeSent>), Problem> {
    Ok((StatusCode::ACCEPTED, Json(services::dsr::send_identity_code(&app, &actor, &id, b.address.as_deref()).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendBody {
    pub reason: String,
    /// When the person was told of the extension (YYYY-MM-DD), before the first deadline.
    pub informed_on: String,
    /// The new deadline (YYYY-MM-DD); default the latest permitted.
    #[serde(default)]
    pub new_due: Option<String>,
}

/// Extends the deadline once by up to two further months (Art. 12(3)).
#[utoipa::path(post, path = "/dsr/cases/{id}/extension", tag = "rights", params(("id" = String, Path, description = "case id or reference")), request_body = ExtendBody,
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn extend(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ExtendBody>,
) -> Result<Json<CaseView>, Problem> {
    Ok(Json(services::dsr::extend(&app, &actor, &id, &b.reason, &b.informed_on, b.new_due.as_deref()).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    /// completed, rejected or cancelled.
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Closes a case: completed, rejected (with the reason) or cancelled.
#[utoipa::path(post, path = "/dsr/cases/{id}/close", tag = "rights", params(("id" = String, Path, description = "case id or reference")), request_body = CloseBody,
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn close(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CloseBody>,
) -> Result<Json<CaseView>, Problem> {
    Ok(Json(services::dsr::close_case(&app, &actor, &id, &b.status, b.reason.as_deref()).await?))
}

/// Corrects the contact of a rectification case (Art. 16) with the fields of the contact update
/// (absent fields stay, an empty string clears). Only once the identity is checked; audited
/// with the values before and after (sealed), recorded on the case, and every recipient of the
/// contact's data gets a notification task (Art. 19). Complete the case afterwards.
#[utoipa::path(post, path = "/dsr/cases/{id}/rectification", tag = "rights", params(("id" = String, Path, description = "case id or reference")), request_body = ContactInput,
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn rectify(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ContactInput>,
) -> Result<Json<CaseView>, Problem> {
    Ok(Json(services::rights::rectify(&app, &actor, &id, b).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NoticeQuery {
    /// Open tasks only.
    #[serde(default)]
    pub open: bool,
    /// The tasks of one request case (id).
    #[serde(default)]
    pub case_id: Option<String>,
    /// The tasks about one contact.
    #[serde(default)]
    pub contact_id: Option<String>,
    #[serde(default)]
    pub limit: Option<i64>,
}

/// Notification tasks for the recipients of rectified, erased or restricted data (Art. 19),
/// open ones first.
#[utoipa::path(get, path = "/dsr/notifications", tag = "rights", params(NoticeQuery),
    responses((status = 200, body = [NoticeView]), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn list_notifications(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> Result<Json<Vec<NoticeView>>, Problem> {
    let filter = obhut_store::recipient_notices::NoticeFilter { open_only: q.open, case_id: q.case_id, contact_id: q.contact_id };
    Ok(Json(services::recipients::notifications(&app, &actor, &filter, q.limit.unwrap_or(500)).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifiedBody {
    /// How and when the recipient was told.
    pub note: String,
}

/// Marks a notification task done, with a note on how the recipient was told.
#[utoipa::path(post, path = "/dsr/notifications/{id}/done", tag = "rights", params(("id" = String, Path, description = "notification task id")), request_body = NotifiedBody,
    responses((status = 200, body = NoticeView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn notification_done(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<NotifiedBody>,
) -> Result<Json<NoticeView>, Problem> {
    Ok(Json(services::recipients::mark_notified(&app, &actor, &id, &b.note).await?))
}
