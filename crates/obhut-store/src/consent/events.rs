//! The consent ledger proper: append-only events with their evidence sealed under a key of
//! each event's own, read back per contact, per consent or by id, and the counts and review
//! candidates drawn from it.

use crate::crypto::{Crypto, SubjectKey};
use crate::db::Conn;
use crate::error::{Result, StoreError};
use obhut_core::consent::{Channel, EventKind, Evidence, Facts, LedgerEvent, Method};

fn evidence_subject(event_id: &str) -> String {
    format!("consent-evidence-key:{event_id}")
}

fn evidence_aad(event_id: &str) -> Vec<u8> {
    format!("consent-evidence:{event_id}").into_bytes()
}

pub(super) fn parse_kind(s: &str) -> Result<EventKind> {
    EventKind::parse(s).map_err(StoreError::Corrupt)
}

pub(super) fn parse_method(s: &str) -> Result<Method> {
    Method::parse(s).map_err(StoreError::Corrupt)
}

/// The purpose and topic objections are stored under: an objection to direct marketing
/// covers every purpose on its channel (Art. 21(3)).
pub const ANY: &str = "*";

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: String,
    pub contact_id: String,
    pub purpose: String,
    pub channel: Channel,
    pub topic: String,
    pub kind: EventKind,
    pub method: Method,
    pub at: i64,
    pub actor: String,
    pub notice_id: Option<String>,
    pub language: Option<String>,
    pub request_id: Option<String>,
    pub facts: Facts,
    pub evidence: Evidence,
}

/// An event as stored, its evidence opened when the contact's key still exists.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: i64,
    pub id: String,
    pub contact_id: String,
    pub purpose: String,
    pub channel: Channel,
    pub topic: String,
    pub kind: EventKind,
    pub method: Method,
    pub at: i64,
    pub actor: String,
    pub notice_id: Option<String>,
    pub language: Option<String>,
    pub request_id: Option<String>,
    pub facts: Facts,
    pub evidence: Option<Evidence>,
}

impl StoredEvent {
    pub fn ledger(&self) -> LedgerEvent {
        LedgerEvent { at: self.at, kind: self.kind, method: self.method }
    }
}

/// The contact's key, to seal evidence under; `None` when the contact does not exist.
pub async fn contact_key(conn: &mut Conn, crypto: &Crypto, contact_id: &str) -> Result<Option<SubjectKey>> {
    let row: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT wrapped_key FROM contacts WHERE id = $1").bind(contact_id).fetch_optional(&mut *conn).await?;
    row.map(|(w,)| crypto.unwrap_key(contact_id, &w).map_err(StoreError::from)).transpose()
}

/// Appends one event; returns its sequence number. The evidence is sealed under a key of its
/// own (wrapped by the master key), not the contact's: proof of consent must outlive the
/// contact's erasure for as long as the law asks (§ 7a UWG, Art. 17(3)(e)), and is deleted
/// with that key when its time is up.
pub async fn append_event(conn: &mut Conn, crypto: &Crypto, e: &NewEvent) -> Result<i64> {
    let key = crypto.new_subject_key();
    let wrapped = crypto.wrap(&evidence_subject(&e.id), &key);
    let evidence = key.seal_json(&evidence_aad(&e.id), &e.evidence);
    let facts = if e.facts == Facts::default() { String::new() } else { serde_json::to_string(&e.facts).unwrap_or_default() };
    let row: (i64,) = sqlx::query_as(
        "INSERT INTO consent_events (id, contact_id, purpose, channel, topic, kind, method, at, actor, notice_id, language, request_id, facts, evidence, evidence_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING seq",
    )
    .bind(&e.id)
    .bind(&e.contact_id)
    .bind(&e.purpose)
    .bind(e.channel.as_str())
    .bind(&e.topic)
    .bind(e.kind.as_str())
    .bind(e.method.as_str())
    .bind(e.at)
    .bind(&e.actor)
    .bind(e.notice_id.clone())
    .bind(e.language.clone())
    .bind(e.request_id.clone())
    .bind(facts)
    .bind(evidence)
    .bind(wrapped)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.0)
}

type EventRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
);

const EVENT_COLS: &str =
    "seq, id, contact_id, purpose, channel, topic, kind, method, at, actor, notice_id, language, request_id, facts, evidence, evidence_key";

