//! The ticket conversation: replies mailed to the customer through the outbox, the customer's
//! answers taken in from the support mailbox, and internal comments. Every message is sealed
//! under the ticket's key subject, every change audited, every read logged; a reply to a
//! restricted contact (Art. 18) waits in the outbox like any mail to them.

use super::{access, audit_entry};
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Resource};
use obhut_core::ids::{TicketId, TicketMessageId};
use obhut_core::ticket::{awaits_answer, MessageInput, MessageKind, MessageText, TicketStatus};
use obhut_store::ticket_messages::{self as repo, MessageRecord, NewMessage};
use mail_parser::MimeHeaders;
use obhut_store::tickets::{self as tickets_repo, TicketRecord};

/// The purpose a reply reads the customer's address for.
pub const SERVICE_PURPOSE: &str = "customer_service";

/// The key subject a ticket's texts are sealed under.
fn key_subject(t: &TicketRecord) -> ServiceResult<String> {
    t.draft
        .contact_id
        .map(|c| c.to_string())
        .or_else(|| t.draft.organization_id.map(|o| o.to_string()))
        .ok_or_else(|| ServiceError::Internal("a ticket without a contact or organization".into()))
}

async fn load(app: &App, id: TicketId) -> ServiceResult<TicketRecord> {
    tickets_repo::read_ticket(&app.store, id).await?.ok_or(ServiceError::NotFound("ticket"))
}

/// A ticket's conversation, oldest first: the actor may read the ticket; the read is logged
/// (the field `messages`, for the purpose given).
pub async fn messages(app: &App, actor: &Actor, id: TicketId, purpose: &str) -> ServiceResult<Vec<MessageRecord>> {
    access::check_purpose(app, actor, Resource::Ticket, purpose, Some(&id.to_string())).await?;
    let t = load(app, id).await?;
    access::authorize(app, actor, Action::Read, Resource::Ticket, &t.facts, purpose, &id.to_string()).await?;
    let mut conn = app.conn().await?;
    let list = repo::list(&mut conn, &app.store.crypto, id).await?;
    drop(conn);
    if !list.is_empty() {
        let read = access::Read { id: id.to_string(), subject: t.facts.subject.map(|s| s.to_string()), fields: vec!["messages".into()] };
        access::log_reads(app, actor, Resource::Ticket, purpose, vec![read]).await?;
    }
    Ok(list)
}

/// An internal comment: seen by staff who may read the ticket, never mailed.
pub async fn comment(app: &App, actor: &Actor, id: TicketId, input: &MessageInput) -> ServiceResult<MessageRecord> {
    let body = input.validate()?;
    let t = load(app, id).await?;
    access::authorize(app, actor, Action::Update, Resource::Ticket, &t.facts, "", &id.to_string()).await?;
    let subject = key_subject(&t)?;
    let now = app.now_ms();
    let mid = TicketMessageId::new();
    let text = MessageText { body, ..Default::default() };
    let mut w = app.audited(now).await?;
    let m = NewMessage {
        id: mid,
        ticket_id: id,
        kind: MessageKind::Comment,
        author_id: actor.user_id,
        key_subject: &subject,
        text: &text,
        mail_ref: None,
        outbox_id: None,
        at: now,
    };
    repo::insert(&mut w.tx, &app.store.crypto, &m).await?;
    w.record(&[audit_entry(actor, "ticket.comment", "ticket", id, t.draft.contact_id.map(|c| c.to_string()), vec!["body".into()])]);
    w.commit(app).await?;
    Ok(MessageRecord {
        id: mid,
        ticket_id: id,
        kind: MessageKind::Comment,
        author_id: actor.user_id,
        text,
        outbox_id: None,
        created_at: now,
    })
}

