//! Art. 19: the recipients of a contact's data (processors, third parties of exports), told
//! of each rectification, erasure and restriction: the notices to send and their record.

use super::audit_entry;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::Actor;
use obhut_core::ids::ContactId;
use obhut_store::contacts::ContactRecord;
use obhut_store::recipient_notices::{self as notices, Notice, NoticeFilter};
use serde::Serialize;

use super::cases::{authorize, text};

/// The events a recipient is told of.
pub const EVENTS: [&str; 4] = ["rectification", "erasure", "restriction", "restriction_lifted"];

/// The recipients the disclosure log knows for a contact: processors and third parties that
/// received its data (audience exports, processors' accesses, named exports in the trail), by
/// the name the Art. 15 report gives them. Read inside the caller's transaction.
pub(crate) async fn recipients_of(conn: &mut obhut_store::Conn, record: &ContactRecord) -> ServiceResult<Vec<String>> {
    let sid = record.id.to_string();
    let processors = obhut_store::policies::list_processors(conn).await?;
    let disclosures = obhut_store::consent::disclosures_of(conn, &sid).await?;
    let events = notices::disclosure_events(conn, &sid).await?;
    Ok(super::dsr_report::recipients(record, &[], &processors, &disclosures, &events)
        .into_iter()
        .filter(|r| r.known_from.iter().any(|k| k == "disclosure_log" || k == "audit_trail"))
        .map(|r| r.recipient)
        .collect())
}

/// Creates one notification task per recipient of the contact's data for `event`, inside the
/// caller's transaction, with one audit event naming how many. Returns how many were created
/// (none for an unknown contact or one without recipients).
pub(crate) async fn notify_recipients(
    app: &App,
    tx: &mut obhut_store::Conn,
    actor: &Actor,
    id: ContactId,
    event: &str,
    case_id: Option<&str>,
    now: i64,
) -> ServiceResult<usize> {
    let Some(record) = obhut_store::contacts::find_contact(tx, &app.store.crypto, id).await? else { return Ok(0) };
    let recipients = recipients_of(tx, &record).await?;
    if recipients.is_empty() {
        return Ok(0);
    }
    let sid = id.to_string();
    let list: Vec<Notice> = recipients
        .iter()
        .map(|r| Notice {
            id: uuid::Uuid::now_v7().to_string(),
            recipient: r.clone(),
            contact_id: sid.clone(),
            event: event.into(),
            case_id: case_id.map(str::to_string),
            created_at: now,
            created_by: actor.audit_name(),
            done_at: None,
            done_by: None,
            note: None,
        })
        .collect();
    notices::insert(tx, &list).await?;
    let mut e = audit_entry(
        actor,
        "recipient_notice.create",
        "contact",
        &sid,
        Some(sid.clone()),
        vec![format!("event={event}"), format!("count={}", list.len())],
    );
    e.purpose = Some("data_subject_rights".into());
    obhut_store::audit::append(tx, &app.store.crypto, now, &[e]).await?;
    Ok(list.len())
}

/// A notification task as the API, the CLI and the UI show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeView {
    pub id: String,
    pub recipient: String,
    pub contact_id: String,
    /// rectification, erasure, restriction or restriction_lifted.
    pub event: String,
    /// The request case it belongs to (id).
    pub case_id: Option<String>,
    pub created_at: i64,
    pub created_by: String,
    pub done: bool,
    pub done_at: Option<i64>,
    pub done_by: Option<String>,
    /// How and when the recipient was told.
    pub note: Option<String>,
}

impl From<Notice> for NoticeView {
    fn from(n: Notice) -> Self {
        Self {
            done: n.done_at.is_some(),
            id: n.id,
            recipient: n.recipient,
            contact_id: n.contact_id,
            event: n.event,
            case_id: n.case_id,
            created_at: n.created_at,
            created_by: n.created_by,
            done_at: n.done_at,
            done_by: n.done_by,
            note: n.note,
        }
    }
}

/// Notification tasks, open ones first (DPO and administrators).
pub async fn notifications(app: &App, actor: &Actor, filter: &NoticeFilter, limit: i64) -> ServiceResult<Vec<NoticeView>> {
    authorize(app, actor).await?;
    let mut conn = app.conn().await?;
    Ok(notices::list(&mut conn, &app.store.crypto, filter, limit).await?.into_iter().map(NoticeView::from).collect())
}

/// Marks a task done: the note says how and when the recipient was told.
pub async fn mark_notified(app: &App, actor: &Actor, id: &str, note: &str) -> ServiceResult<NoticeView> {
    authorize(app, actor).await?;
    let note = text("note", Some(note), Some("say how and when the recipient was told"))?.unwrap_or_default();
    let id = id.trim();
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let n = notices::find(&mut w.tx, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("notification"))?;
    if n.done_at.is_some() {
        return Err(ServiceError::Conflict(format!("the notification of {} is done already", n.recipient)));
    }
    notices::mark_done(&mut w.tx, &app.store.crypto, id, now, &actor.audit_name(), &note).await?;
    let mut e =
        audit_entry(actor, "recipient_notice.done", "recipient_notice", id, Some(n.contact_id.clone()), vec![format!("event={}", n.event)]);
    e.purpose = Some("data_subject_rights".into());
    w.record(&[e]);
    let done = notices::find(&mut w.tx, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("notification"))?;
    w.commit(app).await?;
    Ok(done.into())
}
