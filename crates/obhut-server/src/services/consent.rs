//! Consent and marketing permission: the ledger with its evidence, double opt-in by mail,
//! withdrawal and objection (with the suppression list), the permission per channel
//! (`obhut_core::consent::may_approach`), audiences and their export, and the review of old
//! consents. Consent belongs to a contact: who may read the contact may read its ledger, who
//! may change it may record consent for it (the gate decides both).

use super::audit_entry;
use super::contacts::{self as contacts_svc, target};
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Resource};
use base64::Engine;
use obhut_core::consent::{
    check_topic, default_notice, latest_facts, may_approach, objection_stands, objection_stands_in, status, status_of, Channel, EventKind,
    Evidence, ExistingCustomer, Facts, LedgerEvent, Method, Notice, Reason, Situation, Status,
};
use obhut_core::contact::ContactKind;
use obhut_core::ids::ContactId;
use obhut_core::purpose::{LegalBasis, Purpose};
use obhut_store::consent::{self as ledger, Claim, StoredEvent, ANY};
use obhut_store::contacts::{BlindKind, BlindToken, ContactFilter, ContactRecord};
use rand::RngCore;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

const DAY_MS: i64 = 86_400_000;

/// The consent a request, record or question is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Key {
    pub purpose: String,
    pub channel: Channel,
    pub topic: String,
}

/// Checks purpose, channel and topic: the purpose must be active and one consent can be the
/// basis of (not a contract or a legal duty).
pub async fn key(app: &App, purpose: &str, channel: &str, topic: Option<&str>) -> ServiceResult<Key> {
    let channel = Channel::parse(channel).map_err(|m| ServiceError::field("channel", m))?;
    let topic = check_topic(topic.unwrap_or("")).map_err(|m| ServiceError::field("topic", m))?;
    let p = marketing_purpose(app, purpose).await?;
    Ok(Key { purpose: p.key, channel, topic })
}

async fn marketing_purpose(app: &App, purpose: &str) -> ServiceResult<Purpose> {
    let reg = super::purposes::registry(app).await?;
    let shown: String = purpose.trim().chars().filter(|c| !c.is_control()).take(64).collect();
    let Some(p) = reg.iter().find(|p| p.active && p.key == purpose.trim()) else {
        let known: Vec<&str> = reg.iter().filter(|p| p.active && consentable(p)).map(|p| p.key.as_str()).collect();
        return Err(ServiceError::field("purpose", format!("'{shown}' is not an active purpose: use one of {}", known.join(", "))));
    };
    if !consentable(p) {
        return Err(ServiceError::field(
            "purpose",
            format!(
                "'{}' rests on {}, not on consent or a legitimate interest in marketing: consent is not asked for it",
                p.key,
                p.legal_basis.article()
            ),
        ));
    }
    Ok(p.clone())
}

/// Purposes consents and objections are recorded for: those based on consent or on a
/// legitimate interest (direct marketing, prospecting).
pub fn consentable(p: &Purpose) -> bool {
    matches!(p.legal_basis, LegalBasis::Consent | LegalBasis::LegitimateInterest)
}

/// Loads a contact and asks the gate whether the actor may do `action` to it.
async fn contact_for(app: &App, actor: &Actor, id: &str, action: Action) -> ServiceResult<ContactRecord> {
    let cid = ContactId::parse(id).map_err(|m| ServiceError::field("contact_id", m))?;
    let record = contacts_svc::load(app, cid).await?;
    app.authorize_record(actor, action, &target(&record), "", &cid.to_string()).await?;
    super::rights::guard(app, actor, &record, if action == Action::Read { "read_consents" } else { "change_consents" }).await?;
    Ok(record)
}

fn language_of(record: &ContactRecord, asked: Option<&str>) -> String {
    let l = asked.or(record.language.as_deref()).unwrap_or("de").trim().to_lowercase();
    if l.starts_with("en") {
        "en".into()
    } else {
        "de".into()
    }
}

/// The notice in force for a consent, creating it from the defaults on first use.
async fn notice_for(app: &App, conn: &mut obhut_store::Conn, k: &Key, language: &str, by: &str) -> ServiceResult<Option<Notice>> {
    if let Some(n) = ledger::current_notice(conn, &k.purpose, k.channel, language).await? {
        return Ok(Some(n));
    }
    match default_notice(&k.purpose, k.channel, language) {
        Some(text) => Ok(Some(ledger::save_notice(conn, &k.purpose, k.channel, language, &text, app.now_ms(), by).await?)),
        None => Ok(None),
    }
}

fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn email_token(app: &App, address: &str) -> Vec<u8> {
    BlindToken::new(&app.store.crypto, BlindKind::Email, address).token.to_vec()
}

/// Where a request came from: the browser's truncated IP and user agent, where known, kept as
/// evidence; and the client network the sign-up limit counts (not stored).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub network: Option<ipnet::IpNet>,
}

impl Origin {
    /// `ip` is the client as [`crate::client::client_ip`] finds it.
    pub fn new(ip: Option<std::net::IpAddr>, user_agent: Option<&str>) -> Self {
        Self {
            ip: ip.map(obhut_core::consent::truncate_ip),
            user_agent: user_agent.map(|u| u.chars().filter(|c| !c.is_control()).take(512).collect()),
            network: ip.map(crate::client::network),
        }
    }
}

fn method_of(actor: &Actor) -> Method {
    match actor.channel {
        crate::gate::Channel::Api => Method::Api,
        _ => Method::Staff,
    }
}

/// What a double opt-in request did.
#[derive(Debug, Clone, Serialize)]
pub struct Requested {
    pub request_id: String,
    pub contact_id: String,
    pub purpose: String,
    pub channel: Channel,
    pub topic: String,
    pub expires_at: i64,
    pub outbox_id: String,
    pub notice_version: Option<i64>,
}

/// Sends a double opt-in mail for a consent: a pending `requested` event, a single-use token
/// bound to it, and the mail in the outbox, all in one transaction. Nothing counts until the
/// link is confirmed.
#[allow(clippy::too_many_arguments)]
pub async fn request(
    app: &App,
    actor: &Actor,
    contact_id: &str,
    purpose: &str,
    channel: &str,
    topic: Option<&str>,
    address: Option<&str>,
    language: Option<&str>,
) -> ServiceResult<Requested> {
    let k = key(app, purpose, channel, topic).await?;
    if k.channel != Channel::Email {
        return Err(ServiceError::field(
            "channel",
            "double opt-in works by email; record a consent on another channel with its evidence (consent record)",
        ));
    }
    let record = contact_for(app, actor, contact_id, Action::Update).await?;
    // Art. 18: no opt-in or re-confirmation mail to a restricted contact, whoever asks.
    super::rights::guard_always(app, actor, &record, "consent_request").await?;
    let cid = record.id.to_string();
    let email =
        match address.map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => {
                let norm = a.to_lowercase();
                record.personal.emails.iter().find(|e| e.address.normalized() == norm).ok_or_else(|| {
                    ServiceError::field("address", "this address is not one of the contact's: add it to the contact first")
                })?
            }
            None => record.personal.emails.first().ok_or_else(|| ServiceError::field("contact_id", "the contact has no email address"))?,
        };
    let address = email.address.normalized();
    let addr_token = email_token(app, &address);
    let lang = language_of(&record, language);
    let now = app.now_ms();
    let mut conn = app.conn().await?;
    if ledger::suppressed(&mut conn, std::slice::from_ref(&addr_token), Channel::Email).await? {
        return Err(ServiceError::Conflict(
            "the person objected to advertising by email: no request is sent until they lift the objection themselves".into(),
        ));
    }
    let prior = ledger::events_of(&mut conn, &cid, &k.purpose, k.channel, &k.topic).await?;
    let ledger_events: Vec<LedgerEvent> = prior.iter().map(StoredEvent::ledger).collect();
    if objection_stands(&ledger_events) {
        return Err(ServiceError::Conflict(
            "the person objected to advertising by email: no request is sent until they lift the objection themselves".into(),
        ));
    }
    let (sent, oldest) = ledger::requests_since(&mut conn, &addr_token, now - DAY_MS).await?;
    if sent >= app.config.consent_requests_per_day {
        let wait = oldest.map_or(DAY_MS, |o| (o + DAY_MS - now).max(1000));
        metrics::counter!("obhut_consent_requests_limited_total").increment(1);
        return Err(ServiceError::RateLimited((wait / 1000) as u64));
    }
    drop(conn);
    let token = random_token();
    let request_id = uuid::Uuid::now_v7().to_string();
    let outbox_id = uuid::Uuid::now_v7().to_string();
    let expires_at = now + app.config.consent_token_hours * 3_600_000;
    let base = app.config.base_url();
    let confirm_url = format!("{base}/consent/confirm/{token}");
    let unsubscribe = format!("{base}/consent/unsubscribe/{}", unsubscribe_token(app, &cid, &k));
    let from = super::mail::sender(app).await;
    let purpose_name = purpose_name(app, &k.purpose, &lang).await;
    let mut tx = app.begin_write().await?;
    let notice = notice_for(app, &mut tx, &k, &lang, &actor.audit_name()).await?;
    ledger::contact_key(&mut tx, &app.store.crypto, &cid).await?.ok_or(ServiceError::NotFound("contact"))?;
    let event = ledger::NewEvent {
        id: request_id.clone(),
        contact_id: cid.clone(),
        purpose: k.purpose.clone(),
        channel: k.channel,
        topic: k.topic.clone(),
        kind: EventKind::Requested,
        method: Method::WebFormDoubleOptIn,
        at: now,
        actor: actor.audit_name(),
        notice_id: notice.as_ref().map(|n| n.id.clone()),
        language: Some(lang.clone()),
        request_id: None,
        facts: Facts::default(),
        evidence: Evidence { address: Some(address.clone()), ..Default::default() },
    };
    ledger::append_event(&mut tx, &app.store.crypto, &event).await?;
    ledger::insert_token(&mut tx, &token, &request_id, &cid, &k.purpose, k.channel, &k.topic, &addr_token, now, expires_at).await?;
    let mail = confirmation_mail(&lang, &purpose_name, notice.as_ref().map(|n| n.text.as_str()), &confirm_url, &unsubscribe, expires_at);
    let name = record.personal.display_name();
    let compose = super::mail::Compose {
        to_name: (!name.is_empty()).then_some(name.as_str()),
        to: &address,
        subject: &mail.0,
        text: mail.1,
        html: mail.2,
        language: &lang,
        unsubscribe: None,
    };
    let (message_id, queued) = super::mail::compose(&from, &outbox_id, &compose)?;
    ledger::enqueue(&mut tx, &app.store.crypto, &outbox_id, "consent_confirmation", Some(&cid), &message_id, &queued, now).await?;
    let mut audit = audit_entry(actor, "consent.request", "consent", &request_id, Some(cid.clone()), key_fields(&k));
    audit.purpose = Some(k.purpose.clone());
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[audit]).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    app.outbox_wake.notify_one();
    metrics::counter!("obhut_consent_requests_total").increment(1);
    Ok(Requested {
        request_id,
        contact_id: cid,
        purpose: k.purpose,
        channel: k.channel,
        topic: k.topic,
        expires_at,
        outbox_id,
        notice_version: notice.map(|n| n.version),
    })
}