/// A reply to the customer: mailed to the contact's primary address through the outbox (From:
/// the house's sender, Reply-To: the support mailbox, threaded on the conversation so far, the
/// subject naming "[Ticket #n]"), recorded on the ticket, which then waits for the customer and
/// owes no answer. The address is read through the gate for customer service (logged).
pub async fn reply(app: &App, actor: &Actor, id: TicketId, input: &MessageInput) -> ServiceResult<MessageRecord> {
    let body = input.validate()?;
    let t = load(app, id).await?;
    access::authorize(app, actor, Action::Update, Resource::Ticket, &t.facts, "", &id.to_string()).await?;
    let Some(cid) = t.draft.contact_id else {
        return Err(ServiceError::field("body", "the ticket is about no contact, so there is nobody to write to"));
    };
    let contact = super::contacts::get_for(app, actor, cid, SERVICE_PURPOSE).await?;
    let Some(address) = contact.personal.primary_email().map(|e| e.to_string()) else {
        return Err(ServiceError::field("body", "the contact has no email address to write to"));
    };
    let name = contact.personal.display_name();
    let subject = key_subject(&t)?;
    let lang = contact.language.as_deref().and_then(crate::i18n::Lang::parse).unwrap_or(crate::i18n::Lang::De);
    let mut conn = app.conn().await?;
    let earlier = repo::list(&mut conn, &app.store.crypto, id).await?;
    drop(conn);
    // The conversation so far, for the customer's mail program to thread the reply.
    let refs: Vec<String> = earlier.iter().filter_map(|m| m.text.message_id.clone()).rev().take(20).collect::<Vec<_>>().into_iter().rev().collect();
    let mail_subject = format!(
        "{}: {} [Ticket #{}]",
        crate::i18n::t(lang, "tickets.mail_re"),
        t.draft.text.title.replace(['\r', '\n'], " "),
        t.number
    );
    let from = super::mail::sender(app).await;
    let now = app.now_ms();
    let outbox_id = uuid::Uuid::now_v7().to_string();
    let html = format!("<p>{}</p>", escape(&body).replace("\n\n", "</p><p>").replace('\n', "<br>"));
    let compose = super::mail::Compose {
        to_name: (!name.is_empty()).then_some(name.as_str()),
        to: &address,
        subject: &mail_subject,
        text: body.clone(),
        html,
        language: lang.code(),
        unsubscribe: None,
    };
    let thread = super::mail::Thread { reply_to: app.config.support_address.as_deref(), references: refs };
    let (message_id, queued) = super::mail::compose_reply(&from, &outbox_id, &compose, &thread)?;
    let mid = TicketMessageId::new();
    let text = MessageText {
        body,
        address: Some(address),
        name: None,
        subject: Some(mail_subject),
        attachments: vec![],
        message_id: Some(message_id.clone()),
    };
    let mut w = app.audited(now).await?;
    obhut_store::outbox::enqueue(&mut w.tx, &app.store.crypto, &outbox_id, "ticket_reply", Some(&cid.to_string()), &message_id, &queued, now)
        .await?;
    let m = NewMessage {
        id: mid,
        ticket_id: id,
        kind: MessageKind::Reply,
        author_id: actor.user_id,
        key_subject: &subject,
        text: &text,
        mail_ref: Some(repo::mail_ref(&app.store.crypto, &message_id)),
        outbox_id: Some(&outbox_id),
        at: now,
    };
    repo::insert(&mut w.tx, &app.store.crypto, &m).await?;
    // Answered: the ticket waits for the customer (unless it was closed with this reply).
    let status = if matches!(t.draft.status, TicketStatus::Resolved | TicketStatus::Closed) { t.draft.status } else { TicketStatus::Waiting };
    tickets_repo::set_flow(&mut w.tx, id, status, None, now).await?;
    let mut fields = vec!["body".to_string(), "email".into()];
    if status != t.draft.status {
        fields.push(format!("status={}", status.as_str()));
    }
    fields.push(format!("messages={}", earlier.len() + 1));
    w.record(&[audit_entry(actor, "ticket.reply", "ticket", id, Some(cid.to_string()), fields)]);
    w.commit(app).await?;
    app.outbox_wake.notify_one();
    Ok(MessageRecord { id: mid, ticket_id: id, kind: MessageKind::Reply, author_id: actor.user_id, text, outbox_id: Some(outbox_id), created_at: now })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// What became of one mail from the support mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakenIn {
    /// Recorded on this ticket.
    Recorded(TicketId),
    /// Taken in before (the same Message-ID), or one of our own replies.
    Duplicate,
    /// Belongs to no ticket this house can tell: left in the mailbox for a person.
    Unmatched,
}

