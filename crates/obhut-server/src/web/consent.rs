//! Consents in the UI: the section of the contact page (permission per purpose and channel,
//! the consents with their receipts, the ledger's timeline, and the staff's forms to record a
//! declaration, send a double opt-in mail or withdraw), and the DPO's page `/privacy/consent`
//! (statistics, outbox, notice texts and the review of old consents).
//!
//! Everything goes through `services::consent`; the forms only turn typed text into its input.

use super::common::with_flash;
use super::{fmt, non_empty, render_status, see_other, Ctx, Errs, Opt, Posted, Tr, Web};
use crate::error::ServiceError;
use crate::services::audit::ActorNames;
use crate::services::consent::{self as service, EventView, RecordInput};
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use obhut_core::consent::{Channel, EventKind, ExistingCustomer, Method, Reason, Status};
use obhut_core::purpose::Purpose;
use obhut_store::consent::ANY;
use serde::Deserialize;
use std::sync::Arc;

/// The kinds staff record by hand (requests go by mail, expiry by the review).
const RECORD_KINDS: &[EventKind] = &[
    EventKind::Given,
    EventKind::Refused,
    EventKind::Withdrawn,
    EventKind::Confirmed,
    EventKind::Renewed,
    EventKind::Objected,
    EventKind::ObjectionLifted,
    EventKind::BasisRecorded,
];

/// How staff obtained a declaration they record.
const RECORD_METHODS: &[Method] = &[Method::Paper, Method::RecordedCall, Method::Staff, Method::Import];

/// The record form's fields in the order it shows them.
const RECORD_FIELDS: &[&str] = &[
    "consent_purpose",
    "consent_channel",
    "consent_topic",
    "consent_kind",
    "consent_method",
    "recording_ref",
    "consent_address",
    "consent_note",
    "existing_customer",
    "presumed_consent_reason",
];

/// The service's field names and the record form's.
fn record_remap() -> Vec<(String, &'static str)> {
    [
        ("purpose", "consent_purpose"),
        ("channel", "consent_channel"),
        ("topic", "consent_topic"),
        ("kind", "consent_kind"),
        ("method", "consent_method"),
        ("address", "consent_address"),
        ("note", "consent_note"),
    ]
    .into_iter()
    .map(|(from, to)| (from.to_string(), to))
    .collect()
}

const REQUEST_FIELDS: &[&str] = &["request_purpose", "request_topic"];

fn request_remap() -> Vec<(String, &'static str)> {
    vec![("purpose".to_string(), "request_purpose"), ("topic".to_string(), "request_topic")]
}

// ---------------------------------------------------------------------------------------
// Labels
// ---------------------------------------------------------------------------------------

fn reason_code(r: Reason) -> &'static str {
    match r {
        Reason::Restricted => "restricted",
        Reason::Objected => "objected",
        Reason::Consent => "consent",
        Reason::NoConsent => "no_consent",
        Reason::ExistingCustomer => "existing_customer",
        Reason::ExistingCustomerIncomplete => "existing_customer_incomplete",
        Reason::PresumedConsent => "presumed_consent",
        Reason::LegitimateInterestPost => "legitimate_interest_post",
    }
}

fn status_code(s: Status) -> &'static str {
    match s {
        Status::Unknown => "unknown",
        Status::Requested => "requested",
        Status::Given => "given",
        Status::Renewed => "renewed",
        Status::Refused => "refused",
        Status::Withdrawn => "withdrawn",
        Status::Expired => "expired",
    }
}

fn channel_label(tr: Tr, c: Channel) -> String {
    tr.v("consent.channel", c.as_str())
}

/// A purpose's name in the UI language; objections (purpose `*`) cover them all.
fn purpose_label(tr: Tr, reg: &[Purpose], key: &str) -> String {
    if key == ANY {
        return tr.t("consent.all_purposes").to_string();
    }
    match reg.iter().find(|p| p.key == key) {
        Some(p) if tr.code() == "de" => p.name_de.clone(),
        Some(p) => p.name_en.clone(),
        None => key.to_string(),
    }
}