fn key_fields(k: &Key) -> Vec<String> {
    let mut v = vec![format!("purpose={}", k.purpose), format!("channel={}", k.channel.as_str())];
    if !k.topic.is_empty() {
        v.push(format!("topic={}", k.topic));
    }
    v
}

async fn purpose_name(app: &App, key: &str, lang: &str) -> String {
    match super::purposes::registry(app).await {
        Ok(reg) => reg
            .iter()
            .find(|p| p.key == key)
            .map(|p| if lang == "en" { p.name_en.clone() } else { p.name_de.clone() })
            .unwrap_or_else(|| key.into()),
        Err(_) => key.into(),
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Subject, text and HTML of the confirmation mail. The confirmation link comes first; the
/// mail is not advertising, so it carries no List-Unsubscribe header, but it offers a way out
/// for whoever did not ask for it.
fn confirmation_mail(
    lang: &str,
    purpose: &str,
    notice: Option<&str>,
    confirm: &str,
    unsubscribe: &str,
    expires_at: i64,
) -> (String, String, String) {
    let until = obhut_core::clock::from_millis(expires_at)
        .format(&time::macros::format_description!("[day].[month].[year] [hour]:[minute] UTC"))
        .unwrap_or_default();
    let notice = notice.unwrap_or("");
    if lang == "en" {
        let subject = format!("Please confirm: {purpose}");
        let text = format!(
            "Please confirm that you want to receive \"{purpose}\" by email:\n\n{confirm}\n\nThe link opens a page with a button to confirm; it is valid until {until} and can be used once.\n\nWhat you agree to:\n{notice}\n\nIf you did not ask for this, ignore this mail: nothing happens without your confirmation. To refuse for good: {unsubscribe}\n"
        );
        let html = format!(
            "<p>Please confirm that you want to receive “{p}” by email:</p><p><a href=\"{c}\">Confirm</a></p><p>The link is valid until {until} and can be used once.</p><p><strong>What you agree to:</strong><br>{n}</p><p>If you did not ask for this, ignore this mail. To refuse for good: <a href=\"{u}\">{u}</a></p>",
            p = html_escape(purpose),
            c = html_escape(confirm),
            n = html_escape(notice),
            u = html_escape(unsubscribe)
        );
        (subject, text, html)
    } else {
        let subject = format!("Bitte bestätigen: {purpose}");
        let text = format!(
            "Bitte bestätigen Sie, dass Sie „{purpose}“ per E-Mail erhalten möchten:\n\n{confirm}\n\nDer Link öffnet eine Seite mit einer Schaltfläche zum Bestätigen; er gilt bis {until} und nur einmal.\n\nWorin Sie einwilligen:\n{notice}\n\nWenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Ohne Ihre Bestätigung geschieht nichts. Dauerhaft ablehnen: {unsubscribe}\n"
        );
        let html = format!(
            "<p>Bitte bestätigen Sie, dass Sie „{p}“ per E-Mail erhalten möchten:</p><p><a href=\"{c}\">Bestätigen</a></p><p>Der Link gilt bis {until} und nur einmal.</p><p><strong>Worin Sie einwilligen:</strong><br>{n}</p><p>Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail. Dauerhaft ablehnen: <a href=\"{u}\">{u}</a></p>",
            p = html_escape(purpose),
            c = html_escape(confirm),
            n = html_escape(notice),
            u = html_escape(unsubscribe)
        );
        (subject, text, html)
    }
}

/// What following a confirmation link found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Confirmation {
    Confirmed {
        contact_id: String,
        purpose: String,
        channel: Channel,
        topic: String,
        language: String,
        renewed: bool,
    },
    AlreadyUsed,
    Expired,
    /// The request was withdrawn or refused after it was sent, or an objection stands.
    Withdrawn,
    Unknown,
}

/// The public side of a confirmation link, before the button is pressed: whether it is still
/// good, and for what (nothing personal is shown).
pub async fn peek_confirmation(app: &App, token: &str) -> ServiceResult<(Confirmation, String)> {
    let mut conn = app.conn().await?;
    Ok(match ledger::peek_token(&mut conn, token.trim(), app.now_ms()).await? {
        Claim::Claimed(t) => {
            let lang = ledger::find_event(&mut conn, &t.request_id).await?.and_then(|e| e.language).unwrap_or_else(|| "de".into());
            let name = purpose_name(app, &t.purpose, &lang).await;
            (
                Confirmation::Confirmed {
                    contact_id: String::new(),
                    purpose: t.purpose,
                    channel: t.channel,
                    topic: t.topic,
                    language: lang,
                    renewed: false,
                },
                name,
            )
        }
        Claim::Used(_) => (Confirmation::AlreadyUsed, String::new()),
        Claim::Expired(_) => (Confirmation::Expired, String::new()),
        Claim::Unknown => (Confirmation::Unknown, String::new()),
    })
}

/// Confirms a double opt-in (by the POST of the page the link opens; mail scanners only GET).
/// The token is used once, in the same transaction as the `confirmed` event; a request
/// withdrawn since, or an objection, leaves everything as it was.
pub async fn confirm(app: &App, token: &str, origin: &Origin) -> ServiceResult<Confirmation> {
    let now = app.now_ms();
    let crypto = &app.store.crypto;
    let subject = Actor::new(None, "data-subject", obhut_core::user::Role::Guest, crate::gate::Channel::Ui);
    let mut tx = app.begin_write().await?;
    let t = match ledger::claim_token(&mut tx, token.trim(), now).await? {
        Claim::Claimed(t) => t,
        Claim::Used(_) => return Ok(Confirmation::AlreadyUsed),
        Claim::Expired(_) => return Ok(Confirmation::Expired),
        Claim::Unknown => return Ok(Confirmation::Unknown),
    };
    let events = ledger::events_of(&mut tx, &t.contact_id, &t.purpose, t.channel, &t.topic).await?;
    let Some(req) = events.iter().find(|e| e.id == t.request_id) else { return Ok(Confirmation::Unknown) };
    let after_request =
        events.iter().filter(|e| e.seq > req.seq).any(|e| matches!(e.kind, EventKind::Withdrawn | EventKind::Refused | EventKind::Expired));
    let ledger_events: Vec<LedgerEvent> = events.iter().map(StoredEvent::ledger).collect();
    if after_request || objection_stands(&ledger_events) {
        // Nothing is written: the transaction (and the token's use) is rolled back.
        return Ok(Confirmation::Withdrawn);
    }
    let Some(_) = ledger::contact_key(&mut tx, crypto, &t.contact_id).await? else { return Ok(Confirmation::Unknown) };
    let requested_address = ledger::event_evidence(&mut tx, crypto, &req.id).await?.and_then(|e| e.address);
    let before = status(&ledger_events);
    // Before the request the consent was valid: this confirmation renews it.
    let renewed = status(
        &ledger_events.iter().filter(|e| e.at < req.at || (e.at == req.at && e.kind != EventKind::Requested)).cloned().collect::<Vec<_>>(),
    )
    .valid()
        && before.valid();
    let kind = if renewed { EventKind::Renewed } else { EventKind::Confirmed };
    let event = ledger::NewEvent {
        id: uuid::Uuid::now_v7().to_string(),
        contact_id: t.contact_id.clone(),
        purpose: t.purpose.clone(),
        channel: t.channel,
        topic: t.topic.clone(),
        kind,
        method: Method::WebFormDoubleOptIn,
        at: now,
        actor: subject.audit_name(),
        notice_id: req.notice_id.clone(),
        language: req.language.clone(),
        request_id: Some(req.id.clone()),
        facts: Facts::default(),
        evidence: Evidence { ip: origin.ip.clone(), user_agent: origin.user_agent.clone(), confirmed_at: Some(now), ..Default::default() },
    };
    ledger::append_event(&mut tx, &app.store.crypto, &event).await?;
    // The address now serves the purpose it was confirmed for (purpose binding).
    let mut fields = vec![format!("purpose={}", t.purpose), format!("channel={}", t.channel.as_str())];
    if bind_item(app, &mut tx, &t.contact_id, &t.purpose, t.channel, requested_address.as_deref(), now).await? {
        fields.push("emails.purposes".into());
    }
    let mut audit = audit_entry(
        &subject,
        if renewed { "consent.renew" } else { "consent.confirm" },
        "consent",
        &event.id,
        Some(t.contact_id.clone()),
        fields,
    );
    audit.purpose = Some(t.purpose.clone());
    obhut_store::audit::append(&mut tx, crypto, now, &[audit]).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    metrics::counter!("obhut_consent_confirmations_total").increment(1);
    Ok(Confirmation::Confirmed {
        contact_id: t.contact_id,
        purpose: t.purpose,
        channel: t.channel,
        topic: t.topic,
        language: req.language.clone().unwrap_or_else(|| "de".into()),
        renewed,
    })
}

/// Lets the address (or number) a consent was given for serve its purpose (purpose binding):
/// the item named by `address`, else the channel's first. Returns whether anything changed.
async fn bind_item(
    app: &App,
    tx: &mut obhut_store::Conn,
    cid: &str,
    purpose: &str,
    channel: Channel,
    address: Option<&str>,
    now: i64,
) -> ServiceResult<bool> {
    let crypto = &app.store.crypto;
    let Ok(id) = ContactId::parse(cid) else { return Ok(false) };
    let Some(mut c) = obhut_store::contacts::find_contact(tx, crypto, id).await? else { return Ok(false) };
    let own = c.personal.collection_purposes();
    let want = address.map(|a| a.trim().to_lowercase());
    let add = |purposes: &mut Vec<String>| -> bool {
        if purposes.iter().any(|p| p == purpose) {
            return false;
        }
        if purposes.is_empty() {
            *purposes = own.clone();
        }
        purposes.push(purpose.to_string());
        true
    };
    let changed = match channel {
        Channel::Email => {
            let i = match &want {
                Some(w) => c.personal.emails.iter().position(|e| &e.address.normalized() == w),
                None => (!c.personal.emails.is_empty()).then_some(0),
            };
            i.is_some_and(|i| add(&mut c.personal.emails[i].purposes))
        }
        Channel::Phone | Channel::Sms => {
            let i = match &want {
                Some(w) => c.personal.phones.iter().position(|p| p.number.as_str().replace(' ', "") == w.replace(' ', "")),
                None => (!c.personal.phones.is_empty()).then_some(0),
            };
            i.is_some_and(|i| add(&mut c.personal.phones[i].purposes))
        }
        Channel::Post => (!c.personal.addresses.is_empty()) && add(&mut c.personal.addresses[0].purposes),
    };
    if changed {
        obhut_store::contacts::update_contact(tx, crypto, id, &c.draft(), c.version, now).await?;
    }
    Ok(changed)
}

/// A consent, withdrawal, objection or basis as staff (or an API client) record it.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RecordInput {
    pub purpose: Option<String>,
    pub channel: String,
    #[serde(default)]
    pub topic: Option<String>,
    /// given, refused, withdrawn, confirmed (out of band), renewed, objected, objection_lifted, basis_recorded.
    pub kind: String,
    /// paper, recorded_call, import, api, staff (default: api or staff by where it comes from).
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub recording_ref: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// For basis_recorded: the four § 7(3) UWG conditions.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub existing_customer: Option<ExistingCustomer>,
    /// For basis_recorded on business phone: the concrete reason for presumed consent.
    #[serde(default)]
    pub presumed_consent_reason: Option<String>,
}