/// A mail from the support mailbox: recorded on the ticket it answers, found by the
/// Message-IDs it refers to (In-Reply-To, References), else by "[Ticket #n]" in its subject
/// where the sender is an address of the ticket's contact. The ticket is reopened and an
/// answer is due by the SLA. Audited as `ticket.mail_in` by the mailbox job.
pub async fn take_in(app: &App, raw: &[u8]) -> ServiceResult<TakenIn> {
    let Some(mail) = mail_parser::MessageParser::default().parse(raw) else { return Ok(TakenIn::Unmatched) };
    let crypto = &app.store.crypto;
    let own_ref = mail.message_id().map(|m| repo::mail_ref(crypto, m));
    let mut refs: Vec<Vec<u8>> = Vec::new();
    for h in [mail.in_reply_to(), mail.references()] {
        if let Some(list) = h.as_text_list() {
            refs.extend(list.iter().map(|r| repo::mail_ref(crypto, r)));
        } else if let Some(one) = h.as_text() {
            refs.extend(one.split_whitespace().map(|r| repo::mail_ref(crypto, r)));
        }
    }
    let sender = mail.from().and_then(|f| f.first()).and_then(|a| a.address()).map(str::to_string);
    let sender_name = mail.from().and_then(|f| f.first()).and_then(|a| a.name()).map(str::to_string);
    let subject_line = mail.subject().unwrap_or("").to_string();
    let mut conn = app.conn().await?;
    if let Some(r) = &own_ref {
        if repo::known(&mut conn, r).await? {
            return Ok(TakenIn::Duplicate);
        }
    }
    let mut ticket = repo::ticket_of_refs(&mut conn, &refs).await?;
    if ticket.is_none() {
        if let (Some(n), Some(from)) = (obhut_core::ticket::number_in_subject(&subject_line), sender.as_deref()) {
            if let Some(tid) = tickets_repo::id_by_number(&mut conn, n).await? {
                // A number in a subject is easy to guess: only the ticket's own contact may answer by it.
                let contact = tickets_repo::find_ticket(&mut conn, crypto, tid).await?.and_then(|t| t.draft.contact_id);
                if let (Some(c), Ok(addr)) = (contact, obhut_core::email::EmailAddress::parse(from)) {
                    let token = obhut_store::contacts::BlindToken::new(crypto, obhut_store::contacts::BlindKind::Email, &addr.normalized());
                    let ids = obhut_store::contacts::ids_by_token(&mut conn, &token, 100).await?;
                    if ids.contains(&c.to_string()) {
                        ticket = Some(tid);
                    }
                }
            }
        }
    }
    drop(conn);
    let Some(tid) = ticket else { return Ok(TakenIn::Unmatched) };
    let t = load(app, tid).await?;
    let subject = key_subject(&t)?;
    let mut body = mail.body_text(0).map(|b| b.into_owned()).unwrap_or_default();
    if body.len() > obhut_core::ticket::MESSAGE_MAX {
        let mut cut = obhut_core::ticket::MESSAGE_MAX;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    }
    let attachments: Vec<String> = mail.attachments().map(|a| a.attachment_name().unwrap_or("–").to_string()).collect();
    let text = MessageText {
        body: body.trim().to_string(),
        address: sender,
        name: sender_name,
        subject: Some(subject_line),
        attachments,
        message_id: mail.message_id().map(|m| format!("<{}>", m.trim_matches(['<', '>']))),
    };
    let now = app.now_ms();
    let job = Actor::job("support-mailbox");
    let mut w = app.audited(now).await?;
    let m = NewMessage {
        id: TicketMessageId::new(),
        ticket_id: tid,
        kind: MessageKind::Inbound,
        author_id: None,
        key_subject: &subject,
        text: &text,
        mail_ref: own_ref,
        outbox_id: None,
        at: now,
    };
    repo::insert(&mut w.tx, crypto, &m).await?;
    // The customer wrote: the ticket is open again and owes an answer by its SLA.
    let status = if awaits_answer(t.draft.status) { t.draft.status } else { TicketStatus::Open };
    tickets_repo::set_flow(&mut w.tx, tid, status, Some(app.config.ticket_sla.due(t.draft.priority, now)), now).await?;
    let mut fields = vec!["body".to_string(), "email".into()];
    if status != t.draft.status {
        fields.push(format!("status={}", status.as_str()));
    }
    w.record(&[audit_entry(&job, "ticket.mail_in", "ticket", tid, t.draft.contact_id.map(|c| c.to_string()), fields)]);
    w.commit(app).await?;
    Ok(TakenIn::Recorded(tid))
}

/// When a ticket's next answer is due after a change: a new ticket or one that owes an answer
/// again counts from now; a changed priority moves the clock; waiting, resolved and closed
/// tickets owe none.
pub fn due_after_change(app: &App, before: Option<&TicketRecord>, d: &obhut_core::ticket::TicketDraft, now: i64) -> Option<i64> {
    if !awaits_answer(d.status) {
        return None;
    }
    let sla = &app.config.ticket_sla;
    match before {
        Some(b) if awaits_answer(b.draft.status) => match b.due_at {
            Some(due) if b.draft.priority != d.priority => Some(due - sla.hours(b.draft.priority) * 3_600_000 + sla.hours(d.priority) * 3_600_000),
            Some(due) => Some(due),
            None => Some(sla.due(d.priority, now)),
        },
        _ => Some(sla.due(d.priority, now)),
    }
}
