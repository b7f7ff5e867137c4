//! `/api/v1/tickets/{id}/messages`, `/replies` and `/comments`: a ticket's conversation (read
//! logged), a reply mailed to the customer through the outbox, and an internal comment.

use super::extract::{parse_id, ApiActor, ApiJson, ApiQuery};
use super::problem::Problem;
use crate::app::App;
use crate::fmt::rfc3339;
use crate::services::ticket_conversation as service;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use obhut_core::ids::{TicketId, TicketMessageId, UserId};
use obhut_core::ticket::{MessageInput, MessageKind};
use obhut_store::ticket_messages::MessageRecord;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list_messages)).routes(routes!(post_reply)).routes(routes!(post_comment))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageOut {
    pub id: TicketMessageId,
    pub ticket_id: TicketId,
    /// reply (mailed to the customer), inbound (the customer's answer) or comment (internal).
    pub kind: MessageKind,
    /// The staff member who wrote a reply or comment.
    #[schema(required = true)]
    pub author_id: Option<UserId>,
    pub body: String,
    /// A reply: the address it went to; an answer: the address it came from.
    #[schema(required = true)]
    pub address: Option<String>,
    /// An answer: the sender's name.
    #[schema(required = true)]
    pub name: Option<String>,
    /// The mail's subject (replies and answers).
    #[schema(required = true)]
    pub subject: Option<String>,
    /// An answer's attachments by name (they are not taken in).
    pub attachments: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
}

impl From<MessageRecord> for MessageOut {
    fn from(m: MessageRecord) -> Self {
        Self {
            id: m.id,
            ticket_id: m.ticket_id,
            kind: m.kind,
            author_id: m.author_id,
            body: m.text.body,
            address: m.text.address,
            name: m.text.name,
            subject: m.text.subject,
            attachments: m.text.attachments,
            created_at: rfc3339(m.created_at),
        }
    }
}

/// A ticket's conversation, oldest first. The read is logged with its purpose.
#[utoipa::path(get, path = "/tickets/{id}/messages", tag = "tickets",
    params(("id" = String, Path, description = "ticket id"), super::extract::ReadQuery),
    responses((status = 200, body = Vec<MessageOut>), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem, description = "unknown purpose")),
    security(("bearer" = [])))]
pub async fn list_messages(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<super::extract::ReadQuery>,
) -> Result<Json<Vec<MessageOut>>, Problem> {
    let purpose = q.purpose.as_deref().unwrap_or(service::SERVICE_PURPOSE);
    let list = service::messages(&app, &actor, parse_id(&id, TicketId::parse)?, purpose).await?;
    Ok(Json(list.into_iter().map(MessageOut::from).collect()))
}

/// Reply to the customer: mailed to the contact's primary address through the outbox (held
/// while the contact is restricted), threaded on the conversation, with "[Ticket #n]" in the
/// subject; the ticket then waits for the customer.
#[utoipa::path(post, path = "/tickets/{id}/replies", tag = "tickets",
    params(("id" = String, Path, description = "ticket id")), request_body = MessageInput,
    responses((status = 201, body = MessageOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem, description = "no body, or no contact or address to write to")),
    security(("bearer" = [])))]
pub async fn post_reply(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MessageInput>,
) -> Result<(StatusCode, Json<MessageOut>), Problem> {
    let m = service::reply(&app, &actor, parse_id(&id, TicketId::parse)?, &input).await?;
    Ok((StatusCode::CREATED, Json(m.into())))
}

/// Add an internal comment (staff only; never mailed).
#[utoipa::path(post, path = "/tickets/{id}/comments", tag = "tickets",
    params(("id" = String, Path, description = "ticket id")), request_body = MessageInput,
    responses((status = 201, body = MessageOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem, description = "no body")),
    security(("bearer" = [])))]
pub async fn post_comment(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MessageInput>,
) -> Result<(StatusCode, Json<MessageOut>), Problem> {
    let m = service::comment(&app, &actor, parse_id(&id, TicketId::parse)?, &input).await?;
    Ok((StatusCode::CREATED, Json(m.into())))
}