/// Records one event with its evidence. Objections cover every purpose on the channel and put
/// the contact's identifiers on the suppression list; a withdrawal needs no more than saying so.
pub async fn record(app: &App, actor: &Actor, contact_id: &str, input: &RecordInput) -> ServiceResult<StoredEvent> {
    let kind = EventKind::parse(&input.kind).map_err(|m| ServiceError::field("kind", m))?;
    let method = match input.method.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => Method::parse(m).map_err(|e| ServiceError::field("method", e))?,
        None => method_of(actor),
    };
    let objection = matches!(kind, EventKind::Objected | EventKind::ObjectionLifted);
    let k = if objection {
        let channel = Channel::parse(&input.channel).map_err(|m| ServiceError::field("channel", m))?;
        Key { purpose: ANY.into(), channel, topic: ANY.into() }
    } else {
        let purpose =
            input.purpose.as_deref().filter(|p| !p.trim().is_empty()).ok_or_else(|| ServiceError::field("purpose", "name the purpose"))?;
        key(app, purpose, &input.channel, input.topic.as_deref()).await?
    };
    let evidence = Evidence {
        recording_ref: input.recording_ref.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
        address: input.address.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
        note: input.note.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
        reason: input.presumed_consent_reason.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
        ..Default::default()
    };
    evidence.check().map_err(|(f, m)| ServiceError::field(f, m))?;
    let has_proof = evidence.recording_ref.is_some() || evidence.note.is_some();
    match kind {
        EventKind::Requested => {
            return Err(ServiceError::field("kind", "a double opt-in request is sent with consent request, not recorded"))
        }
        EventKind::Expired => return Err(ServiceError::field("kind", "consents expire through the review (consent review --expire)")),
        EventKind::Given if method == Method::WebFormDoubleOptIn => {
            return Err(ServiceError::field("method", "a web form consent counts once its mail is confirmed: send it with consent request"))
        }
        EventKind::Given | EventKind::Renewed
            if matches!(method, Method::Paper | Method::RecordedCall) && evidence.recording_ref.is_none() =>
        {
            return Err(ServiceError::field("recording_ref", "say where the signed form or the call recording is kept"))
        }
        EventKind::Confirmed | EventKind::ObjectionLifted if !has_proof => {
            return Err(ServiceError::field(
                "note",
                "record the evidence: where the declaration is kept (recording_ref) or what was declared (note)",
            ))
        }
        EventKind::BasisRecorded if input.existing_customer.is_none() && evidence.reason.is_none() => {
            return Err(ServiceError::field("existing_customer", "record the four § 7(3) UWG conditions or a reason for presumed consent"))
        }
        _ => {}
    }
    if kind == EventKind::BasisRecorded && evidence.reason.is_some() && k.channel != Channel::Phone {
        return Err(ServiceError::field(
            "presumed_consent_reason",
            "presumed consent applies to business phone calls only (§ 7(2) Nr. 1 UWG)",
        ));
    }
    if kind == EventKind::BasisRecorded && input.existing_customer.is_some() && !k.channel.is_electronic_mail() {
        return Err(ServiceError::field("existing_customer", "§ 7(3) UWG concerns email and SMS only"));
    }
    let record = contact_for(app, actor, contact_id, Action::Update).await?;
    if kind == EventKind::BasisRecorded && evidence.reason.is_some() && record.kind == ContactKind::B2c {
        return Err(ServiceError::field(
            "presumed_consent_reason",
            "presumed consent does not count for consumers: they must consent (§ 7(2) Nr. 1 UWG)",
        ));
    }
    let cid = record.id.to_string();
    let lang = language_of(&record, input.language.as_deref());
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    let prior = ledger::events_of(&mut tx, &cid, &k.purpose, k.channel, &k.topic).await?;
    let prior_ledger: Vec<LedgerEvent> = prior.iter().map(StoredEvent::ledger).collect();
    if kind == EventKind::Confirmed && status(&prior_ledger) != Status::Requested {
        return Err(ServiceError::Conflict("there is no pending request to confirm for this purpose and channel".into()));
    }
    let notice = if matches!(kind, EventKind::Given | EventKind::Renewed | EventKind::Confirmed) {
        notice_for(app, &mut tx, &k, &lang, &actor.audit_name()).await?
    } else {
        None
    };
    ledger::contact_key(&mut tx, &app.store.crypto, &cid).await?.ok_or(ServiceError::NotFound("contact"))?;
    let facts = Facts { existing_customer: input.existing_customer, presumed_consent: evidence.reason.is_some() };
    let event = ledger::NewEvent {
        id: uuid::Uuid::now_v7().to_string(),
        contact_id: cid.clone(),
        purpose: k.purpose.clone(),
        channel: k.channel,
        topic: k.topic.clone(),
        kind,
        method,
        at: now,
        actor: actor.audit_name(),
        notice_id: notice.as_ref().map(|n| n.id.clone()),
        language: Some(lang),
        request_id: if kind == EventKind::Confirmed {
            prior.iter().rev().find(|e| e.kind == EventKind::Requested).map(|e| e.id.clone())
        } else {
            None
        },
        facts: if kind == EventKind::BasisRecorded { facts } else { Facts::default() },
        evidence,
    };
    let seq = ledger::append_event(&mut tx, &app.store.crypto, &event).await?;
    let mut fields = key_fields(&k);
    if matches!(kind, EventKind::Given | EventKind::Renewed | EventKind::Confirmed)
        && bind_item(app, &mut tx, &cid, &k.purpose, k.channel, event.evidence.address.as_deref(), now).await?
    {
        fields.push("item.purposes".into());
    }
    let tokens = match obhut_store::consent::contact_index_tokens(&mut tx, &cid).await? {
        Some(t) => ledger::channel_tokens(&t, k.channel)?,
        None => Vec::new(),
    };
    match kind {
        EventKind::Objected => ledger::suppress(&mut tx, &tokens, k.channel, "objection", now).await?,
        EventKind::ObjectionLifted => ledger::unsuppress(&mut tx, &tokens, k.channel).await?,
        _ => {}
    }
    let mut audit = audit_entry(actor, &format!("consent.{}", kind.as_str()), "consent", &event.id, Some(cid.clone()), fields);
    audit.purpose = (!objection).then(|| k.purpose.clone());
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[audit]).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(StoredEvent {
        seq,
        id: event.id,
        contact_id: cid,
        purpose: event.purpose,
        channel: event.channel,
        topic: event.topic,
        kind,
        method,
        at: now,
        actor: event.actor,
        notice_id: event.notice_id,
        language: event.language,
        request_id: event.request_id,
        facts: event.facts,
        evidence: Some(event.evidence),
    })
}

