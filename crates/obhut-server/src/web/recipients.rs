//! Telling the recipients (Art. 19) in the UI: the open notices of rectifications, erasures
//! and restrictions, and marking one as done with how the recipient was told.

use super::page::{render_status, see_other, Ctx, Errs};
use super::rights::message;
use super::session::{Posted, Web};
use crate::error::ServiceError;
use crate::fmt;
use crate::i18n::Tr;
use crate::services::recipients::NoticeView;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use obhut_store::recipient_notices::NoticeFilter;
use serde::Deserialize;

/// One task as the lists show it.
pub(super) struct NoticeRow {
    pub id: String,
    pub recipient: String,
    pub contact_id: String,
    pub event: String,
    pub case_id: Option<String>,
    pub created: String,
    pub done: bool,
    pub done_on: String,
    pub note: String,
}

impl NoticeRow {
    pub(super) fn new(tr: Tr, n: NoticeView) -> Self {
        Self {
            id: n.id,
            recipient: n.recipient,
            contact_id: n.contact_id,
            event: tr.v("rights.event", &n.event),
            case_id: n.case_id,
            created: fmt::datetime(tr.lang, n.created_at),
            done: n.done_at.is_some(),
            done_on: n.done_at.map(|t| fmt::datetime(tr.lang, t)).unwrap_or_default(),
            note: n.note.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct NoticeQuery {
    /// `all`: done tasks too.
    show: String,
}

#[derive(Template)]
#[template(path = "rights/notifications.html")]
pub(super) struct NoticesPage {
    ctx: Ctx,
    notices: Vec<NoticeRow>,
    show_all: bool,
    errs: Errs,
    /// Where a "mark as told" form returns to: this list.
    back: String,
}

pub(super) async fn notices_page(web: &Web, show_all: bool, errs: Errs, status: StatusCode) -> Response {
    let tr = web.tr();
    let filter = NoticeFilter { open_only: !show_all, ..Default::default() };
    let notices = match crate::services::recipients::notifications(&web.app, web.actor(), &filter, 2000).await {
        Ok(l) => l.into_iter().map(|n| NoticeRow::new(tr, n)).collect(),
        Err(e) => return web.fail(e),
    };
    render_status(status, &NoticesPage { ctx: web.ctx("privacy"), notices, show_all, errs, back: String::new() })
}

/// `GET /privacy/notifications`: the recipients still to be told, oldest first.
pub async fn notifications(web: Web, Query(q): Query<NoticeQuery>) -> Response {
    notices_page(&web, q.show == "all", Errs::none(), StatusCode::OK).await
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct DoneForm {
    note: String,
    /// Where to go back to: `case:<id>` or the list.
    back: String,
}

/// `POST /privacy/notifications/{id}/done`: marks a task done with its note.
pub async fn notification_done(Path(id): Path<String>, Posted { web, form }: Posted<DoneForm>) -> Response {
    let tr = web.tr();
    let back = match form.back.strip_prefix("case:") {
        Some(c) if !c.is_empty() && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') => format!("/privacy/requests/{c}"),
        _ => "/privacy/notifications".to_string(),
    };
    match crate::services::recipients::mark_notified(&web.app, web.actor(), &id, &form.note).await {
        Ok(_) => see_other(&format!("{back}?flash=notified#notices")),
        Err(ServiceError::Validation(v)) => {
            let mut e = Errs::none();
            for fe in &v.0 {
                e.add(&id, message(tr, &fe.message));
            }
            notices_page(&web, false, e, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(ServiceError::Conflict(_)) => see_other(&format!("{back}#notices")),
        Err(e) => web.fail(e),
    }
}
