//! Consents in the UI: the section of the contact page (permission per purpose and channel,
//! the consents with their receipts, the ledger's timeline, and the staff's forms to record a
//! declaration, send a double opt-in mail or withdraw), and the DPO's page `/privacy/consent`
//! (statistics, outbox, notice texts and the review of old consents).
//!
//! Everything goes through `services::consent`; the forms only turn typed text into its input.

use super::common::with_flash;
use super::failure::{OrFail, PageResult};
use super::page::{non_empty, render_status, see_other, Ctx, Errs, Opt};
use super::session::{Posted, Web};
use crate::error::ServiceError;
use crate::fmt;
use crate::i18n::Tr;
use crate::services::consent::{self as service};
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use obhut_core::consent::{Channel, EventKind};
use serde::Deserialize;

use super::consent_labels::*;
use super::consent_section::{RecordForm, RequestForm, Typed};

/// `POST /contacts/{id}/consents`: records a declaration with its evidence, or shows the form
/// again with the problems at their fields (422, nothing saved).
pub async fn record_consent(Path(id): Path<String>, Posted { web, form }: Posted<RecordForm>) -> Response {
    match service::record(&web.app, web.actor(), &id, &form.input()).await {
        Ok(_) => see_other(&with_flash(&format!("/contacts/{id}#consents"), "consent_recorded")),
        Err(ServiceError::Validation(v)) => {
            let errs = errs_of(web.tr(), &v, &record_remap(), RECORD_FIELDS);
            super::contacts::contact_page_typed(&web, &id, None, Typed::Record(Box::new(form), errs)).await
        }
        Err(ServiceError::Conflict(msg)) => {
            let mut errs = Errs::none();
            errs.other.push(conflict_message(web.tr(), &msg));
            let page = super::contacts::contact_page_typed(&web, &id, None, Typed::Record(Box::new(form), errs)).await;
            with_status(page, StatusCode::CONFLICT)
        }
        Err(e) => web.fail(e),
    }
}

fn conflict_message(tr: Tr, msg: &str) -> String {
    if tr.code() == "en" {
        return msg.to_string();
    }
    if msg.contains("objected") {
        tr.t("consent.conflict_objected").to_string()
    } else if msg.contains("no pending request") {
        tr.t("consent.conflict_no_request").to_string()
    } else {
        msg.to_string()
    }
}

/// `POST /contacts/{id}/consents/request`: sends the double opt-in mail for a purpose.
pub async fn request_consent(Path(id): Path<String>, Posted { web, form }: Posted<RequestForm>) -> Response {
    let tr = web.tr();
    let topic = non_empty(&form.request_topic);
    match service::request(&web.app, web.actor(), &id, &form.request_purpose, "email", topic, None, None).await {
        Ok(_) => see_other(&with_flash(&format!("/contacts/{id}#consents"), "consent_requested")),
        Err(ServiceError::Validation(v)) => {
            let errs = errs_of(tr, &v, &request_remap(), REQUEST_FIELDS);
            super::contacts::contact_page_typed(&web, &id, None, Typed::Request(form, errs)).await
        }
        Err(ServiceError::RateLimited(secs)) => {
            let mut errs = Errs::none();
            errs.other.push(tr.f("consent.rate_limited", secs.div_ceil(60).max(1)));
            let page = super::contacts::contact_page_typed(&web, &id, None, Typed::Request(form, errs)).await;
            with_status(page, StatusCode::TOO_MANY_REQUESTS)
        }
        Err(ServiceError::Conflict(msg)) => {
            let mut errs = Errs::none();
            errs.other.push(conflict_message(tr, &msg));
            let page = super::contacts::contact_page_typed(&web, &id, None, Typed::Request(form, errs)).await;
            with_status(page, StatusCode::CONFLICT)
        }
        Err(e) => web.fail(e),
    }
}

