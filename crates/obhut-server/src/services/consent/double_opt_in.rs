//! Double opt-in by mail: the request, the confirmation mail, and the confirmation that
//! turns a request into consent bound to the address it was given for.

use super::shared::*;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor};
use crate::services::audit_entry;
use askama::Template;
use obhut_core::consent::{objection_stands, status, Channel, EventKind, Evidence, Facts, LedgerEvent, Method};
use obhut_core::ids::ContactId;
use obhut_store::consent::{self as ledger, Claim, StoredEvent};
use serde::Serialize;

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
    crate::services::access::guard_always(app, actor, &record, "consent_request").await?;
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
    let from = crate::services::mail::sender(app).await;
    let purpose_name = purpose_name(app, &k.purpose, &lang).await;
    let mut w = app.audited(now).await?;
    let notice = notice_for(app, &mut w.tx, &k, &lang, &actor.audit_name()).await?;
    ledger::contact_key(&mut w.tx, &app.store.crypto, &cid).await?.ok_or(ServiceError::NotFound("contact"))?;
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
    ledger::append_event(&mut w.tx, &app.store.crypto, &event).await?;
    ledger::insert_token(&mut w.tx, &token, &request_id, &cid, &k.purpose, k.channel, &k.topic, &addr_token, now, expires_at).await?;
    let mail = confirmation_mail(&lang, &purpose_name, notice.as_ref().map(|n| n.text.as_str()), &confirm_url, &unsubscribe, expires_at)?;
    let name = record.personal.display_name();
    let compose = crate::services::mail::Compose {
        to_name: (!name.is_empty()).then_some(name.as_str()),
        to: &address,
        subject: &mail.0,
        text: mail.1,
        html: mail.2,
        language: &lang,
        unsubscribe: None,
    };
    let (message_id, queued) = crate::services::mail::compose(&from, &outbox_id, &compose)?;
    ledger::enqueue(&mut w.tx, &app.store.crypto, &outbox_id, "consent_confirmation", Some(&cid), &message_id, &queued, now).await?;
    let mut audit = audit_entry(actor, "consent.request", "consent", &request_id, Some(cid.clone()), key_fields(&k));
    audit.purpose = Some(k.purpose.clone());
    w.record(&[audit]);
    w.commit(app).await?;
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

/// Subject, text and HTML of the confirmation mail. The confirmation link comes first; the
/// mail is not advertising, so it carries no List-Unsubscribe header, but it offers a way out
/// for whoever did not ask for it.
pub(super) fn confirmation_mail(
    lang: &str,
    purpose: &str,
    notice: Option<&str>,
    confirm: &str,
    unsubscribe: &str,
    expires_at: i64,
) -> ServiceResult<(String, String, String)> {
    let until = obhut_core::clock::from_millis(expires_at)
        .format(&time::macros::format_description!("[day].[month].[year] [hour]:[minute] UTC"))
        .unwrap_or_default();
    let mail = ConfirmMail { purpose, notice: notice.unwrap_or(""), confirm, unsubscribe, until: &until };
    let rendered = if lang == "en" {
        (format!("Please confirm: {purpose}"), ConfirmTextEn(&mail).render(), ConfirmHtmlEn(&mail).render())
    } else {
        (format!("Bitte bestätigen: {purpose}"), ConfirmTextDe(&mail).render(), ConfirmHtmlDe(&mail).render())
    };
    match rendered {
        (subject, Ok(text), Ok(html)) => Ok((subject, text, html)),
        (_, Err(e), _) | (_, _, Err(e)) => Err(ServiceError::Internal(format!("confirmation mail: {e}"))),
    }
}

/// What the confirmation mail says, in either language (`templates/mail/confirm_*`).
pub(super) struct ConfirmMail<'a> {
    purpose: &'a str,
    notice: &'a str,
    confirm: &'a str,
    unsubscribe: &'a str,
    until: &'a str,
}

macro_rules! mail_template {
    ($name:ident, $path:literal) => {
        #[derive(askama::Template)]
        #[template(path = $path)]
        pub(super) struct $name<'a, 'b>(&'b ConfirmMail<'a>);
        impl<'a> std::ops::Deref for $name<'a, '_> {
            type Target = ConfirmMail<'a>;
            fn deref(&self) -> &ConfirmMail<'a> {
                self.0
            }
        }
    };
}
mail_template!(ConfirmTextDe, "mail/confirm_de.txt");
mail_template!(ConfirmTextEn, "mail/confirm_en.txt");
mail_template!(ConfirmHtmlDe, "mail/confirm_de.html");
mail_template!(ConfirmHtmlEn, "mail/confirm_en.html");

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
    tx.commit().await?;
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
pub(super) async fn bind_item(
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

#[cfg(test)]
mod tests {
    use super::confirmation_mail;

    #[test]
    fn the_confirmation_mail_names_the_purpose_once_in_either_language() {
        let expires = 1_790_000_000_000;
        let Ok((subject, text, html)) =
            confirmation_mail("de", "Newsletter per E-Mail", Some("Monatlich <b>Neues</b>"), "https://x/c?t=1&u=2", "https://x/u", expires)
        else {
            panic!("the German mail did not render");
        };
        assert_eq!(subject, "Bitte bestätigen: Newsletter per E-Mail");
        assert_eq!(text.matches("per E-Mail").count(), 1, "{text}");
        assert!(text.contains("https://x/c?t=1&u=2") && text.contains("Monatlich <b>Neues</b>"), "{text}");
        // The HTML part escapes what the registry and the link hold.
        assert!(html.contains("Monatlich &#60;b&#62;Neues&#60;/b&#62;") || html.contains("Monatlich &lt;b&gt;Neues&lt;/b&gt;"), "{html}");
        assert!(html.contains("https://x/c?t=1&#38;u=2") || html.contains("https://x/c?t=1&amp;u=2"), "{html}");
        let Ok((subject, text, _)) = confirmation_mail("en", "Newsletter by email", None, "https://x/c", "https://x/u", expires) else {
            panic!("the English mail did not render");
        };
        assert_eq!(subject, "Please confirm: Newsletter by email");
        assert_eq!(text.matches("by email").count(), 1, "{text}");
        assert!(text.contains("To refuse for good: https://x/u"), "{text}");
    }
}
