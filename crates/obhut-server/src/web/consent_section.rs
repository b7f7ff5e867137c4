//! The consent section of the contact page: permission per purpose and channel, the consents
//! with their receipts, the ledger's timeline, and the staff's forms (record a declaration,
//! send a double opt-in mail, withdraw), re-shown with their errors after a failed post.

use super::consent_labels::*;
use super::page::{non_empty, Errs, Opt};
use super::session::Web;
use crate::error::ServiceError;
use crate::fmt;
use crate::i18n::Tr;
use crate::services::audit::ActorNames;
use crate::services::consent::{self as service, EventView, RecordInput};
use axum::response::Response;
use obhut_core::consent::{Channel, ExistingCustomer};
use obhut_core::purpose::Purpose;
use obhut_store::consent::ANY;
use serde::Deserialize;
use std::sync::Arc;

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

    pub(super) fn input(&self) -> RecordInput {
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
pub(super) struct Who<'a> {
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

pub(super) fn event_row(tr: Tr, reg: &[Purpose], who: &Who<'_>, e: &EventView) -> EventRow {
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
                super::page::encode(&c.purpose),
                c.channel.as_str(),
                super::page::encode(&c.topic)
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
