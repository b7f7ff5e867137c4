//! The consent ledger as staff and the data subject change it: record, withdraw,
//! unsubscribe (with the suppression list), and the overview and receipt of a contact's
//! consents.

use super::double_opt_in::*;
use super::shared::*;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor};
use crate::services::audit_entry;
use obhut_core::consent::{
    latest_facts, may_approach, objection_stands, objection_stands_in, status, status_of, Channel, EventKind, Evidence, ExistingCustomer,
    Facts, LedgerEvent, Method, Notice, Reason, Situation, Status,
};
use obhut_core::contact::ContactKind;
use obhut_store::consent::{self as ledger, StoredEvent, ANY};
use serde::Serialize;
use std::collections::HashMap;

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
    let mut w = app.audited(now).await?;
    let prior = ledger::events_of(&mut w.tx, &cid, &k.purpose, k.channel, &k.topic).await?;
    let prior_ledger: Vec<LedgerEvent> = prior.iter().map(StoredEvent::ledger).collect();
    if kind == EventKind::Confirmed && status(&prior_ledger) != Status::Requested {
        return Err(ServiceError::Conflict("there is no pending request to confirm for this purpose and channel".into()));
    }
    let notice = if matches!(kind, EventKind::Given | EventKind::Renewed | EventKind::Confirmed) {
        notice_for(app, &mut w.tx, &k, &lang, &actor.audit_name()).await?
    } else {
        None
    };
    ledger::contact_key(&mut w.tx, &app.store.crypto, &cid).await?.ok_or(ServiceError::NotFound("contact"))?;
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
    let seq = ledger::append_event(&mut w.tx, &app.store.crypto, &event).await?;
    let mut fields = key_fields(&k);
    if matches!(kind, EventKind::Given | EventKind::Renewed | EventKind::Confirmed)
        && bind_item(app, &mut w.tx, &cid, &k.purpose, k.channel, event.evidence.address.as_deref(), now).await?
    {
        fields.push("item.purposes".into());
    }
    let tokens = match obhut_store::consent::contact_index_tokens(&mut w.tx, &cid).await? {
        Some(t) => ledger::channel_tokens(&t, k.channel)?,
        None => Vec::new(),
    };
    match kind {
        EventKind::Objected => ledger::suppress(&mut w.tx, &tokens, k.channel, "objection", now).await?,
        EventKind::ObjectionLifted => ledger::unsuppress(&mut w.tx, &tokens, k.channel).await?,
        _ => {}
    }
    let mut audit = audit_entry(actor, &format!("consent.{}", kind.as_str()), "consent", &event.id, Some(cid.clone()), fields);
    audit.purpose = (!objection).then(|| k.purpose.clone());
    w.record(&[audit]);
    w.commit(app).await?;
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
    let mut w = app.audited(now).await?;
    let Some(_) = ledger::contact_key(&mut w.tx, &app.store.crypto, &cid).await? else { return Ok(Unsubscribed::Unknown) };
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
        ledger::append_event(&mut w.tx, &app.store.crypto, &event).await?;
        let k2 = Key { purpose, channel: k.channel, topic };
        let mut a = audit_entry(&subject, &format!("consent.{}", kind.as_str()), "consent", &event.id, Some(cid.clone()), key_fields(&k2));
        a.purpose = (kind == EventKind::Withdrawn).then(|| k.purpose.clone());
        audits.push(a);
    }
    if object {
        if let Some(t) = ledger::contact_index_tokens(&mut w.tx, &cid).await? {
            ledger::suppress(&mut w.tx, &ledger::channel_tokens(&t, k.channel)?, k.channel, "objection", now).await?;
        }
    }
    w.record(&audits);
    w.commit(app).await?;
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

pub(super) fn situation(
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
    let reg = crate::services::purposes::registry(app).await?;
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
    let reg = crate::services::purposes::registry(app).await?;
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
