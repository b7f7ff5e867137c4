//! The conversation on the ticket page: the messages as shown, and what the reply and comment
//! form holds (the form is posted to `web::tickets::post_message`).

use super::session::Web;
use crate::fmt;
use obhut_core::ticket::MessageKind;
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