/// Withdraws a consent (Art. 7(3)): as easy as giving it.
pub async fn withdraw(
    app: &App,
    actor: &Actor,
    contact_id: &str,
    purpose: &str,
    channel: &str,
    topic: Option<&str>,
    note: Option<&str>,
) -> ServiceResult<StoredEvent> {
    let input = RecordInput {
        purpose: Some(purpose.into()),
        channel: channel.into(),
        topic: topic.map(str::to_string),
        kind: "withdrawn".into(),
        note: note.map(str::to_string),
        ..Default::default()
    };
    record(app, actor, contact_id, &input).await
}

// ---------------------------------------------------------------------------------------------
// Unsubscribe links

/// The unsubscribe token of a contact's consent: its id, purpose, channel and topic, signed
/// with a key derived from the master key. It needs no storage and does not expire (a
/// withdrawal must stay possible), and a forged or altered one is refused.
pub fn unsubscribe_token(app: &App, contact_id: &str, k: &Key) -> String {
    let payload = format!("{contact_id}|{}|{}|{}", k.purpose, k.channel.as_str(), k.topic);
    let mac = app.store.crypto.blind("unsubscribe-link", &payload);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!("{}.{}", b64.encode(payload.as_bytes()), b64.encode(mac))
}

/// Opens an unsubscribe token; `None` when it is malformed or forged.
pub fn open_unsubscribe_token(app: &App, token: &str) -> Option<(String, Key)> {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (p, m) = token.trim().split_once('.')?;
    let payload = String::from_utf8(b64.decode(p).ok()?).ok()?;
    let mac = b64.decode(m).ok()?;
    let expected = app.store.crypto.blind("unsubscribe-link", &payload);
    if mac.len() != expected.len() || mac.iter().zip(expected.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) != 0 {
        return None;
    }
    let mut parts = payload.split('|');
    let (cid, purpose, channel, topic) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let channel = Channel::parse(channel).ok()?;
    Some((cid.to_string(), Key { purpose: purpose.into(), channel, topic: topic.into() }))
}

/// What an unsubscribe link did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Unsubscribed {
    Done { purpose: String, channel: Channel, objected: bool },
    Unknown,
}

/// Withdraws by an unsubscribe link (RFC 8058 one-click POST, or the page's button); with
/// `object`, also objects to all advertising on the channel (Art. 21(3)).
pub async fn unsubscribe(app: &App, token: &str, object: bool, origin: &Origin) -> ServiceResult<Unsubscribed> {
    let Some((cid, k)) = open_unsubscribe_token(app, token) else { return Ok(Unsubscribed::Unknown) };
    let subject = Actor::new(None, "data-subject", obhut_core::user::Role::Guest, crate::gate::Channel::Ui);
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    let Some(_) = ledger::contact_key(&mut tx, &app.store.crypto, &cid).await? else { return Ok(Unsubscribed::Unknown) };
    let evidence = Evidence { ip: origin.ip.clone(), user_agent: origin.user_agent.clone(), ..Default::default() };
    let mut kinds = vec![(k.purpose.clone(), k.topic.clone(), EventKind::Withdrawn)];
    if object {
        kinds.push((ANY.into(), ANY.into(), EventKind::Objected));
    }
    let mut audits = Vec::new();
    for (purpose, topic, kind) in kinds {
        let event = ledger::NewEvent {
            id: uuid::Uuid::now_v7().to_string(),
            contact_id: cid.clone(),
            purpose: purpose.clone(),
            channel: k.channel,
            topic: topic.clone(),
            kind,
            method: Method::UnsubscribeLink,
            at: now,
            actor: subject.audit_name(),
            notice_id: None,
            language: None,
            request_id: None,
            facts: Facts::default(),
            evidence: evidence.clone(),
        };
        ledger::append_event(&mut tx, &app.store.crypto, &event).await?;
        let k2 = Key { purpose, channel: k.channel, topic };
        let mut a = audit_entry(&subject, &format!("consent.{}", kind.as_str()), "consent", &event.id, Some(cid.clone()), key_fields(&k2));
        a.purpose = (kind == EventKind::Withdrawn).then(|| k.purpose.clone());
        audits.push(a);
    }
    if object {
        if let Some(t) = ledger::contact_index_tokens(&mut tx, &cid).await? {
            ledger::suppress(&mut tx, &ledger::channel_tokens(&t, k.channel)?, k.channel, "objection", now).await?;
        }
    }
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &audits).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    metrics::counter!("obhut_consent_unsubscribes_total").increment(1);
    Ok(Unsubscribed::Done { purpose: k.purpose, channel: k.channel, objected: object })
}

// ---------------------------------------------------------------------------------------------
// The permission, per contact and for audiences

/// One consent's state.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentState {
    pub purpose: String,
    pub channel: Channel,
    pub topic: String,
    pub status: Status,
    pub dpv: &'static str,
    pub since: Option<i64>,
    pub last_used: Option<i64>,
}

/// May we approach the contact on a channel for a purpose, and why (or why not).
#[derive(Debug, Clone, Serialize)]
pub struct PermissionView {
    pub purpose: String,
    pub channel: Channel,
    pub allowed: bool,
    pub reason: Reason,
    pub explanation: &'static str,
}

/// An event as shown: its notice and evidence with it.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub id: String,
    pub seq: i64,
    pub at: i64,
    pub purpose: String,
    pub channel: Channel,
    pub topic: String,
    pub kind: EventKind,
    pub method: Method,
    pub actor: String,
    pub language: Option<String>,
    pub request_id: Option<String>,
    pub notice: Option<NoticeRef>,
    pub facts: Facts,
    pub evidence: Option<Evidence>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoticeRef {
    pub id: String,
    pub version: i64,
    pub language: String,
    pub sha256: String,
}