/// A page rendered for a refused form keeps its own status unless it is the plain 422.
fn with_status(mut page: Response, status: StatusCode) -> Response {
    if page.status() == StatusCode::UNPROCESSABLE_ENTITY {
        *page.status_mut() = status;
    }
    page
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WithdrawForm {
    purpose: String,
    channel: String,
    topic: String,
}

/// `POST /contacts/{id}/consents/withdraw`: one click, as easy as giving it (Art. 7(3)).
pub async fn withdraw_consent(Path(id): Path<String>, Posted { web, form }: Posted<WithdrawForm>) -> Response {
    match service::withdraw(&web.app, web.actor(), &id, &form.purpose, &form.channel, non_empty(&form.topic), None).await {
        Ok(_) => see_other(&with_flash(&format!("/contacts/{id}#consents"), "consent_withdrawn")),
        Err(e) => web.fail(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReceiptQuery {
    purpose: String,
    channel: String,
    topic: String,
}

/// `GET /contacts/{id}/consents/receipt`: the consent record as ISO/IEC TS 27560 JSON.
pub async fn consent_receipt(web: Web, Path(id): Path<String>, Query(q): Query<ReceiptQuery>) -> Response {
    match service::receipt(&web.app, web.actor(), &id, &q.purpose, &q.channel, non_empty(&q.topic)).await {
        Ok(v) => {
            let body = serde_json::to_string_pretty(&v).unwrap_or_default();
            let safe = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect::<String>();
            let mut name = format!("consent-receipt-{}-{}", safe(&q.purpose), safe(&q.channel));
            if !q.topic.trim().is_empty() {
                name.push('-');
                name.push_str(&safe(&q.topic));
            }
            let disposition = format!("attachment; filename={name}.json");
            ([(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, disposition)], body).into_response()
        }
        Err(e) => web.fail(e),
    }
}

// ---------------------------------------------------------------------------------------
// The DPO's page
// ---------------------------------------------------------------------------------------

struct CountRow {
    purpose: String,
    channel: String,
    kind: &'static str,
    kind_label: String,
    count: i64,
}

struct OutboxRow {
    created: String,
    kind: String,
    contact_id: Option<String>,
    state: &'static str,
    state_label: String,
    attempts: i64,
    when: String,
    last_error: Option<String>,
    transport: String,
}

struct NoticeRow {
    purpose: String,
    channel: String,
    language: String,
    version: i64,
    sha256: String,
    sha_short: String,
    text: String,
}

struct ReviewRow {
    contact_id: String,
    purpose: String,
    channel: String,
    topic: String,
    given: String,
    last_used: String,
}

/// The notice form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NoticeForm {
    notice_purpose: String,
    notice_channel: String,
    notice_language: String,
    notice_text: String,
}

const NOTICE_FIELDS: &[&str] = &["notice_purpose", "notice_channel", "notice_language", "notice_text"];

fn notice_remap() -> Vec<(String, &'static str)> {
    [("purpose", "notice_purpose"), ("channel", "notice_channel"), ("language", "notice_language"), ("text", "notice_text")]
        .into_iter()
        .map(|(f, t)| (f.to_string(), t))
        .collect()
}

#[derive(Template)]
#[template(path = "privacy/consent.html")]
struct ConsentPage {
    ctx: Ctx,
    counts: Vec<CountRow>,
    review_due: usize,
    review: Vec<ReviewRow>,
    outbox: Vec<OutboxRow>,
    notices: Vec<NoticeRow>,
    /// The last review run: mails queued, consents expired, skipped.
    run: Option<(String, String, String)>,
    form: NoticeForm,
    errs: Errs,
    purposes: Vec<Opt>,
    channel_opts: Vec<Opt>,
    languages: Vec<Opt>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConsentPageQuery {
    queued: Option<usize>,
    expired: Option<usize>,
    skipped: Option<usize>,
}

async fn consent_page_with(web: &Web, q: ConsentPageQuery, typed: Option<(NoticeForm, Errs)>) -> PageResult {
    let tr = web.tr();
    let stats = service::statistics(&web.app, web.actor()).await.or_fail(web)?;
    let queue = service::review_queue(&web.app, web.actor(), 200).await.or_fail(web)?;
    let reg = crate::services::purposes::registry(&web.app).await.or_fail(web)?;
    let counts = stats
        .events
        .iter()
        .map(|(purpose, channel, kind, count)| CountRow {
            purpose: purpose_label(tr, &reg, purpose),
            channel: Channel::parse(channel).map(|c| channel_label(tr, c)).unwrap_or_else(|_| channel.clone()),
            kind: EventKind::parse(kind).map(EventKind::as_str).unwrap_or("other"),
            kind_label: tr.v("consent.kind", kind),
            count: *count,
        })
        .collect();
    let outbox = stats
        .outbox
        .iter()
        .map(|o| {
            let (state, when) = match (o.sent_at, o.failed_at) {
                (Some(s), _) => ("sent", s),
                (None, Some(f)) => ("failed", f),
                (None, None) => ("queued", o.next_attempt_at),
            };
            OutboxRow {
                created: fmt::datetime(tr.lang, o.created_at),
                kind: tr.v("consent.outbox_kind", &o.kind),
                contact_id: o.contact_id.clone(),
                state,
                state_label: tr.v("consent.outbox_state", state),
                attempts: o.attempts,
                when: fmt::datetime(tr.lang, when),
                last_error: o.last_error.clone(),
                transport: o.transport.clone().unwrap_or_default(),
            }
        })
        .collect();
    let notices = stats
        .notices
        .iter()
        .map(|n| NoticeRow {
            purpose: purpose_label(tr, &reg, &n.purpose),
            channel: channel_label(tr, n.channel),
            language: n.language.clone(),
            version: n.version,
            sha256: n.sha256.clone(),
            sha_short: short_sha(&n.sha256),
            text: n.text.clone(),
        })
        .collect();
    let review = queue
        .iter()
        .map(|r| ReviewRow {
            contact_id: r.contact_id.clone(),
            purpose: purpose_label(tr, &reg, &r.purpose),
            channel: channel_label(tr, r.channel),
            topic: r.topic.clone(),
            given: fmt::datetime(tr.lang, r.given_at),
            last_used: r.last_used.map(|u| fmt::datetime(tr.lang, u)).unwrap_or_default(),
        })
        .collect();
    let run = match (q.queued, q.expired, q.skipped) {
        (None, None, None) => None,
        (a, b, c) => Some((a.unwrap_or(0).to_string(), b.unwrap_or(0).to_string(), c.unwrap_or(0).to_string())),
    };
    let status = if typed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let (form, errs) = typed.unwrap_or_else(|| {
        (
            NoticeForm {
                notice_purpose: "newsletter".into(),
                notice_channel: "email".into(),
                notice_language: tr.code().into(),
                ..Default::default()
            },
            Errs::none(),
        )
    });
    Ok(render_status(
        status,
        &ConsentPage {
            ctx: web.ctx("privacy"),
            counts,
            review_due: stats.review_due,
            review,
            outbox,
            notices,
            run,
            form,
            errs,
            purposes: consent_purposes(tr, &reg),
            channel_opts: channel_options(tr),
            languages: vec![Opt::new("de", tr.v("language_name", "de")), Opt::new("en", tr.v("language_name", "en"))],
        },
    ))
}

/// `GET /privacy/consent`.
pub async fn consent_overview(web: Web, Query(q): Query<ConsentPageQuery>) -> PageResult {
    consent_page_with(&web, q, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReviewForm {
    run: String,
}

/// `POST /privacy/consent/review`: sends re-confirmation mails (`run=send`) or lets the due
/// consents expire (`run=expire`).
pub async fn review_consents(Posted { web, form }: Posted<ReviewForm>) -> Response {
    let (send, expire) = match form.run.as_str() {
        "send" => (true, false),
        "expire" => (false, true),
        _ => return web.fail(ServiceError::field("run", "send or expire")),
    };
    match service::review(&web.app, web.actor(), send, expire, 1000).await {
        Ok(r) => see_other(&format!("/privacy/consent?queued={}&expired={}&skipped={}#review", r.mails_queued, r.expired, r.skipped.len())),
        Err(e) => web.fail(e),
    }
}

/// `POST /privacy/consent/notices`: saves a new version of a notice text.
pub async fn save_notice(Posted { web, form }: Posted<NoticeForm>) -> PageResult {
    match service::save_notice(&web.app, web.actor(), &form.notice_purpose, &form.notice_channel, &form.notice_language, &form.notice_text)
        .await
    {
        Ok(_) => Ok(see_other("/privacy/consent?flash=consent_notice#notices")),
        Err(ServiceError::Validation(v)) => {
            let errs = errs_of(web.tr(), &v, &notice_remap(), NOTICE_FIELDS);
            consent_page_with(&web, ConsentPageQuery::default(), Some((form, errs))).await
        }
        Err(e) => Err(web.failure(e)),
    }
}
