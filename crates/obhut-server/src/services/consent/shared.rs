//! Shared pieces of the consent services: the key a consent is about, the origin of a
//! request, tokens, languages and notice lookups.

use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor};
use crate::services::contacts::{self as contacts_svc, target};
use base64::Engine;
use obhut_core::consent::{check_topic, default_notice, Channel, Method, Notice};
use obhut_core::ids::ContactId;
use obhut_core::purpose::{LegalBasis, Purpose};
use obhut_store::consent::{self as ledger};
use obhut_store::contacts::{BlindKind, BlindToken, ContactRecord};
use rand::RngCore;
use serde::Serialize;

pub(super) const DAY_MS: i64 = 86_400_000;

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

pub(super) async fn marketing_purpose(app: &App, purpose: &str) -> ServiceResult<Purpose> {
    let reg = crate::services::purposes::registry(app).await?;
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
pub(super) async fn contact_for(app: &App, actor: &Actor, id: &str, action: Action) -> ServiceResult<ContactRecord> {
    let cid = ContactId::parse(id).map_err(|m| ServiceError::field("contact_id", m))?;
    let record = contacts_svc::load(app, cid).await?;
    app.authorize_record(actor, action, &target(&record), "", &cid.to_string()).await?;
    crate::services::access::guard(app, actor, &record, if action == Action::Read { "read_consents" } else { "change_consents" }).await?;
    Ok(record)
}

pub(super) fn language_of(record: &ContactRecord, asked: Option<&str>) -> String {
    let l = asked.or(record.language.as_deref()).unwrap_or("de").trim().to_lowercase();
    if l.starts_with("en") {
        "en".into()
    } else {
        "de".into()
    }
}

/// The notice in force for a consent, creating it from the defaults on first use.
pub(super) async fn notice_for(
    app: &App,
    conn: &mut obhut_store::Conn,
    k: &Key,
    language: &str,
    by: &str,
) -> ServiceResult<Option<Notice>> {
    if let Some(n) = ledger::current_notice(conn, &k.purpose, k.channel, language).await? {
        return Ok(Some(n));
    }
    match default_notice(&k.purpose, k.channel, language) {
        Some(text) => Ok(Some(ledger::save_notice(conn, &k.purpose, k.channel, language, &text, app.now_ms(), by).await?)),
        None => Ok(None),
    }
}

pub(super) fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub(super) fn email_token(app: &App, address: &str) -> Vec<u8> {
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

pub(super) fn method_of(actor: &Actor) -> Method {
    match actor.channel {
        crate::gate::Channel::Api => Method::Api,
        _ => Method::Staff,
    }
}

pub(super) fn key_fields(k: &Key) -> Vec<String> {
    let mut v = vec![format!("purpose={}", k.purpose), format!("channel={}", k.channel.as_str())];
    if !k.topic.is_empty() {
        v.push(format!("topic={}", k.topic));
    }
    v
}

pub(super) async fn purpose_name(app: &App, key: &str, lang: &str) -> String {
    match crate::services::purposes::registry(app).await {
        Ok(reg) => reg
            .iter()
            .find(|p| p.key == key)
            .map(|p| if lang == "en" { p.name_en.clone() } else { p.name_de.clone() })
            .unwrap_or_else(|| key.into()),
        Err(_) => key.into(),
    }
}

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