/// A contact's consents: the ledger, the derived states and the permission per channel.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub contact_id: String,
    pub restricted: bool,
    pub events: Vec<EventView>,
    pub consents: Vec<ConsentState>,
    pub permissions: Vec<PermissionView>,
    pub objections: Vec<Channel>,
}

fn situation(
    app: &App,
    channel: Channel,
    consumer: bool,
    restricted: bool,
    suppressed: bool,
    events: &[(LedgerEvent, Facts)],
) -> Situation {
    let facts = latest_facts(events.iter().map(|(e, f)| (e, f)));
    Situation {
        channel,
        consumer,
        // The consent's own events, without the channel's objections (stored under purpose `*`).
        consent: status_of(events.iter().map(|(e, _)| e).filter(|e| !matches!(e.kind, EventKind::Objected | EventKind::ObjectionLifted))),
        objected: suppressed || objection_stands_in(events.iter().map(|(e, _)| e)),
        restricted,
        existing_customer: facts.existing_customer,
        presumed_consent_reason: facts.presumed_consent.then(|| "recorded".to_string()),
        post_requires_consent: app.config.post_requires_consent,
    }
}

/// The ledger and permissions of one contact.
pub async fn overview(app: &App, actor: &Actor, contact_id: &str) -> ServiceResult<Overview> {
    let record = contact_for(app, actor, contact_id, Action::Read).await?;
    let cid = record.id.to_string();
    let mut conn = app.conn().await?;
    let stored = ledger::events_for_contact(&mut conn, &app.store.crypto, &cid).await?;
    let restricted = ledger::restricted_at(&mut conn, &cid).await?.is_some();
    let index = ledger::contact_index_tokens(&mut conn, &cid).await?.unwrap_or_default();
    let mut notices: HashMap<String, Option<Notice>> = HashMap::new();
    for e in &stored {
        if let Some(id) = &e.notice_id {
            if !notices.contains_key(id) {
                let n = ledger::notice_by_id(&mut conn, id).await?;
                notices.insert(id.clone(), n);
            }
        }
    }
    let events: Vec<EventView> = stored
        .iter()
        .map(|e| EventView {
            id: e.id.clone(),
            seq: e.seq,
            at: e.at,
            purpose: e.purpose.clone(),
            channel: e.channel,
            topic: e.topic.clone(),
            kind: e.kind,
            method: e.method,
            actor: e.actor.clone(),
            language: e.language.clone(),
            request_id: e.request_id.clone(),
            notice: e.notice_id.as_ref().and_then(|id| notices.get(id).cloned().flatten()).map(|n| NoticeRef {
                id: n.id,
                version: n.version,
                language: n.language,
                sha256: n.sha256,
            }),
            facts: e.facts,
            evidence: e.evidence.clone(),
        })
        .collect();
    let mut keys: Vec<(String, Channel, String)> =
        stored.iter().filter(|e| e.purpose != ANY).map(|e| (e.purpose.clone(), e.channel, e.topic.clone())).collect();
    keys.sort_by(|a, b| (&a.0, a.1, &a.2).cmp(&(&b.0, b.1, &b.2)));
    keys.dedup();
    let mut consents = Vec::new();
    for (purpose, channel, topic) in keys {
        let own: Vec<LedgerEvent> =
            stored.iter().filter(|e| e.purpose == purpose && e.channel == channel && e.topic == topic).map(StoredEvent::ledger).collect();
        let st = status(&own);
        let since = stored
            .iter()
            .filter(|e| e.purpose == purpose && e.channel == channel && e.topic == topic && !matches!(e.kind, EventKind::BasisRecorded))
            .map(|e| e.at)
            .next_back();
        let last_used = ledger::last_use(&mut conn, &cid, &purpose, channel, &topic).await?;
        consents.push(ConsentState { purpose, channel, topic, status: st, dpv: st.dpv(), since, last_used });
    }
    let reg = super::purposes::registry(app).await?;
    let consumer = record.kind == ContactKind::B2c;
    let mut permissions = Vec::new();
    let mut objections = Vec::new();
    for channel in Channel::ALL {
        let channel_events: Vec<&StoredEvent> = stored.iter().filter(|e| e.channel == channel).collect();
        let objected_events: Vec<LedgerEvent> = channel_events.iter().filter(|e| e.purpose == ANY).map(|e| e.ledger()).collect();
        if objection_stands(&objected_events) {
            objections.push(channel);
        }
        let suppressed = {
            let tokens = ledger::channel_tokens(&index, channel)?;
            ledger::suppressed(&mut conn, &tokens, channel).await?
        };
        for p in reg.iter().filter(|p| p.active && consentable(p)) {
            let evs: Vec<(LedgerEvent, Facts)> = channel_events
                .iter()
                .filter(|e| (e.purpose == p.key && e.topic.is_empty()) || e.purpose == ANY)
                .map(|e| (e.ledger(), e.facts))
                .collect();
            let perm = may_approach(&situation(app, channel, consumer, restricted, suppressed, &evs));
            permissions.push(PermissionView {
                purpose: p.key.clone(),
                channel,
                allowed: perm.allowed,
                reason: perm.reason,
                explanation: perm.reason.explain(),
            });
        }
    }
    Ok(Overview { contact_id: cid, restricted, events, consents, permissions, objections })
}

/// A consent record as an ISO/IEC TS 27560 (Kantara consent receipt) style JSON document.
pub async fn receipt(
    app: &App,
    actor: &Actor,
    contact_id: &str,
    purpose: &str,
    channel: &str,
    topic: Option<&str>,
) -> ServiceResult<serde_json::Value> {
    let k = key(app, purpose, channel, topic).await?;
    let record = contact_for(app, actor, contact_id, Action::Read).await?;
    let cid = record.id.to_string();
    let mut conn = app.conn().await?;
    let all = ledger::events_for_contact(&mut conn, &app.store.crypto, &cid).await?;
    let events: Vec<&StoredEvent> =
        all.iter().filter(|e| e.channel == k.channel && ((e.purpose == k.purpose && e.topic == k.topic) || e.purpose == ANY)).collect();
    if events.iter().all(|e| e.purpose == ANY) {
        return Err(ServiceError::NotFound("consent"));
    }
    let own: Vec<LedgerEvent> = events.iter().filter(|e| e.purpose != ANY).map(|e| e.ledger()).collect();
    let st = status(&own);
    let controller = obhut_store::purposes::controller(&mut conn).await?;
    let reg = super::purposes::registry(app).await?;
    let p = reg.iter().find(|p| p.key == k.purpose).cloned().ok_or(ServiceError::NotFound("purpose"))?;
    let given = events.iter().rev().find(|e| matches!(e.kind, EventKind::Given | EventKind::Confirmed | EventKind::Renewed));
    let notice = match given.and_then(|e| e.notice_id.clone()).or_else(|| events.iter().rev().find_map(|e| e.notice_id.clone())) {
        Some(id) => ledger::notice_by_id(&mut conn, &id).await?,
        None => None,
    };
    let rfc = |ms: i64| obhut_core::clock::from_millis(ms).format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let last_used = ledger::last_use(&mut conn, &cid, &k.purpose, k.channel, &k.topic).await?;
    Ok(serde_json::json!({
        "schema": "ISO/IEC TS 27560:2023 consent record (Kantara Consent Receipt v1.1 fields)",
        "record_id": given.map(|e| e.id.clone()).unwrap_or_else(|| events.last().map(|e| e.id.clone()).unwrap_or_default()),
        "generated_at": rfc(app.now_ms()),
        "jurisdiction": "DE",
        "controller": {"name": controller.name, "address": controller.address, "email": controller.email, "phone": controller.phone},
        "data_protection_officer": {"name": controller.dpo_name, "email": controller.dpo_email},
        "data_subject": {"id": cid},
        "purpose": {"key": p.key, "name_de": p.name_de, "name_en": p.name_en, "description": p.description, "dpv": p.dpv_purpose,
            "legal_basis": p.legal_basis.dpv(), "data_categories": p.data_categories, "topic": k.topic},
        "channel": k.channel,
        "status": {"dpv": st.dpv(), "valid": st.valid()},
        "notice": notice.map(|n| serde_json::json!({"id": n.id, "version": n.version, "language": n.language, "sha256": n.sha256, "text": n.text})),
        "given_at": given.map(|e| rfc(e.at)),
        "method": given.map(|e| e.method.as_str()),
        "evidence": given.and_then(|e| e.evidence.clone()),
        "last_used_at": last_used.map(rfc),
        "withdrawal": {"how": "the unsubscribe link in every mail, or any message to the controller", "article": "Art. 7(3) GDPR"},
        "events": events.iter().map(|e| serde_json::json!({
            "id": e.id, "at": rfc(e.at), "kind": e.kind, "method": e.method, "actor": e.actor,
            "purpose": if e.purpose == ANY { "*" } else { e.purpose.as_str() }, "language": e.language, "evidence": e.evidence
        })).collect::<Vec<_>>(),
    }))
}