fn open_event(r: EventRow, crypto: Option<&Crypto>) -> Result<StoredEvent> {
    let evidence = match (crypto, &r.14, &r.15) {
        (Some(c), Some(sealed), Some(wrapped)) => {
            let key = c.unwrap_key(&evidence_subject(&r.1), wrapped)?;
            Some(key.open_json(&evidence_aad(&r.1), sealed)?)
        }
        _ => None,
    };
    Ok(StoredEvent {
        seq: r.0,
        id: r.1,
        contact_id: r.2,
        purpose: r.3,
        channel: Channel::parse(&r.4).map_err(StoreError::Corrupt)?,
        topic: r.5,
        kind: parse_kind(&r.6)?,
        method: parse_method(&r.7)?,
        at: r.8,
        actor: r.9,
        notice_id: r.10,
        language: r.11,
        request_id: r.12,
        facts: if r.13.is_empty() {
            Facts::default()
        } else {
            serde_json::from_str(&r.13).map_err(|_| StoreError::Corrupt("consent facts".into()))?
        },
        evidence,
    })
}

/// Every event of a contact, oldest first, evidence opened.
pub async fn events_for_contact(conn: &mut Conn, crypto: &Crypto, contact_id: &str) -> Result<Vec<StoredEvent>> {
    let rows: Vec<EventRow> = sqlx::query_as(&format!("SELECT {EVENT_COLS} FROM consent_events WHERE contact_id = $1 ORDER BY seq"))
        .bind(contact_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter().map(|r| open_event(r, Some(crypto))).collect()
}

/// One event's evidence, opened.
pub async fn event_evidence(conn: &mut Conn, crypto: &Crypto, id: &str) -> Result<Option<Evidence>> {
    let row: Option<EventRow> =
        sqlx::query_as(&format!("SELECT {EVENT_COLS} FROM consent_events WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.map(|r| open_event(r, Some(crypto))).transpose()?.and_then(|e| e.evidence))
}

/// One event by id, evidence not opened.
pub async fn find_event(conn: &mut Conn, id: &str) -> Result<Option<StoredEvent>> {
    let row: Option<EventRow> =
        sqlx::query_as(&format!("SELECT {EVENT_COLS} FROM consent_events WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    row.map(|r| open_event(r, None)).transpose()
}

/// Events of one consent (contact × purpose × channel × topic) and the channel's objections,
/// oldest first, evidence not opened.
pub async fn events_of(conn: &mut Conn, contact_id: &str, purpose: &str, channel: Channel, topic: &str) -> Result<Vec<StoredEvent>> {
    let rows: Vec<EventRow> = sqlx::query_as(&format!(
        "SELECT {EVENT_COLS} FROM consent_events WHERE contact_id = $1 AND channel = $2 \
         AND ((purpose = $3 AND topic = $4) OR purpose = '*') ORDER BY seq"
    ))
    .bind(contact_id)
    .bind(channel.as_str())
    .bind(purpose)
    .bind(topic)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(|r| open_event(r, None)).collect()
}

/// Every consent (contact × purpose × channel × topic) whose last event of giving or renewing
/// lies before `before`, with that time and its last use: candidates for review.
pub async fn consents_given_before(
    conn: &mut Conn,
    before: i64,
    limit: i64,
) -> Result<Vec<(String, String, String, String, i64, Option<i64>)>> {
    Ok(sqlx::query_as(
        "SELECT e.contact_id, e.purpose, e.channel, e.topic, MAX(e.at) AS given_at, \
         (SELECT MAX(u.at) FROM consent_uses u WHERE u.contact_id = e.contact_id AND u.purpose = e.purpose AND u.channel = e.channel AND u.topic = e.topic) \
         FROM consent_events e WHERE e.kind IN ('given', 'confirmed', 'renewed') AND e.purpose <> '*' \
         GROUP BY e.contact_id, e.purpose, e.channel, e.topic HAVING MAX(e.at) < $1 ORDER BY given_at LIMIT $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// Contacts the public sign-up form created before `created_before` that never gave, confirmed
/// or renewed a consent: those whose confirmation link expired unused. At most 1,000 a call.
pub async fn list_unconfirmed_signups(conn: &mut Conn, created_before: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT c.id FROM contacts c WHERE c.origin_source = 'web_form' AND c.created_at < $1 AND NOT EXISTS \
         (SELECT 1 FROM consent_events e WHERE e.contact_id = c.id AND e.kind IN ('given', 'confirmed', 'renewed')) LIMIT 1000",
    )
    .bind(created_before)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Counts of events by purpose, channel and kind (the DPO's statistics).
pub async fn event_counts(conn: &mut Conn) -> Result<Vec<(String, String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT purpose, channel, kind, COUNT(*) FROM consent_events GROUP BY purpose, channel, kind ORDER BY purpose, channel, kind",
    )
    .fetch_all(&mut *conn)
    .await?)
}
