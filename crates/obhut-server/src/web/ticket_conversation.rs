//! The conversation on the ticket page: the messages, a reply to the customer (mailed through
//! the outbox) and an internal comment.

use super::page::see_other;
use super::session::{Posted, Web};
use crate::error::ServiceError;
use crate::fmt;
use crate::services::ticket_conversation as service;
use axum::extract::Path;
use axum::response::Response;
use obhut_core::ids::TicketId;
use obhut_core::ticket::{MessageInput, MessageKind};
use obhut_store::ticket_messages::MessageRecord;
use serde::Deserialize;

/// One message as the page shows it.
#[derive(Debug)]
pub struct MessageView {
    pub kind: &'static str,
    pub kind_label: String,
    /// Who wrote it: the staff member, or the customer's name and address.
    pub author: String,
    pub at: String,
    pub body: String,
    /// A reply: to whom; an answer: from where.
    pub address: Option<String>,
    pub attachments: Vec<String>,
}

/// What the reply and comment forms hold (kept when saving fails).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct MessageForm {
    pub body: String,
    /// "reply" or "comment": which form was sent.
    pub kind: String,
}

pub async fn views(web: &Web, list: Vec<MessageRecord>) -> Vec<MessageView> {
    let tr = web.tr();
    let names: std::collections::HashMap<_, _> =
        crate::services::tasks::assignees(&web.app, web.actor()).await.unwrap_or_default().into_iter().collect();
    list.into_iter()
        .map(|m| {
            let author = match (m.kind, m.author_id) {
                (MessageKind::Inbound, _) => m.text.name.clone().filter(|n| !n.is_empty()).or_else(|| m.text.address.clone()).unwrap_or_default(),
                (_, Some(u)) => names.get(&u).cloned().unwrap_or_else(|| tr.t("tickets.former_user").to_string()),
                (_, None) => tr.t("tickets.former_user").to_string(),
            };
            MessageView {
                kind: m.kind.as_str(),
                kind_label: tr.v("ticket_message", m.kind.as_str()),
                author,
                at: fmt::datetime(tr.lang, m.created_at),
                body: m.text.body,
                address: m.text.address,
                attachments: m.text.attachments,
            }
        })
        .collect()
}

/// `POST /tickets/{id}/messages`: a reply to the customer (`kind=reply`) or an internal
/// comment (`kind=comment`). A refusal shows the page again with the text kept.
pub async fn post_message(Path(id): Path<String>, Posted { web, form }: Posted<MessageForm>) -> Response {
    let Ok(tid) = TicketId::parse(&id) else { return web.not_found() };
    let input = MessageInput { body: Some(form.body.clone()) };
    let done = match form.kind.as_str() {
        "reply" => service::reply(&web.app, web.actor(), tid, &input).await.map(|_| "replied"),
        "comment" => service::comment(&web.app, web.actor(), tid, &input).await.map(|_| "commented"),
        _ => Err(ServiceError::field("kind", "must be one of reply, comment")),
    };
    match done {
        Ok(flash) => see_other(&format!("/tickets/{tid}?flash={flash}#conversation")),
        Err(ServiceError::Validation(v)) => {
            let errs = super::page::Errs::from_validation(web.tr(), &v, &[], &["body"]);
            super::tickets::show(&web, &id, form, errs).await
        }
        Err(e) => web.fail(e),
    }
}