// ---------------------------------------------------------------------------------------------
// Audiences

/// A segment: filters on contacts.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct Segment {
    #[serde(default)]
    pub tag: Option<String>,
    /// b2b or b2c.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
}

impl Segment {
    fn filter(&self) -> ServiceResult<ContactFilter> {
        let kind = match self.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => Some(ContactKind::parse(k).map_err(|m| ServiceError::field("kind", m))?),
            None => None,
        };
        Ok(ContactFilter {
            kind,
            tag: self.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string),
            language: self.language.as_deref().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string),
            ..Default::default()
        })
    }
    fn describe(&self) -> String {
        let mut v = Vec::new();
        if let Some(t) = &self.tag {
            v.push(format!("tag={t}"));
        }
        if let Some(k) = &self.kind {
            v.push(format!("kind={k}"));
        }
        if let Some(l) = &self.language {
            v.push(format!("language={l}"));
        }
        v.join(",")
    }
}

/// How an audience came out.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct AudienceSummary {
    pub purpose: String,
    pub channel: String,
    pub topic: String,
    pub permitted: u64,
    pub excluded: u64,
    /// Contacts left out, by reason.
    pub excluded_by_reason: BTreeMap<String, u64>,
    /// Contacts let in, by reason (consent, existing customer …).
    pub permitted_by_reason: BTreeMap<String, u64>,
}

/// One contact's place in an audience.
#[derive(Debug, Clone)]
pub struct Member {
    pub contact_id: String,
    pub allowed: bool,
    pub reason: Reason,
}

/// A walk over a segment for a purpose and channel that decides every contact in it, a batch
/// at a time by id, so memory stays constant however large the segment.
pub struct AudienceScan<'a> {
    app: &'a App,
    actor: &'a Actor,
    pub key: Key,
    filter: ContactFilter,
    /// Contacts whose address on the channel is on the suppression list.
    suppressed: std::collections::HashSet<String>,
    /// Gate decisions depend on the record's class, owner, team and tags: few distinct ones.
    /// Keyed by their hash; each entry keeps the values it stands for.
    decided: HashMap<u64, Vec<GateKey>>,
    /// Contacts decided, by whether let in and why (the summary's maps are filled at the end).
    counts: HashMap<(bool, Reason), u64>,
    after: Option<String>,
    /// Whether batches list their members (a count needs only the summary).
    members: bool,
    batch: i64,
    pub summary: AudienceSummary,
}

/// What the gate's decision on a contact depends on, and the decision.
struct GateKey {
    record_class: String,
    owner_id: Option<String>,
    team: Option<String>,
    tags: String,
    visible: bool,
}

impl GateKey {
    fn is(&self, c: &ledger::ScanContact<'_>) -> bool {
        self.record_class == c.record_class
            && self.owner_id.as_deref() == c.owner_id
            && self.team.as_deref() == c.team
            && self.tags == c.tags
    }
}

/// Contacts decided per batch.
const AUDIENCE_BATCH: i64 = 20_000;

/// Starts an audience walk (the gate must let the actor read contacts for the purpose).
pub async fn audience_scan<'a>(
    app: &'a App,
    actor: &'a Actor,
    purpose: &str,
    channel: &str,
    topic: Option<&str>,
    segment: &Segment,
) -> ServiceResult<AudienceScan<'a>> {
    let k = key(app, purpose, channel, topic).await?;
    let mut filter = segment.filter()?;
    app.authorize_for(actor, Action::Read, Resource::Contact, &k.purpose).await?;
    filter.reach = contacts_svc::reach(app, actor, &k.purpose);
    let mut conn = app.conn().await?;
    let suppressed = ledger::suppressed_contacts(&mut conn, k.channel).await?;
    let summary =
        AudienceSummary { purpose: k.purpose.clone(), channel: k.channel.as_str().into(), topic: k.topic.clone(), ..Default::default() };
    Ok(AudienceScan {
        app,
        actor,
        key: k,
        filter,
        suppressed,
        decided: HashMap::new(),
        counts: HashMap::new(),
        after: None,
        members: true,
        batch: AUDIENCE_BATCH,
        summary,
    })
}

impl AudienceScan<'_> {
    /// Contacts per batch (at least one); the decisions do not depend on it.
    pub fn batch_size(&mut self, n: i64) {
        self.batch = n.clamp(1, AUDIENCE_BATCH);
    }

    /// The decisions for the next batch of contacts; `None` at the end.
    pub async fn next_batch(&mut self) -> ServiceResult<Option<Vec<Member>>> {
        let (app, actor) = (self.app, self.actor);
        let k = &self.key;
        let today = app.today();
        let (decided, counts, summary, suppressed) = (&mut self.decided, &mut self.counts, &mut self.summary, &self.suppressed);
        let listing = self.members;
        let mut members = Vec::with_capacity(if listing { self.batch as usize } else { 0 });
        let mut visit = |c: &ledger::ScanContact<'_>, events: &ledger::ScanEvents| {
            let h = {
                use std::hash::BuildHasher;
                foldhash::fast::FixedState::default().hash_one((c.record_class, c.owner_id, c.team, c.tags))
            };
            let visible = match decided.get(&h).and_then(|v| v.iter().find(|g| g.is(c))) {
                Some(g) => g.visible,
                None => {
                    let tags: Vec<String> = c.tags.split('\n').filter(|t| !t.is_empty()).map(str::to_string).collect();
                    let owner = c.owner_id.and_then(|o| obhut_core::ids::UserId::parse(o).ok());
                    let t = crate::gate::Target::new(Resource::Contact, c.record_class, owner, c.team, &tags);
                    let visible = app.gate.check(actor, Action::Read, &t, &k.purpose, today).is_ok();
                    decided.entry(h).or_default().push(GateKey {
                        record_class: c.record_class.to_string(),
                        owner_id: c.owner_id.map(str::to_string),
                        team: c.team.map(str::to_string),
                        tags: c.tags.to_string(),
                        visible,
                    });
                    visible
                }
            };
            if !visible {
                return;
            }
            let is_suppressed = !suppressed.is_empty() && suppressed.contains(c.id);
            let p = may_approach(&situation(app, k.channel, c.consumer, c.restricted, is_suppressed, events));
            if p.allowed {
                summary.permitted += 1;
            } else {
                summary.excluded += 1;
            }
            *counts.entry((p.allowed, p.reason)).or_default() += 1;
            if listing {
                members.push(Member { contact_id: c.id.to_string(), allowed: p.allowed, reason: p.reason });
            }
        };
        let last =
            ledger::scan_segment(&app.store, &self.filter, &k.purpose, k.channel, &k.topic, self.after.as_deref(), self.batch, &mut visit)
                .await?;
        let Some(last) = last else {
            for ((allowed, reason), n) in self.counts.drain() {
                let map = if allowed { &mut self.summary.permitted_by_reason } else { &mut self.summary.excluded_by_reason };
                *map.entry(reason.code().to_string()).or_default() += n;
            }
            return Ok(None);
        };
        self.after = Some(last);
        Ok(Some(members))
    }
}

/// Decides a whole segment and counts: how many are in, how many left out and why.
pub async fn audience(
    app: &App,
    actor: &Actor,
    purpose: &str,
    channel: &str,
    topic: Option<&str>,
    segment: &Segment,
) -> ServiceResult<AudienceSummary> {
    let mut scan = audience_scan(app, actor, purpose, channel, topic, segment).await?;
    scan.members = false;
    while scan.next_batch().await?.is_some() {}
    Ok(scan.summary)
}

/// The columns of an audience export.
pub const AUDIENCE_HEADERS: [&str; 10] =
    ["contact_id", "salutation", "given_name", "family_name", "email", "phone", "street", "postal_code", "city", "country"];

fn reason_str(r: Reason) -> String {
    r.code().to_string()
}

