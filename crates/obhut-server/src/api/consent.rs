//! Consent over the API: the ledger of a contact, double opt-in requests, recording and
//! withdrawing, receipts, audiences and their export, the review queue and the notices.

use super::extract::{parse_id, ApiActor, ApiJson, ApiQuery};
use super::problem::Problem;
use crate::app::App;
use crate::services;
use crate::services::consent::{AudienceSummary, RecordInput, Segment};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use obhut_core::ids::ContactId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(overview, record))
        .routes(routes!(request))
        .routes(routes!(withdraw))
        .routes(routes!(receipt))
        .routes(routes!(audience))
        .routes(routes!(export))
        .routes(routes!(review_queue, run_review))
        .routes(routes!(statistics))
        .routes(routes!(save_notice))
}

/// A contact's consents: every ledger event with its notice and evidence, the derived state of
/// each consent (DPV names) and the permission per purpose and channel with its reason.
#[utoipa::path(get, path = "/contacts/{id}/consents", tag = "consent", params(("id" = String, Path, description = "contact id")),
    responses((status = 200, body = Object), (status = 410, body = Problem, description = "the contact was erased"), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn overview(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, Problem> {
    // An id that cannot be a contact's names nothing: 404, as on every other contact route.
    parse_id(&id, ContactId::parse)?;
    let o = services::consent::overview(&app, &actor, &id).await?;
    Ok(Json(serde_json::to_value(o).unwrap_or_default()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    pub purpose: String,
    /// email (double opt-in works by email).
    #[serde(default = "email")]
    pub channel: String,
    #[serde(default)]
    pub topic: Option<String>,
    /// One of the contact's addresses; default its first.
    #[serde(default)]
    pub address: Option<String>,
    /// de or en; default the contact's language.
    #[serde(default)]
    pub language: Option<String>,
}

fn email() -> String {
    "email".into()
}

/// Sends a double opt-in mail: the consent stays pending (not counted) until its link is
/// confirmed. At most a few requests per address and day (429 beyond).
#[utoipa::path(post, path = "/contacts/{id}/consents/request", tag = "consent", params(("id" = String, Path, description = "contact id")), request_body = RequestBody,
    responses((status = 202, body = Object), (status = 403, body = Problem), (status = 410, body = Problem, description = "the contact was erased"), (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)),
    security(("bearer" = [])))]
pub async fn request(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RequestBody>,
) -> Result<Response, Problem> {
    parse_id(&id, ContactId::parse)?;
    let r = services::consent::request(
        &app,
        &actor,
        &id,
        &b.purpose,
        &b.channel,
        b.topic.as_deref(),
        b.address.as_deref(),
        b.language.as_deref(),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(serde_json::to_value(r).unwrap_or_default())).into_response())
}

/// Records a consent event with its evidence: given (paper, recorded call …), refused,
/// withdrawn, an out-of-band confirmation, renewed, an objection (Art. 21(3)) or its lifting,
/// or the § 7(3) UWG / presumed-consent basis.
#[utoipa::path(post, path = "/contacts/{id}/consents", tag = "consent", params(("id" = String, Path, description = "contact id")), request_body = RecordInput,
    responses((status = 201, body = ConsentEventOut), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 410, body = Problem, description = "the contact was erased")),
    security(("bearer" = [])))]
pub async fn record(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RecordInput>,
) -> Result<(StatusCode, Json<ConsentEventOut>), Problem> {
    parse_id(&id, ContactId::parse)?;
    let e = services::consent::record(&app, &actor, &id, &b).await?;
    let body = ConsentEventOut {
        id: e.id,
        seq: e.seq,
        contact_id: e.contact_id,
        purpose: e.purpose,
        channel: e.channel.as_str().into(),
        topic: e.topic,
        kind: e.kind.as_str().into(),
        method: e.method.as_str().into(),
        at: crate::fmt::rfc3339(e.at),
        notice_id: e.notice_id,
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// A recorded consent event.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentEventOut {
    pub id: String,
    /// Its place in the ledger.
    pub seq: i64,
    pub contact_id: String,
    pub purpose: String,
    pub channel: String,
    pub topic: String,
    pub kind: String,
    pub method: String,
    /// RFC 3339.
    pub at: String,
    /// The notice shown when the consent was given.
    #[schema(required = true)]
    pub notice_id: Option<String>,
}

/// A withdrawal as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct WithdrawnOut {
    pub id: String,
    /// `withdrawn`.
    pub kind: String,
    /// RFC 3339.
    pub at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    pub purpose: String,
    pub channel: String,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Withdraws a consent (Art. 7(3)).
#[utoipa::path(post, path = "/contacts/{id}/consents/withdraw", tag = "consent", params(("id" = String, Path, description = "contact id")), request_body = WithdrawBody,
    responses((status = 201, body = WithdrawnOut), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 410, body = Problem, description = "the contact was erased")),
    security(("bearer" = [])))]
pub async fn withdraw(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<WithdrawBody>,
) -> Result<(StatusCode, Json<WithdrawnOut>), Problem> {
    parse_id(&id, ContactId::parse)?;
    let e = services::consent::withdraw(&app, &actor, &id, &b.purpose, &b.channel, b.topic.as_deref(), b.note.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(WithdrawnOut { id: e.id, kind: e.kind.as_str().into(), at: crate::fmt::rfc3339(e.at) })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReceiptQuery {
    pub purpose: String,
    pub channel: String,
    pub topic: Option<String>,
}

/// A consent record as an ISO/IEC TS 27560 (Kantara) style receipt.
#[utoipa::path(get, path = "/contacts/{id}/consents/receipt", tag = "consent", params(("id" = String, Path, description = "contact id"), ReceiptQuery),
    responses((status = 200, body = Object), (status = 403, body = Problem), (status = 410, body = Problem, description = "the contact was erased"), (status = 404, body = Problem),
        (status = 422, body = Problem, description = "an unknown purpose or channel")),
    security(("bearer" = [])))]