/// The first characters of a SHA-256, enough to tell notice versions apart.
fn short_sha(s: &str) -> String {
    s.chars().take(12).collect()
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// The purposes consents are recorded for (consent or legitimate interest), active ones only.
fn consent_purposes(tr: Tr, reg: &[Purpose]) -> Vec<Opt> {
    reg.iter().filter(|p| p.active && service::consentable(p)).map(|p| Opt::new(p.key.clone(), purpose_label(tr, reg, &p.key))).collect()
}

fn channel_options(tr: Tr) -> Vec<Opt> {
    Channel::ALL.iter().map(|c| Opt::new(c.as_str(), channel_label(tr, *c))).collect()
}

/// The consent service's messages (English) in the user's language, where known.
fn message(tr: Tr, msg: &str) -> String {
    if tr.code() == "en" {
        return msg.to_string();
    }
    const KNOWN: &[(&str, &str)] = &[
        ("say where the signed form or the call recording is kept", "consent.val_recording_ref"),
        ("record the evidence:", "consent.val_evidence"),
        ("record the four § 7(3) UWG conditions", "consent.val_basis"),
        ("presumed consent applies to business phone calls only", "consent.val_presumed_phone"),
        ("presumed consent does not count for consumers", "consent.val_presumed_b2c"),
        ("§ 7(3) UWG concerns email and SMS only", "consent.val_existing_channel"),
        ("name the purpose", "consent.val_purpose"),
        ("is not an active purpose", "consent.val_purpose"),
        ("not on consent or a legitimate interest", "consent.val_purpose_basis"),
        ("use up to 64 lowercase letters", "consent.val_topic"),
        ("is not a channel", "consent.val_channel"),
        ("is not a consent event", "consent.val_kind"),
        ("is not a method", "consent.val_method"),
        ("a web form consent counts once its mail is confirmed", "consent.val_web_form"),
        ("double opt-in works by email", "consent.val_doi_email"),
        ("the contact has no email address", "consent.val_no_email"),
        ("this address is not one of the contact's", "consent.val_address"),
        ("a notice has 1 to 10,000 characters", "consent.val_notice_text"),
        ("use de or en", "consent.val_language"),
        ("is not an address", "consent.val_sender"),
    ];
    match KNOWN.iter().find(|(m, _)| msg.contains(m)) {
        Some((_, k)) => tr.t(k).to_string(),
        None => tr.message(msg),
    }
}

fn errs_of(tr: Tr, v: &obhut_core::ValidationErrors, remap: &[(String, &'static str)], known: &[&str]) -> Errs {
    let mut out = Errs::none();
    for fe in &v.0 {
        let field = remap.iter().find(|(from, _)| *from == fe.field).map(|(_, to)| *to).unwrap_or(fe.field.as_str());
        let msg = message(tr, &fe.message);
        if known.contains(&field) {
            out.add(field, msg);
        } else {
            out.other.push(msg);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The contact page's section
// ---------------------------------------------------------------------------------------

/// The "record a declaration" form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RecordForm {
    pub consent_purpose: String,
    pub consent_channel: String,
    pub consent_topic: String,
    pub consent_kind: String,
    pub consent_method: String,
    pub recording_ref: String,
    pub consent_address: String,
    pub consent_note: String,
    pub ec_address_from_sale: Option<String>,
    pub ec_own_similar_products: Option<String>,
    pub ec_notice_at_collection: Option<String>,
    pub ec_notice_in_every_mail: Option<String>,
    pub presumed_consent_reason: String,
}

impl RecordForm {
    fn fresh() -> Self {
        Self {
            consent_purpose: "newsletter".into(),
            consent_channel: "email".into(),
            consent_kind: "given".into(),
            consent_method: "paper".into(),
            ..Self::default()
        }
    }

    fn input(&self) -> RecordInput {
        let ec = ExistingCustomer {
            address_from_sale: self.ec_address_from_sale.is_some(),
            own_similar_products: self.ec_own_similar_products.is_some(),
            notice_at_collection: self.ec_notice_at_collection.is_some(),
            notice_in_every_mail: self.ec_notice_in_every_mail.is_some(),
        };
        let any_ticked = ec != ExistingCustomer::default();
        let opt = |s: &str| non_empty(s).map(str::to_string);
        RecordInput {
            purpose: opt(&self.consent_purpose),
            channel: self.consent_channel.clone(),
            topic: opt(&self.consent_topic),
            kind: self.consent_kind.clone(),
            method: opt(&self.consent_method),
            language: None,
            recording_ref: opt(&self.recording_ref),
            address: opt(&self.consent_address),
            note: opt(&self.consent_note),
            existing_customer: any_ticked.then_some(ec),
            presumed_consent_reason: opt(&self.presumed_consent_reason),
        }
    }
}

/// The "send double opt-in" form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RequestForm {
    pub request_purpose: String,
    pub request_topic: String,
}

/// What a failed POST brings back to the contact page.
#[derive(Debug, Default)]
pub enum Typed {
    #[default]
    Nothing,
    Record(Box<RecordForm>, Errs),
    Request(RequestForm, Errs),
}

/// One purpose's row of the permission table.
pub struct PermRow {
    pub purpose: String,
    pub cells: Vec<PermCell>,
}

pub struct PermCell {
    pub channel: &'static str,
    pub allowed: bool,
    pub reason: String,
    pub explanation: String,
}

/// One consent (purpose × channel × topic) with its state.
pub struct ConsentRow {
    pub purpose_key: String,
    pub purpose: String,
    pub channel_code: &'static str,
    pub channel: String,
    pub topic: String,
    pub status: &'static str,
    pub status_label: String,
    pub valid: bool,
    pub since: String,
    pub last_used: String,
    pub receipt: String,
}

/// One event of the ledger as the timeline shows it.
pub struct EventRow {
    pub when: String,
    pub purpose: String,
    pub channel: String,
    pub topic: String,
    pub kind: &'static str,
    pub kind_label: String,
    pub method: String,
    pub actor: String,
    pub notice: Option<(i64, String, String)>,
    /// Label and value, compact; `title` carries the full value where it is cut.
    pub evidence: Vec<(String, String, String)>,
}

/// The consent section of a contact page.
pub struct ConsentSection {
    pub contact_id: String,
    pub restricted: bool,
    pub objections: Vec<String>,
    pub channels: Vec<String>,
    pub permissions: Vec<PermRow>,
    /// The reasons the table shows, with their explanation.
    pub legend: Vec<(String, String)>,
    pub consents: Vec<ConsentRow>,
    pub events: Vec<EventRow>,
    pub form: RecordForm,
    pub errs: Errs,
    pub request: RequestForm,
    pub request_errs: Errs,
    pub purposes: Vec<Opt>,
    pub email_purposes: Vec<Opt>,
    pub channel_opts: Vec<Opt>,
    pub kinds: Vec<Opt>,
    pub methods: Vec<Opt>,
}

/// Who recorded an event: `channel: username` where the names may be read, and the user's own
/// entries always.
struct Who<'a> {
    names: Option<ActorNames>,
    me: (String, &'a str),
}

impl Who<'_> {
    fn show(&self, tr: Tr, recorded: &str) -> String {
        if recorded == "data-subject" {
            return tr.t("consent.data_subject").to_string();
        }
        if recorded == self.me.0 {
            if let Some((channel, _)) = recorded.split_once(":user:") {
                return format!("{channel}: {}", self.me.1);
            }
        }
        match &self.names {
            Some(n) => n.display(recorded),
            None => recorded.to_string(),
        }
    }
}

fn event_row(tr: Tr, reg: &[Purpose], who: &Who<'_>, e: &EventView) -> EventRow {
    let mut evidence = Vec::new();
    let mut put = |key: &str, full: String, max: usize| {
        let short = shorten(&full, max);
        let title = if short == full { String::new() } else { full };
        evidence.push((tr.t(key).to_string(), short, title));
    };
    if let Some(ev) = &e.evidence {
        if let Some(v) = &ev.ip {
            put("consent.ev_ip", v.clone(), 48);
        }
        if let Some(v) = &ev.user_agent {
            put("consent.ev_user_agent", v.clone(), 40);
        }
        if let Some(v) = ev.confirmed_at {
            put("consent.ev_confirmed_at", fmt::datetime(tr.lang, v), 40);
        }
        if let Some(v) = &ev.recording_ref {
            put("consent.ev_recording_ref", v.clone(), 60);
        }
        if let Some(v) = &ev.address {
            put("consent.ev_address", v.clone(), 60);
        }
        if let Some(v) = &ev.reason {
            put("consent.ev_reason", v.clone(), 80);
        }
        if let Some(v) = &ev.note {
            put("consent.ev_note", v.clone(), 80);
        }
    }
    if let Some(ec) = e.facts.existing_customer {
        let held = [ec.address_from_sale, ec.own_similar_products, ec.notice_at_collection, ec.notice_in_every_mail]
            .iter()
            .filter(|b| **b)
            .count();
        put("consent.ev_existing_customer", tr.f("consent.ev_conditions", format!("{held}/4")), 60);
    }
    EventRow {
        when: fmt::datetime(tr.lang, e.at),
        purpose: purpose_label(tr, reg, &e.purpose),
        channel: channel_label(tr, e.channel),
        topic: if e.topic == ANY { String::new() } else { e.topic.clone() },
        kind: e.kind.as_str(),
        kind_label: tr.v("consent.kind", e.kind.as_str()),
        method: tr.v("consent.method", e.method.as_str()),
        actor: who.show(tr, &e.actor),
        notice: e.notice.as_ref().map(|n| (n.version, n.language.clone(), short_sha(&n.sha256))),
        evidence,
    }
}

/// Loads the section; `None` when the actor may not read the contact's consents.
pub async fn section(web: &Web, contact_id: &str, typed: Typed) -> Result<Option<ConsentSection>, Response> {
    let tr = web.tr();
    let ov = match service::overview(&web.app, web.actor(), contact_id).await {
        Ok(o) => o,
        Err(ServiceError::Forbidden(_)) => return Ok(None),
        Err(e) => return Err(web.fail(e)),
    };
    let reg: Arc<Vec<Purpose>> = crate::services::purposes::registry(&web.app).await.map_err(|e| web.fail(e))?;
    let who = Who {
        names: crate::services::audit::actor_names(&web.app, web.actor()).await.ok(),
        me: (web.actor().audit_name(), web.session.username.as_str()),
    };
    let mut permissions: Vec<PermRow> = Vec::new();
    let mut legend: Vec<(String, String)> = Vec::new();
    for p in &ov.permissions {
        let code = reason_code(p.reason);
        let cell = PermCell {
            channel: p.channel.as_str(),
            allowed: p.allowed,
            reason: tr.v("consent.reason", code),
            explanation: tr.v("consent.explain", code),
        };
        if !legend.iter().any(|(r, _)| *r == cell.reason) {
            legend.push((cell.reason.clone(), cell.explanation.clone()));
        }
        let name = purpose_label(tr, &reg, &p.purpose);
        match permissions.iter_mut().find(|r| r.purpose == name) {
            Some(r) => r.cells.push(cell),
            None => permissions.push(PermRow { purpose: name, cells: vec![cell] }),
        }
    }
    // The service lists channel by channel; the table reads purpose by purpose in channel order.
    for r in &mut permissions {
        r.cells.sort_by_key(|c| Channel::ALL.iter().position(|ch| ch.as_str() == c.channel));
    }
    let consents = ov
        .consents
        .iter()
        .map(|c| ConsentRow {
            purpose_key: c.purpose.clone(),
            purpose: purpose_label(tr, &reg, &c.purpose),
            channel_code: c.channel.as_str(),
            channel: channel_label(tr, c.channel),
            topic: c.topic.clone(),
            status: status_code(c.status),
            status_label: tr.v("consent.status", status_code(c.status)),
            valid: c.status.valid(),
            since: c.since.map(|s| fmt::datetime(tr.lang, s)).unwrap_or_default(),
            last_used: c.last_used.map(|s| fmt::datetime(tr.lang, s)).unwrap_or_default(),
            receipt: format!(
                "/contacts/{}/consents/receipt?purpose={}&channel={}&topic={}",
                ov.contact_id,
                super::session::encode(&c.purpose),
                c.channel.as_str(),
                super::session::encode(&c.topic)
            ),
        })
        .collect();
    let events = ov.events.iter().rev().map(|e| event_row(tr, &reg, &who, e)).collect();
    let (form, errs, request, request_errs) = match typed {
        Typed::Nothing => {
            (RecordForm::fresh(), Errs::none(), RequestForm { request_purpose: "newsletter".into(), ..Default::default() }, Errs::none())
        }
        Typed::Record(f, e) => (*f, e, RequestForm { request_purpose: "newsletter".into(), ..Default::default() }, Errs::none()),
        Typed::Request(f, e) => (RecordForm::fresh(), Errs::none(), f, e),
    };
    let purposes = consent_purposes(tr, &reg);
    // Double opt-in goes by email: purposes based on consent.
    let email_purposes = reg
        .iter()
        .filter(|p| p.active && p.legal_basis == obhut_core::purpose::LegalBasis::Consent)
        .map(|p| Opt::new(p.key.clone(), purpose_label(tr, &reg, &p.key)))
        .collect();
    Ok(Some(ConsentSection {
        contact_id: ov.contact_id.clone(),
        restricted: ov.restricted,
        objections: ov.objections.iter().map(|c| channel_label(tr, *c)).collect(),
        channels: Channel::ALL.iter().map(|c| channel_label(tr, *c)).collect(),
        permissions,
        legend,
        consents,
        events,
        form,
        errs,
        request,
        request_errs,
        purposes,
        email_purposes,
        channel_opts: channel_options(tr),
        kinds: RECORD_KINDS.iter().map(|k| Opt::new(k.as_str(), tr.v("consent.kind", k.as_str()))).collect(),
        methods: RECORD_METHODS.iter().map(|m| Opt::new(m.as_str(), tr.v("consent.method", m.as_str()))).collect(),
    }))
}

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

async fn consent_page_with(web: &Web, q: ConsentPageQuery, typed: Option<(NoticeForm, Errs)>) -> Response {
    let tr = web.tr();
    let stats = match service::statistics(&web.app, web.actor()).await {
        Ok(s) => s,
        Err(e) => return web.fail(e),
    };
    let queue = match service::review_queue(&web.app, web.actor(), 200).await {
        Ok(q) => q,
        Err(e) => return web.fail(e),
    };
    let reg = match crate::services::purposes::registry(&web.app).await {
        Ok(r) => r,
        Err(e) => return web.fail(e),
    };
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
    render_status(
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
    )
}

/// `GET /privacy/consent`.
pub async fn consent_overview(web: Web, Query(q): Query<ConsentPageQuery>) -> Response {
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
pub async fn save_notice(Posted { web, form }: Posted<NoticeForm>) -> Response {
    match service::save_notice(&web.app, web.actor(), &form.notice_purpose, &form.notice_channel, &form.notice_language, &form.notice_text)
        .await
    {
        Ok(_) => see_other("/privacy/consent?flash=consent_notice#notices"),
        Err(ServiceError::Validation(v)) => {
            let errs = errs_of(web.tr(), &v, &notice_remap(), NOTICE_FIELDS);
            consent_page_with(&web, ConsentPageQuery::default(), Some((form, errs))).await
        }
        Err(e) => web.fail(e),
    }
}