/// Exports the permitted audience as CSV (with each contact's reason and unsubscribe link):
/// a disclosure, logged with its recipient before the first row, and for every contact in it
/// a use of the consent (§ 7a UWG proof, and the review of unused consents). With `excluded`,
/// the contacts left out are written instead, each with its reason (no personal data).
#[allow(clippy::too_many_arguments)]
pub async fn export_csv(
    app: &App,
    actor: &Actor,
    purpose: &str,
    channel: &str,
    topic: Option<&str>,
    segment: &Segment,
    recipient: Option<&str>,
    excluded: bool,
    out: &mut (dyn std::io::Write + Send),
) -> ServiceResult<AudienceSummary> {
    let k = key(app, purpose, channel, topic).await?;
    let recipient = recipient.map(str::trim).filter(|r| !r.is_empty()).unwrap_or("marketing");
    if recipient.chars().count() > 200 || recipient.chars().any(char::is_control) {
        return Err(ServiceError::field("recipient", "name the recipient in at most 200 characters, without control characters"));
    }
    let io = |e: std::io::Error| ServiceError::Internal(format!("writing the export: {e}"));
    let csv_err = |e: csv::Error| ServiceError::Internal(format!("writing the export: {e}"));
    let write_rows = |rows: &[Vec<String>], out: &mut (dyn std::io::Write + Send)| -> ServiceResult<()> {
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        for r in rows {
            w.write_record(r).map_err(csv_err)?;
        }
        let bytes = w.into_inner().map_err(|e| ServiceError::Internal(format!("writing the export: {e}")))?;
        out.write_all(&bytes).map_err(io)
    };
    if excluded {
        write_rows(&[vec!["contact_id".into(), "reason".into(), "explanation".into()]], out)?;
        let mut scan = audience_scan(app, actor, &k.purpose, k.channel.as_str(), Some(&k.topic), segment).await?;
        while let Some(members) = scan.next_batch().await? {
            let rows: Vec<Vec<String>> = members
                .iter()
                .filter(|m| !m.allowed)
                .map(|m| vec![m.contact_id.clone(), reason_str(m.reason), m.reason.explain().to_string()])
                .collect();
            write_rows(&rows, out)?;
        }
        return Ok(scan.summary);
    }
    app.authorize_for(actor, Action::Export, Resource::Contact, &k.purpose).await?;
    let export_id = uuid::Uuid::now_v7().to_string();
    let now = app.now_ms();
    {
        let mut tx = app.begin_write().await?;
        ledger::record_export(
            &mut tx,
            &export_id,
            &k.purpose,
            k.channel,
            &k.topic,
            &segment.describe(),
            recipient,
            &actor.audit_name(),
            now,
            0,
            0,
        )
        .await?;
        let mut e = audit_entry(actor, "audience.export.start", "audience", &export_id, None, key_fields(&k));
        e.purpose = Some(k.purpose.clone());
        e.recipient = Some(recipient.to_string());
        obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[e]).await?;
        tx.commit().await.map_err(obhut_store::StoreError::from)?;
    }
    let mut header: Vec<String> = AUDIENCE_HEADERS.iter().map(|h| h.to_string()).collect();
    header.extend(["language".to_string(), "reason".to_string(), "unsubscribe_url".to_string()]);
    write_rows(&[header], out)?;
    let serving = super::purposes::serving(app, &k.purpose).await?;
    let base = app.config.base_url();
    let mut no_address: u64 = 0;
    let mut scan = audience_scan(app, actor, &k.purpose, k.channel.as_str(), Some(&k.topic), segment).await?;
    while let Some(members) = scan.next_batch().await? {
        let allowed: Vec<&Member> = members.iter().filter(|m| m.allowed).collect();
        if allowed.is_empty() {
            continue;
        }
        let ids: Vec<String> = allowed.iter().map(|m| m.contact_id.clone()).collect();
        let mut conn = app.conn().await?;
        let mut records = obhut_store::contacts::find_contacts(&mut conn, &app.store.crypto, &ids).await?;
        drop(conn);
        records.sort_by_key(|r| r.id);
        let reasons: HashMap<&str, Reason> = allowed.iter().map(|m| (m.contact_id.as_str(), m.reason)).collect();
        let mut rows = Vec::with_capacity(records.len());
        let mut used = Vec::with_capacity(records.len());
        for r in records {
            let id = r.id.to_string();
            let reason = reasons.get(id.as_str()).copied().unwrap_or(Reason::Consent);
            // The address must serve the purpose; under § 7(3) the one from the sale may.
            let p = if reason == Reason::ExistingCustomer {
                r.personal.clone()
            } else {
                r.personal.bound_to(|collected| collected.iter().any(|c| serving.contains(c)))
            };
            let (email, phone, addr) = (p.emails.first(), p.phones.first(), p.addresses.first());
            let has = match k.channel {
                Channel::Email => email.is_some(),
                Channel::Phone | Channel::Sms => phone.is_some(),
                Channel::Post => addr.is_some(),
            };
            if !has {
                no_address += 1;
                continue;
            }
            let a = addr.cloned().unwrap_or_default();
            let show = |ch: Channel, v: Option<String>| {
                if ch == k.channel || (k.channel == Channel::Post && ch == Channel::Post) {
                    v.unwrap_or_default()
                } else {
                    String::new()
                }
            };
            let postal = k.channel == Channel::Post;
            rows.push(vec![
                id.clone(),
                p.salutation.clone().unwrap_or_default(),
                p.given_name.clone().unwrap_or_default(),
                p.family_name.clone().unwrap_or_default(),
                show(Channel::Email, email.map(|e| e.address.as_str().to_string())),
                if matches!(k.channel, Channel::Phone | Channel::Sms) {
                    phone.map(|n| n.number.as_str().to_string()).unwrap_or_default()
                } else {
                    String::new()
                },
                if postal { a.street.clone().unwrap_or_default() } else { String::new() },
                if postal { a.postal_code.clone().unwrap_or_default() } else { String::new() },
                if postal { a.city.clone().unwrap_or_default() } else { String::new() },
                if postal { a.country.clone().unwrap_or_default() } else { String::new() },
                r.language.clone().unwrap_or_default(),
                reason_str(reason),
                format!("{base}/consent/unsubscribe/{}", unsubscribe_token(app, &id, &k)),
            ]);
            used.push(id);
        }
        if !used.is_empty() {
            let mut conn = app.conn().await?;
            ledger::record_uses(&mut conn, &export_id, &k.purpose, k.channel, &k.topic, now, &used).await?;
        }
        write_rows(&rows, out)?;
    }
    let mut summary = scan.summary;
    if no_address > 0 {
        summary.permitted -= no_address;
        summary.excluded += no_address;
        summary.excluded_by_reason.insert("no_address_for_purpose".into(), no_address);
    }
    {
        let mut tx = app.begin_write().await?;
        sqlx::query("UPDATE audience_exports SET permitted = $1, excluded = $2 WHERE id = $3")
            .bind(summary.permitted as i64)
            .bind(summary.excluded as i64)
            .bind(&export_id)
            .execute(&mut *tx)
            .await
            .map_err(obhut_store::StoreError::from)?;
        let mut fields = key_fields(&k);
        fields.push(format!("rows={}", summary.permitted));
        let mut e = audit_entry(actor, "audience.export", "audience", &export_id, None, fields);
        e.purpose = Some(k.purpose.clone());
        e.recipient = Some(recipient.to_string());
        obhut_store::audit::append(&mut tx, &app.store.crypto, app.now_ms(), &[e]).await?;
        tx.commit().await.map_err(obhut_store::StoreError::from)?;
    }
    Ok(summary)
}

// ---------------------------------------------------------------------------------------------
// Review of old consents

/// A consent due for review.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewItem {
    pub contact_id: String,
    pub purpose: String,
    pub channel: Channel,
    pub topic: String,
    pub given_at: i64,
    pub last_used: Option<i64>,
}

/// Consents given (or renewed) more than the configured months ago and not used since then
/// for as long: the review queue.
pub async fn review_queue(app: &App, actor: &Actor, limit: i64) -> ServiceResult<Vec<ReviewItem>> {
    app.authorize(actor, Action::Read, Resource::Purpose).await?;
    let cutoff = app.now_ms() - app.config.consent_review_months * 30 * DAY_MS;
    let mut conn = app.conn().await?;
    let candidates = ledger::consents_given_before(&mut conn, cutoff, limit.clamp(1, 10_000) * 2).await?;
    let mut out = Vec::new();
    for (contact_id, purpose, channel, topic, given_at, last_used) in candidates {
        if last_used.is_some_and(|u| u >= cutoff) {
            continue;
        }
        let Ok(channel) = Channel::parse(&channel) else { continue };
        // Restricted contacts (Art. 18) are only stored: no review, no re-confirmation mail.
        if ledger::restricted_at(&mut conn, &contact_id).await?.is_some() {
            continue;
        }
        let evs: Vec<LedgerEvent> = ledger::events_of(&mut conn, &contact_id, &purpose, channel, &topic)
            .await?
            .iter()
            .filter(|e| e.purpose != ANY)
            .map(StoredEvent::ledger)
            .collect();
        if !status(&evs).valid() {
            continue;
        }
        out.push(ReviewItem { contact_id, purpose, channel, topic, given_at, last_used });
        if out.len() as i64 >= limit {
            break;
        }
    }
    Ok(out)
}

/// What a review run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReviewRun {
    pub due: usize,
    pub mails_queued: usize,
    pub expired: usize,
    pub skipped: Vec<String>,
}