pub async fn receipt(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ReceiptQuery>,
) -> Result<Json<serde_json::Value>, Problem> {
    parse_id(&id, ContactId::parse)?;
    Ok(Json(services::consent::receipt(&app, &actor, &id, &q.purpose, &q.channel, q.topic.as_deref()).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AudienceQuery {
    pub purpose: String,
    pub channel: String,
    pub topic: Option<String>,
    /// Segment: contacts with this tag.
    pub tag: Option<String>,
    /// Segment: b2b or b2c.
    pub kind: Option<String>,
    /// Segment: contacts of this language.
    pub language: Option<String>,
    /// csv (default) for the export.
    pub format: Option<String>,
    /// Who receives the export (logged with the disclosure).
    pub recipient: Option<String>,
    /// Export the contacts left out, with their reasons, instead.
    pub excluded: Option<bool>,
}

impl AudienceQuery {
    fn segment(&self) -> Segment {
        Segment { tag: self.tag.clone(), kind: self.kind.clone(), language: self.language.clone() }
    }
}

/// The permitted audience of a segment for a purpose and channel: how many are in, how many
/// are left out and why.
#[utoipa::path(get, path = "/audiences", tag = "consent", params(AudienceQuery),
    responses((status = 200, body = AudienceSummary), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn audience(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<AudienceQuery>,
) -> Result<Json<AudienceSummary>, Problem> {
    let s = services::consent::audience(&app, &actor, &q.purpose, &q.channel, q.topic.as_deref(), &q.segment()).await?;
    Ok(Json(s))
}

/// Exports the permitted audience as CSV (a disclosure: logged with its recipient, and a use
/// of each consent under § 7a UWG), or with `excluded=true` those left out with their reasons.
#[utoipa::path(get, path = "/audiences/export", tag = "consent", params(AudienceQuery),
    responses((status = 200, description = "the audience as CSV", content_type = "text/csv", body = String,
            headers(("x-audience-permitted" = String, description = "how many contacts are permitted"))), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn export(State(app): State<App>, ApiActor(actor): ApiActor, ApiQuery(q): ApiQuery<AudienceQuery>) -> Result<Response, Problem> {
    if let Some(f) = q.format.as_deref().filter(|f| *f != "csv") {
        return Err(super::problem::bad_request("format", format!("'{f}' is not an audience format: use csv")));
    }
    let mut buf: Vec<u8> = Vec::new();
    let s = services::consent::export_csv(
        &app,
        &actor,
        &q.purpose,
        &q.channel,
        q.topic.as_deref(),
        &q.segment(),
        q.recipient.as_deref(),
        q.excluded.unwrap_or(false),
        &mut buf,
    )
    .await?;
    let mut r = buf.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"audience-{}-{}.csv\"", s.purpose, s.channel)) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&s.permitted.to_string()) {
        r.headers_mut().insert("x-audience-permitted", v);
    }
    Ok(r)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    pub limit: Option<i64>,
}

/// Consents due for review: given or renewed, and unused, longer than the configured months.
#[utoipa::path(get, path = "/consents/review", tag = "consent", params(ReviewQuery),
    responses((status = 200, body = [Object], description = "contact_id, purpose, channel, topic, given_at and last_used (milliseconds) of each due consent"),
        (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn review_queue(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ReviewQuery>,
) -> Result<Json<serde_json::Value>, Problem> {
    let items = services::consent::review_queue(&app, &actor, q.limit.unwrap_or(100)).await?;
    Ok(Json(serde_json::to_value(items).unwrap_or_default()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// Send re-confirmation mails for due email consents.
    #[serde(default)]
    pub send: bool,
    /// End due consents as expired.
    #[serde(default)]
    pub expire: bool,
    #[serde(default)]
    pub limit: Option<i64>,
}

/// Runs the review: re-confirmation mails, or expiry.
#[utoipa::path(post, path = "/consents/review", tag = "consent", request_body = ReviewBody,
    responses((status = 200, body = Object), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn run_review(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<ReviewBody>,
) -> Result<Json<serde_json::Value>, Problem> {
    if b.send == b.expire {
        return Err(super::problem::bad_request("send", "choose one: send re-confirmation mails, or expire"));
    }
    let r = services::consent::review(&app, &actor, b.send, b.expire, b.limit.unwrap_or(100)).await?;
    Ok(Json(serde_json::to_value(r).unwrap_or_default()))
}

/// Statistics: events by purpose, channel and kind; the review queue's length; the outbox;
/// the notices.
#[utoipa::path(get, path = "/consents/statistics", tag = "consent",
    responses((status = 200, body = Object), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn statistics(State(app): State<App>, ApiActor(actor): ApiActor) -> Result<Json<serde_json::Value>, Problem> {
    Ok(Json(serde_json::to_value(services::consent::statistics(&app, &actor).await?).unwrap_or_default()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeBody {
    pub purpose: String,
    pub channel: String,
    pub language: String,
    pub text: String,
}

/// Saves a new version of a notice text (kept word for word, hashed).
#[utoipa::path(post, path = "/consents/notices", tag = "consent", request_body = NoticeBody,
    responses((status = 201, body = Object), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn save_notice(State(app): State<App>, ApiActor(actor): ApiActor, ApiJson(b): ApiJson<NoticeBody>) -> Result<Response, Problem> {
    let n = services::consent::save_notice(&app, &actor, &b.purpose, &b.channel, &b.language, &b.text).await?;
    Ok((StatusCode::CREATED, Json(serde_json::to_value(n).unwrap_or_default())).into_response())
}