/// Sends re-confirmation mails for the due email consents (`send`), or ends due consents as
/// expired (`expire`).
pub async fn review(app: &App, actor: &Actor, send: bool, expire: bool, limit: i64) -> ServiceResult<ReviewRun> {
    let due = review_queue(app, actor, limit).await?;
    let mut run = ReviewRun { due: due.len(), ..Default::default() };
    for item in due {
        if expire {
            let now = app.now_ms();
            let mut tx = app.begin_write().await?;
            let Some(_) = ledger::contact_key(&mut tx, &app.store.crypto, &item.contact_id).await? else { continue };
            let event = ledger::NewEvent {
                id: uuid::Uuid::now_v7().to_string(),
                contact_id: item.contact_id.clone(),
                purpose: item.purpose.clone(),
                channel: item.channel,
                topic: item.topic.clone(),
                kind: EventKind::Expired,
                method: Method::Review,
                at: now,
                actor: actor.audit_name(),
                notice_id: None,
                language: None,
                request_id: None,
                facts: Facts::default(),
                evidence: Evidence { note: Some(format!("unused for {} months", app.config.consent_review_months)), ..Default::default() },
            };
            ledger::append_event(&mut tx, &app.store.crypto, &event).await?;
            let k = Key { purpose: item.purpose.clone(), channel: item.channel, topic: item.topic.clone() };
            let mut a = audit_entry(actor, "consent.expired", "consent", &event.id, Some(item.contact_id.clone()), key_fields(&k));
            a.purpose = Some(item.purpose.clone());
            obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[a]).await?;
            tx.commit().await.map_err(obhut_store::StoreError::from)?;
            run.expired += 1;
        } else if send && item.channel == Channel::Email {
            // The DPO ordered the run; the review job sends the mails (it may reach every contact).
            match request(app, &Actor::job("consent-review"), &item.contact_id, &item.purpose, "email", Some(&item.topic), None, None).await
            {
                Ok(_) => run.mails_queued += 1,
                Err(e) => run.skipped.push(format!("{}: {e}", item.contact_id)),
            }
        }
    }
    Ok(run)
}

/// The DPO's numbers: events by purpose, channel and kind, the review queue's length, and the
/// outbox.
#[derive(Debug, Clone, Serialize)]
pub struct Statistics {
    pub events: Vec<(String, String, String, i64)>,
    pub review_due: usize,
    pub outbox: Vec<ledger::OutboxEntry>,
    pub notices: Vec<Notice>,
}

pub async fn statistics(app: &App, actor: &Actor) -> ServiceResult<Statistics> {
    app.authorize(actor, Action::Read, Resource::Purpose).await?;
    let review_due = review_queue(app, actor, 1000).await?.len();
    let mut conn = app.conn().await?;
    Ok(Statistics {
        events: ledger::event_counts(&mut conn).await?,
        review_due,
        outbox: ledger::list_outbox(&mut conn, 50).await?,
        notices: ledger::list_notices(&mut conn).await?,
    })
}

/// Saves a new version of a notice text (DPO, administrators).
pub async fn save_notice(app: &App, actor: &Actor, purpose: &str, channel: &str, language: &str, text: &str) -> ServiceResult<Notice> {
    app.authorize(actor, Action::Administer, Resource::Purpose).await?;
    let k = key(app, purpose, channel, None).await?;
    let lang = match language.trim() {
        "de" | "en" => language.trim().to_string(),
        _ => return Err(ServiceError::field("language", "use de or en")),
    };
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 10_000 {
        return Err(ServiceError::field("text", "a notice has 1 to 10,000 characters"));
    }
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    let n = ledger::save_notice(&mut tx, &k.purpose, k.channel, &lang, text, now, &actor.audit_name()).await?;
    let mut fields = key_fields(&k);
    fields.push(format!("language={lang}"));
    fields.push(format!("version={}", n.version));
    let e = audit_entry(actor, "consent.notice", "consent_notice", &n.id, None, fields);
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[e]).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(n)
}

/// Whether an identifier (an email address or phone number, normalised) is on a channel's
/// suppression list; the list itself holds only blind indexes and is never shown.
pub async fn is_suppressed(app: &App, channel: Channel, identifier: &str) -> ServiceResult<bool> {
    let kind = match ledger::blind_kind(channel) {
        Some(k) => k,
        None => return Ok(false),
    };
    let t = BlindToken::new(&app.store.crypto, kind, identifier).token.to_vec();
    let mut conn = app.conn().await?;
    Ok(ledger::suppressed(&mut conn, &[t], channel).await?)
}

// ---------------------------------------------------------------------------------------------
// The public sign-up form

/// Most sign-ups one network (/24, /56) may send at once; one more each 3 minutes after.
pub const SIGNUPS_PER_HOUR: u32 = 20;

/// A sign-up from the public form: asks the address for its double opt-in. Whether the address
/// is known, suppressed or already asked today, the caller answers the same way, so the form
/// reveals nothing about anyone; only a malformed address or a flood from one network is said.
/// An unknown address becomes a contact collected for the purpose alone, and is erased again
/// when its link expires unconfirmed ([`purge_unconfirmed_signups`]).
pub async fn subscribe(
    app: &App,
    email: &str,
    given_name: Option<&str>,
    family_name: Option<&str>,
    purpose: &str,
    language: &str,
    origin: &Origin,
) -> ServiceResult<()> {
    let address = obhut_core::email::EmailAddress::parse(email).map_err(|m| ServiceError::field("email", m))?;
    // Asked of everyone alike, before the address is looked up, so the answer cannot differ.
    if given_name.is_none_or(|n| n.trim().is_empty()) && family_name.is_none_or(|n| n.trim().is_empty()) {
        return Err(ServiceError::field("family_name", "a given name or a family name is required"));
    }
    let p = marketing_purpose(app, purpose).await?;
    if p.legal_basis != LegalBasis::Consent {
        return Err(ServiceError::field("purpose", "the form signs up for purposes based on consent only"));
    }
    let net = origin.network.unwrap_or_else(|| crate::client::network(std::net::Ipv4Addr::UNSPECIFIED.into()));
    crate::throttle::take(&app.signups, &net).map_err(ServiceError::RateLimited)?;
    let normalized = address.normalized();
    let form = Actor::job("signup-form");
    let token = BlindToken::new(&app.store.crypto, BlindKind::Email, &normalized);
    let (existing, suppressed) = {
        let mut conn = app.conn().await?;
        let ids = obhut_store::contacts::ids_by_token(&mut conn, &token, 1).await?;
        let suppressed = ledger::suppressed(&mut conn, &[token.token.to_vec()], Channel::Email).await?;
        (ids.into_iter().next(), suppressed)
    };
    if suppressed {
        return Ok(());
    }
    let lang = if language.starts_with("en") { "en" } else { "de" };
    let id = match existing {
        Some(id) => id,
        None => {
            let clean = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
            let input = obhut_core::contact::ContactInput {
                given_name: clean(given_name),
                family_name: clean(family_name),
                emails: Some(vec![obhut_core::contact::EmailInput {
                    address: normalized.clone(),
                    label: None,
                    purposes: Some(vec![p.key.clone()]),
                }]),
                purposes: Some(vec![p.key.clone()]),
                language: Some(lang.into()),
                ..Default::default()
            };
            let origin = obhut_store::contacts::Origin {
                source: "web_form".into(),
                detail: Some("public sign-up form".into()),
                import_run_id: None,
            };
            super::contacts::create(app, &form, &input, origin).await?.0.id.to_string()
        }
    };
    match request(app, &form, &id, &p.key, "email", None, Some(&normalized), Some(lang)).await {
        Ok(_) => Ok(()),
        // Asked too often today, or objected: the same answer, and no mail.
        Err(ServiceError::RateLimited(_)) | Err(ServiceError::Conflict(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Erases contacts the sign-up form created whose link expired unconfirmed: their data was
/// collected only to ask (storage limitation, Art. 5(1)(e)). Returns how many.
pub async fn purge_unconfirmed_signups(app: &App) -> ServiceResult<usize> {
    let cutoff = app.now_ms() - app.config.consent_token_hours * 3_600_000;
    let ids: Vec<(String,)> = {
        let mut conn = app.conn().await?;
        sqlx::query_as(
            "SELECT c.id FROM contacts c WHERE c.origin_source = 'web_form' AND c.created_at < $1 AND NOT EXISTS \
             (SELECT 1 FROM consent_events e WHERE e.contact_id = c.id AND e.kind IN ('given', 'confirmed', 'renewed')) LIMIT 1000",
        )
        .bind(cutoff)
        .fetch_all(&mut *conn)
        .await
        .map_err(obhut_store::StoreError::from)?
    };
    let job = Actor::job("signup-purge");
    let mut n = 0;
    for (id,) in ids {
        if let Ok(cid) = ContactId::parse(&id) {
            super::contacts::delete(app, &job, cid).await?;
            n += 1;
        }
    }
    Ok(n)
}
