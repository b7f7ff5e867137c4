//! The consent ledger: notices, append-only events with sealed evidence, double opt-in tokens,
//! the mail outbox, the suppression list and the uses of consents. Nothing here decides
//! whether a contact may be approached: `obhut_core::consent` does, from what this reads.

use crate::contacts::{decode_tokens, BlindKind, ContactFilter};
use crate::crypto::{Crypto, SubjectKey};
use crate::db::Conn;
use crate::error::{Result, StoreError};
use obhut_core::consent::{Channel, EventKind, Evidence, Facts, LedgerEvent, Method, Notice};
use sha2::{Digest, Sha256};

fn evidence_subject(event_id: &str) -> String {
    format!("consent-evidence-key:{event_id}")
}

fn evidence_aad(event_id: &str) -> Vec<u8> {
    format!("consent-evidence:{event_id}").into_bytes()
}

fn parse_kind(s: &str) -> Result<EventKind> {
    EventKind::parse(s).map_err(StoreError::Corrupt)
}

fn parse_method(s: &str) -> Result<Method> {
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

// ---------------------------------------------------------------------------------------------
// Notices

pub fn notice_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

type NoticeRow = (String, String, String, String, i64, String, String);

fn notice_of(r: NoticeRow) -> Result<Notice> {
    Ok(Notice {
        id: r.0,
        purpose: r.1,
        channel: Channel::parse(&r.2).map_err(StoreError::Corrupt)?,
        language: r.3,
        version: r.4,
        text: r.5,
        sha256: r.6,
    })
}

/// The newest notice for a purpose, channel and language.
pub async fn current_notice(conn: &mut Conn, purpose: &str, channel: Channel, language: &str) -> Result<Option<Notice>> {
    let row: Option<NoticeRow> = sqlx::query_as(
        "SELECT id, purpose, channel, language, version, body, sha256 FROM consent_notices \
         WHERE purpose = $1 AND channel = $2 AND language = $3 ORDER BY version DESC LIMIT 1",
    )
    .bind(purpose)
    .bind(channel.as_str())
    .bind(language)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(notice_of).transpose()
}

pub async fn notice_by_id(conn: &mut Conn, id: &str) -> Result<Option<Notice>> {
    let row: Option<NoticeRow> =
        sqlx::query_as("SELECT id, purpose, channel, language, version, body, sha256 FROM consent_notices WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    row.map(notice_of).transpose()
}

/// Every notice version, newest first.
pub async fn list_notices(conn: &mut Conn) -> Result<Vec<Notice>> {
    let rows: Vec<NoticeRow> = sqlx::query_as(
        "SELECT id, purpose, channel, language, version, body, sha256 FROM consent_notices ORDER BY purpose, channel, language, version DESC",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(notice_of).collect()
}

/// Saves a notice text as the next version (an unchanged text keeps its version).
pub async fn save_notice(
    conn: &mut Conn,
    purpose: &str,
    channel: Channel,
    language: &str,
    text: &str,
    now: i64,
    by: &str,
) -> Result<Notice> {
    let current = current_notice(conn, purpose, channel, language).await?;
    if let Some(n) = current.as_ref().filter(|n| n.text == text) {
        return Ok(n.clone());
    }
    let n = Notice {
        id: uuid::Uuid::now_v7().to_string(),
        purpose: purpose.into(),
        channel,
        language: language.into(),
        version: current.map_or(1, |c| c.version + 1),
        text: text.into(),
        sha256: notice_hash(text),
    };
    sqlx::query(
        "INSERT INTO consent_notices (id, purpose, channel, language, version, body, sha256, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&n.id)
    .bind(&n.purpose)
    .bind(channel.as_str())
    .bind(&n.language)
    .bind(n.version)
    .bind(&n.text)
    .bind(&n.sha256)
    .bind(now)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    Ok(n)
}

// ---------------------------------------------------------------------------------------------
// Double opt-in tokens

/// What a confirmation link's token is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub request_id: String,
    pub contact_id: String,
    pub purpose: String,
    pub channel: Channel,
    pub topic: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// What claiming a token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Unused and in time: it is now used.
    Claimed(TokenRow),
    Used(TokenRow),
    Expired(TokenRow),
    Unknown,
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_token(
    conn: &mut Conn,
    token: &str,
    request_id: &str,
    contact_id: &str,
    purpose: &str,
    channel: Channel,
    topic: &str,
    address_blind: &[u8],
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO consent_tokens (token_hash, request_id, contact_id, purpose, channel, topic, address_blind, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(token_hash(token))
    .bind(request_id)
    .bind(contact_id)
    .bind(purpose)
    .bind(channel.as_str())
    .bind(topic)
    .bind(address_blind.to_vec())
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

type TokenDbRow = (String, String, String, String, String, i64, Option<i64>);

fn token_row(r: TokenDbRow) -> Result<TokenRow> {
    Ok(TokenRow {
        request_id: r.0,
        contact_id: r.1,
        purpose: r.2,
        channel: Channel::parse(&r.3).map_err(StoreError::Corrupt)?,
        topic: r.4,
        expires_at: r.5,
        used_at: r.6,
    })
}

/// Looks a token up without using it.
pub async fn peek_token(conn: &mut Conn, token: &str, now: i64) -> Result<Claim> {
    let row: Option<TokenDbRow> = sqlx::query_as(
        "SELECT request_id, contact_id, purpose, channel, topic, expires_at, used_at FROM consent_tokens WHERE token_hash = $1",
    )
    .bind(token_hash(token))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(Claim::Unknown) };
    let t = token_row(r)?;
    Ok(if t.used_at.is_some() {
        Claim::Used(t)
    } else if t.expires_at <= now {
        Claim::Expired(t)
    } else {
        Claim::Claimed(t)
    })
}

/// Uses a token once: of two concurrent claims exactly one gets [`Claim::Claimed`].
pub async fn claim_token(conn: &mut Conn, token: &str, now: i64) -> Result<Claim> {
    let n = sqlx::query("UPDATE consent_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1")
        .bind(now)
        .bind(token_hash(token))
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let found = peek_token(conn, token, now).await?;
    Ok(match found {
        Claim::Used(t) if n == 1 => Claim::Claimed(t),
        // Not claimed by this call: whatever it is now, it was not ours.
        Claim::Claimed(t) => Claim::Used(t),
        other => other,
    })
}

/// Requests sent to one address (by its blind index) since `since`.
/// Returns how many, and when the oldest of them was sent.
pub async fn requests_since(conn: &mut Conn, address_blind: &[u8], since: i64) -> Result<(i64, Option<i64>)> {
    let n: (i64, Option<i64>) =
        sqlx::query_as("SELECT COUNT(*), MIN(created_at) FROM consent_tokens WHERE address_blind = $1 AND created_at >= $2")
            .bind(address_blind.to_vec())
            .bind(since)
            .fetch_one(&mut *conn)
            .await?;
    Ok(n)
}

// ---------------------------------------------------------------------------------------------
// Outbox

/// A mail to send: the envelope and the whole RFC 5322 message. Sealed at rest (it holds the
/// recipient's address and name) and emptied once delivered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    #[serde(with = "b64")]
    pub message: Vec<u8>,
}

mod b64 {
    use base64::Engine;
    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v))
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        base64::engine::general_purpose::STANDARD.decode(s).map_err(serde::de::Error::custom)
    }
}

fn outbox_aad(id: &str) -> Vec<u8> {
    format!("outbox:{id}").into_bytes()
}

/// Queues a mail, inside the caller's transaction (so the mail exists exactly when the change
/// that sends it does).
#[allow(clippy::too_many_arguments)]
pub async fn enqueue(
    conn: &mut Conn,
    crypto: &Crypto,
    id: &str,
    kind: &str,
    contact_id: Option<&str>,
    message_id: &str,
    mail: &Mail,
    now: i64,
) -> Result<()> {
    let key = crypto.new_subject_key();
    let subject = format!("outbox:{id}");
    sqlx::query(
        "INSERT INTO outbox (id, kind, contact_id, message_id, created_at, next_attempt_at, wrapped_key, sealed) VALUES ($1, $2, $3, $4, $5, $5, $6, $7)",
    )
    .bind(id)
    .bind(kind)
    .bind(contact_id.map(str::to_string))
    .bind(message_id)
    .bind(now)
    .bind(crypto.wrap(&subject, &key))
    .bind(key.seal_json(&outbox_aad(id), mail))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A queued mail this process leased for delivery.
#[derive(Debug, Clone)]
pub struct Leased {
    pub id: String,
    pub kind: String,
    pub message_id: String,
    pub attempts: i64,
    pub mail: Mail,
}

/// Leases up to `limit` due mails for `lease_ms`: another process (a CLI beside the server)
/// skips them meanwhile. Mails to a restricted contact (Art. 18) wait, except those about its
/// own data subject request (kinds `dsr…`); a process that died mid-delivery gives its mails
/// back when their lease ends.
pub async fn lease_due(conn: &mut Conn, crypto: &Crypto, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<Leased>> {
    let ids: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
         AND (lease_until IS NULL OR lease_until <= $1) \
         AND (contact_id IS NULL OR kind LIKE 'dsr%' OR contact_id NOT IN (SELECT id FROM contacts WHERE restricted_at IS NOT NULL)) \
         ORDER BY next_attempt_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for (id,) in ids {
        let n = sqlx::query(
            "UPDATE outbox SET lease_until = $1, attempts = attempts + 1 WHERE id = $2 AND sent_at IS NULL AND failed_at IS NULL \
             AND (lease_until IS NULL OR lease_until <= $3)",
        )
        .bind(now + lease_ms)
        .bind(&id)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if n != 1 {
            continue;
        }
        let row: (String, String, i64, Option<Vec<u8>>, Option<Vec<u8>>) =
            sqlx::query_as("SELECT kind, message_id, attempts, wrapped_key, sealed FROM outbox WHERE id = $1")
                .bind(&id)
                .fetch_one(&mut *conn)
                .await?;
        let (Some(wrapped), Some(sealed)) = (row.3, row.4) else { continue };
        let key = crypto.unwrap_key(&format!("outbox:{id}"), &wrapped)?;
        let mail: Mail = key.open_json(&outbox_aad(&id), &sealed)?;
        out.push(Leased { id, kind: row.0, message_id: row.1, attempts: row.2, mail });
    }
    Ok(out)
}

/// Delivered: the message itself is deleted (its key and sealed body), the record stays.
pub async fn mark_sent(conn: &mut Conn, id: &str, now: i64, transport: &str) -> Result<()> {
    sqlx::query("UPDATE outbox SET sent_at = $1, transport = $2, lease_until = NULL, last_error = NULL, wrapped_key = NULL, sealed = NULL WHERE id = $3")
        .bind(now)
        .bind(transport)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Mails the file transport delivered before `sent_before` whose file is still there: (id,
/// message id), oldest first.
pub async fn delivered_files(conn: &mut Conn, sent_before: i64, limit: i64) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, message_id FROM outbox WHERE transport = 'file' AND file_removed_at IS NULL AND sent_at <= $1 ORDER BY sent_at LIMIT $2",
    )
    .bind(sent_before)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// The file transport's copy of a mail was removed.
pub async fn mark_file_removed(conn: &mut Conn, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE outbox SET file_removed_at = $1 WHERE id = $2").bind(now).bind(id).execute(&mut *conn).await?;
    Ok(())
}

/// A temporary failure: try again at `next_at`.
pub async fn mark_retry(conn: &mut Conn, id: &str, next_at: i64, error: &str) -> Result<()> {
    sqlx::query("UPDATE outbox SET next_attempt_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3")
        .bind(next_at)
        .bind(error)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Refused for good (or out of attempts): kept, with the reason, for the operator to see.
pub async fn mark_failed(conn: &mut Conn, id: &str, now: i64, error: &str) -> Result<()> {
    sqlx::query("UPDATE outbox SET failed_at = $1, lease_until = NULL, last_error = $2, wrapped_key = NULL, sealed = NULL WHERE id = $3")
        .bind(now)
        .bind(error)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One outbox entry as the operator sees it (no address, no body).
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutboxEntry {
    pub id: String,
    pub kind: String,
    pub contact_id: Option<String>,
    pub message_id: String,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<String>,
    pub transport: Option<String>,
}

pub async fn list_outbox(conn: &mut Conn, limit: i64) -> Result<Vec<OutboxEntry>> {
    let rows: Vec<(String, String, Option<String>, String, i64, i64, i64, Option<i64>, Option<i64>, Option<String>, Option<String>)> =
        sqlx::query_as(
            "SELECT id, kind, contact_id, message_id, created_at, attempts, next_attempt_at, sent_at, failed_at, last_error, transport \
         FROM outbox ORDER BY created_at DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| OutboxEntry {
            id: r.0,
            kind: r.1,
            contact_id: r.2,
            message_id: r.3,
            created_at: r.4,
            attempts: r.5,
            next_attempt_at: r.6,
            sent_at: r.7,
            failed_at: r.8,
            last_error: r.9,
            transport: r.10,
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Suppression list

/// The blind index kind of a channel's identifiers (email and phone numbers; post has none).
pub fn blind_kind(channel: Channel) -> Option<BlindKind> {
    match channel {
        Channel::Email => Some(BlindKind::Email),
        Channel::Phone | Channel::Sms => Some(BlindKind::Phone),
        Channel::Post => None,
    }
}

/// Adds blind indexes of identifiers to the suppression list of a channel.
pub async fn suppress(conn: &mut Conn, tokens: &[Vec<u8>], channel: Channel, reason: &str, now: i64) -> Result<()> {
    for t in tokens {
        sqlx::query(
            "INSERT INTO suppressions (token, channel, reason, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (token, channel) DO NOTHING",
        )
        .bind(t.clone())
        .bind(channel.as_str())
        .bind(reason)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Takes identifiers off a channel's suppression list (the person lifted their objection).
pub async fn unsuppress(conn: &mut Conn, tokens: &[Vec<u8>], channel: Channel) -> Result<()> {
    for t in tokens {
        sqlx::query("DELETE FROM suppressions WHERE token = $1 AND channel = $2")
            .bind(t.clone())
            .bind(channel.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Whether any of these identifiers is suppressed on the channel.
pub async fn suppressed(conn: &mut Conn, tokens: &[Vec<u8>], channel: Channel) -> Result<bool> {
    for t in tokens {
        let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM suppressions WHERE token = $1 AND channel = $2")
            .bind(t.clone())
            .bind(channel.as_str())
            .fetch_one(&mut *conn)
            .await?;
        if n.0 > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The blind indexes of a contact's identifiers on a channel, from its stored index list.
pub fn channel_tokens(index_tokens: &[u8], channel: Channel) -> Result<Vec<Vec<u8>>> {
    let Some(kind) = blind_kind(channel) else { return Ok(Vec::new()) };
    Ok(decode_tokens(index_tokens)?.into_iter().filter(|t| t.kind == kind).map(|t| t.token.to_vec()).collect())
}

pub async fn contact_index_tokens(conn: &mut Conn, contact_id: &str) -> Result<Option<Vec<u8>>> {
    let row: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT index_tokens FROM contacts WHERE id = $1").bind(contact_id).fetch_optional(&mut *conn).await?;
    Ok(row.map(|r| r.0))
}

// ---------------------------------------------------------------------------------------------
// Audiences

/// What an audience computation sees of a contact: nothing personal, borrowed from the row.
#[derive(Debug, Clone, Copy)]
pub struct ScanContact<'a> {
    pub id: &'a str,
    pub consumer: bool,
    pub restricted: bool,
    pub record_class: &'a str,
    pub owner_id: Option<&'a str>,
    pub team: Option<&'a str>,
    pub tags: &'a str,
}

/// The events deciding an audience, for one contact, in ledger order.
pub type ScanEvents = [(LedgerEvent, Facts)];

fn contacts_scan_sql(f: &ContactFilter, after: Option<&str>, limit: i64) -> (String, Vec<String>) {
    let mut args = Vec::new();
    let mut wh = crate::contacts::filter_sql(f, &mut args);
    if let Some(a) = after {
        args.push(a.to_string());
        let cond = format!("c.id > ${}", args.len());
        wh = if wh.is_empty() { format!(" WHERE {cond}") } else { format!("{wh} AND {cond}") };
    }
    let sql = format!(
        "SELECT c.id, c.kind, c.restricted_at, c.record_class, c.owner_id, c.team, c.tags FROM contacts c{wh} ORDER BY c.id LIMIT {}",
        limit.clamp(1, 50_000)
    );
    (sql, args)
}

/// One consent's events (channel, purpose, topic) from a contact on, by contact then in
/// order: one range of the covering index. The channel's objections are the same range under
/// purpose and topic `*`; an audience merges the two.
const SCAN_EVENTS: &str = "SELECT contact_id, kind, method, at, facts, seq FROM consent_events \
     WHERE channel = $1 AND purpose = $2 AND topic = $3 AND contact_id >= $4 ORDER BY contact_id, seq";

/// Both at once for a range of contacts (PostgreSQL merges the ranges itself).
const SCAN_EVENTS_RANGE: &str = "SELECT contact_id, kind, method, at, facts FROM consent_events \
     WHERE channel = $1 AND contact_id >= $2 AND contact_id <= $5 AND ((purpose = $3 AND topic = $4) OR purpose = '*') ORDER BY contact_id, seq";

fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    Ok(r.get_ref(i)?.as_str()?)
}

fn opt_text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    Ok(r.get_ref(i)?.as_str_or_null()?)
}

fn scan_facts(facts: &str) -> Result<Facts> {
    if facts.is_empty() {
        Ok(Facts::default())
    } else {
        serde_json::from_str(facts).map_err(|_| StoreError::Corrupt("consent facts".into()))
    }
}

/// Events read ahead by the ledger side of an audience walk: contact ids concatenated in one
/// buffer (a contact's events share its slice), so a chunk costs two allocations.
#[derive(Default)]
struct EventChunk {
    ids: Vec<u8>,
    events: Vec<(std::ops::Range<usize>, LedgerEvent, Facts)>,
}

/// Events per chunk handed from the ledger thread to the contacts side: small, so that the
/// ledger side reads little past the end of a batch (at most two chunks).
const EVENT_CHUNK: usize = 1024;

fn bytes<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r [u8]> {
    Ok(r.get_ref(i)?.as_bytes()?)
}

/// One event of an audience walk, read from the row as stored: names are matched as bytes,
/// and the facts (JSON) are read only where the rules look at them (the recorded basis).
fn scan_event(e: &rusqlite::Row<'_>) -> rusqlite::Result<Result<(LedgerEvent, Facts)>> {
    let Some(kind) = EventKind::from_stored(bytes(e, 1)?) else {
        return Ok(Err(StoreError::Corrupt(format!("consent event kind '{}'", String::from_utf8_lossy(bytes(e, 1)?)))));
    };
    let Some(method) = Method::from_stored(bytes(e, 2)?) else {
        return Ok(Err(StoreError::Corrupt(format!("consent event method '{}'", String::from_utf8_lossy(bytes(e, 2)?)))));
    };
    let facts = if kind == EventKind::BasisRecorded {
        match scan_facts(text(e, 4)?) {
            Ok(f) => f,
            Err(err) => return Ok(Err(err)),
        }
    } else {
        Facts::default()
    };
    Ok(Ok((LedgerEvent { at: e.get(3)?, kind, method }, facts)))
}

/// One of the two event ranges an audience merges, one row read ahead.
struct EventCursor<'s> {
    rows: rusqlite::Rows<'s>,
    id: Vec<u8>,
    seq: i64,
    event: Option<(LedgerEvent, Facts)>,
}

impl<'s> EventCursor<'s> {
    fn open(stmt: &'s mut rusqlite::CachedStatement<'_>, params: [&str; 4]) -> rusqlite::Result<Result<Self>> {
        for (i, p) in params.iter().enumerate() {
            stmt.raw_bind_parameter(i + 1, p)?;
        }
        let mut c = EventCursor { rows: stmt.raw_query(), id: Vec::with_capacity(36), seq: 0, event: None };
        Ok(c.advance()?.map(|()| c))
    }

    fn advance(&mut self) -> rusqlite::Result<Result<()>> {
        self.event = None;
        let Some(e) = self.rows.next()? else { return Ok(Ok(())) };
        match scan_event(e)? {
            Ok(d) => {
                self.id.clear();
                self.id.extend_from_slice(bytes(e, 0)?);
                self.seq = e.get(5)?;
                self.event = Some(d);
                Ok(Ok(()))
            }
            Err(err) => Ok(Err(err)),
        }
    }
}

/// The ledger side of an audience batch on SQLite: merges the consent's own events and the
/// channel's objections from the batch's first contact on, and sends them in chunks until the
/// contacts side hangs up.
fn read_events(
    c: &rusqlite::Connection,
    [channel, from, purpose, topic]: [&str; 4],
    tx: &std::sync::mpsc::SyncSender<Result<EventChunk>>,
) -> rusqlite::Result<()> {
    let (mut own_stmt, mut objections_stmt) = (c.prepare_cached(SCAN_EVENTS)?, c.prepare_cached(SCAN_EVENTS)?);
    let opened = (
        EventCursor::open(&mut own_stmt, [channel, purpose, topic, from])?,
        EventCursor::open(&mut objections_stmt, [channel, ANY, ANY, from])?,
    );
    let (mut own, mut objections) = match opened {
        (Ok(own), Ok(objections)) => (own, objections),
        (Err(err), _) | (_, Err(err)) => {
            let _ = tx.send(Err(err));
            return Ok(());
        }
    };
    let mut chunk = EventChunk::default();
    loop {
        let next = match (&own.event, &objections.event) {
            (None, None) => break,
            (Some(_), None) => &mut own,
            (None, Some(_)) => &mut objections,
            (Some(_), Some(_)) => {
                if (own.id.as_slice(), own.seq) <= (objections.id.as_slice(), objections.seq) {
                    &mut own
                } else {
                    &mut objections
                }
            }
        };
        let Some((event, facts)) = next.event.take() else { break };
        let range = match chunk.events.last() {
            Some((r, _, _)) if chunk.ids[r.clone()] == next.id[..] => r.clone(),
            _ => {
                let start = chunk.ids.len();
                chunk.ids.extend_from_slice(&next.id);
                start..chunk.ids.len()
            }
        };
        chunk.events.push((range, event, facts));
        if let Err(err) = next.advance()? {
            let _ = tx.send(Err(err));
            return Ok(());
        }
        if chunk.events.len() == EVENT_CHUNK && tx.send(Ok(std::mem::take(&mut chunk))).is_err() {
            return Ok(());
        }
    }
    let _ = tx.send(Ok(chunk));
    Ok(())
}

/// An audience batch on SQLite, as a merge join on two cores: a scoped thread reads and decodes
/// the ledger through a reader of its own while this one walks the contacts and decides them.
/// Rows are borrowed, not copied; the ledger side runs at most a few chunks ahead.
fn scan_segment_sqlite(
    readers: &crate::fastread::SqliteReaders,
    sql: &str,
    args: &[String],
    event_params: [&str; 4],
    visit: &mut (dyn FnMut(&ScanContact<'_>, &ScanEvents) + Send),
) -> Result<Option<String>> {
    let mut failure: Option<StoreError> = None;
    let last = readers.with(|c| {
        let mut cs = c.prepare_cached(sql)?;
        for (i, a) in args.iter().enumerate() {
            cs.raw_bind_parameter(i + 1, a)?;
        }
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<EventChunk>>(1);
            let ledger = scope.spawn(move || readers.with(|e| read_events(e, event_params, &tx)));
            let mut contacts = cs.raw_query();
            let mut chunk = EventChunk::default();
            let mut at = 0;
            let mut ledger_done = false;
            let mut mine: Vec<(LedgerEvent, Facts)> = Vec::new();
            let mut last: Option<String> = None;
            while let Some(r) = contacts.next()? {
                let id = text(r, 0)?;
                mine.clear();
                loop {
                    if at == chunk.events.len() {
                        if ledger_done {
                            break;
                        }
                        match rx.recv() {
                            Ok(Ok(next)) => {
                                chunk = next;
                                at = 0;
                                continue;
                            }
                            Ok(Err(e)) => {
                                failure = Some(e);
                                return Ok(None);
                            }
                            Err(_) => {
                                ledger_done = true;
                                break;
                            }
                        }
                    }
                    let (range, event, facts) = &chunk.events[at];
                    match chunk.ids[range.clone()].cmp(id.as_bytes()) {
                        std::cmp::Ordering::Less => at += 1,
                        std::cmp::Ordering::Equal => {
                            mine.push((event.clone(), *facts));
                            at += 1;
                        }
                        std::cmp::Ordering::Greater => break,
                    }
                }
                let contact = ScanContact {
                    id,
                    consumer: text(r, 1)? == "b2c",
                    restricted: r.get_ref(2)?.as_i64_or_null()?.is_some(),
                    record_class: text(r, 3)?,
                    owner_id: opt_text(r, 4)?,
                    team: opt_text(r, 5)?,
                    tags: text(r, 6)?,
                };
                visit(&contact, &mine);
                let l = last.get_or_insert_with(String::new);
                l.clear();
                l.push_str(id);
            }
            // Hang up: the ledger thread stops at its next chunk.
            drop(rx);
            if let Ok(Err(e)) = ledger.join() {
                failure.get_or_insert(e);
            }
            Ok(last)
        })
    });
    match failure {
        Some(e) => Err(e),
        None => last,
    }
}

/// Walks the next `limit` contacts of a segment after `after` (by id) and hands each, with the
/// events deciding its permission, to `visit`. Returns the last contact's id, or `None` when
/// the segment is exhausted. Memory stays that of one contact's events.
///
/// On a SQLite file both sides are read through one synchronous reader as a merge join: two
/// statements step side by side, rows are borrowed, not copied, and nothing is allocated per
/// row but the facts a rare event carries.
#[allow(clippy::too_many_arguments)]
pub async fn scan_segment(
    store: &crate::store::Store,
    f: &ContactFilter,
    purpose: &str,
    channel: Channel,
    topic: &str,
    after: Option<&str>,
    limit: i64,
    visit: &mut (dyn FnMut(&ScanContact<'_>, &ScanEvents) + Send),
) -> Result<Option<String>> {
    let (sql, args) = contacts_scan_sql(f, after, limit);
    let from = after.unwrap_or("");
    if let Some(readers) = &store.readers {
        return scan_segment_sqlite(readers, &sql, &args, [channel.as_str(), from, purpose, topic], visit);
    }
    // PostgreSQL: the batch's contacts, then the events of their id range.
    type Row = (String, String, Option<i64>, String, Option<String>, Option<String>, String);
    let mut conn = store.pool.acquire().await?;
    let mut q = sqlx::query_as::<_, Row>(&sql);
    for a in &args {
        q = q.bind(a.clone());
    }
    let contacts: Vec<Row> = q.fetch_all(&mut *conn).await?;
    let Some(last) = contacts.last().map(|c| c.0.clone()) else { return Ok(None) };
    let rows: Vec<(String, String, String, i64, String)> = sqlx::query_as(SCAN_EVENTS_RANGE)
        .bind(channel.as_str())
        .bind(from)
        .bind(purpose)
        .bind(topic)
        .bind(&last)
        .fetch_all(&mut *conn)
        .await?;
    let mut events = rows.into_iter().peekable();
    let mut mine = Vec::new();
    for c in &contacts {
        mine.clear();
        while let Some(e) = events.next_if(|e| e.0.as_str() <= c.0.as_str()) {
            if e.0 == c.0 {
                mine.push((LedgerEvent { at: e.3, kind: parse_kind(&e.1)?, method: parse_method(&e.2)? }, scan_facts(&e.4)?));
            }
        }
        let contact = ScanContact {
            id: &c.0,
            consumer: c.1 == "b2c",
            restricted: c.2.is_some(),
            record_class: &c.3,
            owner_id: c.4.as_deref(),
            team: c.5.as_deref(),
            tags: &c.6,
        };
        visit(&contact, &mine);
    }
    Ok(Some(last))
}

/// The contacts whose identifier on a channel is on its suppression list (an audience leaves
/// them out whatever their consent says).
pub async fn suppressed_contacts(conn: &mut Conn, channel: Channel) -> Result<std::collections::HashSet<String>> {
    let Some(kind) = blind_kind(channel) else { return Ok(Default::default()) };
    let rows: Vec<(Vec<u8>,)> = sqlx::query_as(
        "SELECT b.contact_id FROM suppressions s JOIN blind_indexes b ON b.kind = $1 AND b.token = s.token WHERE s.channel = $2",
    )
    .bind(kind.as_str())
    .bind(channel.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(b,)| uuid::Uuid::from_slice(&b).map(|u| u.to_string()).map_err(|_| StoreError::Corrupt("blind index contact".into())))
        .collect()
}

/// Records an export of an audience and, for each contact in it, a use of its consent.
#[allow(clippy::too_many_arguments)]
pub async fn record_export(
    conn: &mut Conn,
    id: &str,
    purpose: &str,
    channel: Channel,
    topic: &str,
    segment: &str,
    recipient: &str,
    actor: &str,
    at: i64,
    permitted: i64,
    excluded: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audience_exports (id, purpose, channel, topic, segment, recipient, actor, at, permitted, excluded) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(purpose)
    .bind(channel.as_str())
    .bind(topic)
    .bind(segment)
    .bind(recipient)
    .bind(actor)
    .bind(at)
    .bind(permitted)
    .bind(excluded)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Appends uses of consents (one export, many contacts), many rows per statement.
pub async fn record_uses(
    conn: &mut Conn,
    export_id: &str,
    purpose: &str,
    channel: Channel,
    topic: &str,
    at: i64,
    contacts: &[String],
) -> Result<()> {
    for chunk in contacts.chunks(crate::db::rows_per_insert(6)) {
        let sql = format!(
            "INSERT INTO consent_uses (contact_id, purpose, channel, topic, at, export_id) VALUES {}",
            crate::db::values_placeholders(conn, chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q.bind(c.clone()).bind(purpose).bind(channel.as_str()).bind(topic).bind(at).bind(export_id);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// When the consent of a contact was last used (exported), if ever.
pub async fn last_use(conn: &mut Conn, contact_id: &str, purpose: &str, channel: Channel, topic: &str) -> Result<Option<i64>> {
    let row: (Option<i64>,) =
        sqlx::query_as("SELECT MAX(at) FROM consent_uses WHERE contact_id = $1 AND purpose = $2 AND channel = $3 AND topic = $4")
            .bind(contact_id)
            .bind(purpose)
            .bind(channel.as_str())
            .bind(topic)
            .fetch_one(&mut *conn)
            .await?;
    Ok(row.0)
}

/// The uses of a contact's consents, newest first: (purpose, channel, topic, at, export id).
pub async fn uses_of(conn: &mut Conn, contact_id: &str, limit: i64) -> Result<Vec<(String, String, String, i64, String)>> {
    Ok(sqlx::query_as("SELECT purpose, channel, topic, at, export_id FROM consent_uses WHERE contact_id = $1 ORDER BY at DESC LIMIT $2")
        .bind(contact_id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?)
}

/// One disclosure of a contact in an audience export: to whom, when, for which purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    pub export_id: String,
    pub recipient: String,
    pub purpose: String,
    pub channel: String,
    pub topic: String,
    pub at: i64,
}

/// The audience exports a contact was in, oldest first (Art. 15(1)(c), Art. 19).
pub async fn disclosures_of(conn: &mut Conn, contact_id: &str) -> Result<Vec<Disclosure>> {
    let rows: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT u.export_id, x.recipient, u.purpose, u.channel, u.topic, u.at FROM consent_uses u \
         JOIN audience_exports x ON x.id = u.export_id WHERE u.contact_id = $1 ORDER BY u.at, u.export_id",
    )
    .bind(contact_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(export_id, recipient, purpose, channel, topic, at)| Disclosure { export_id, recipient, purpose, channel, topic, at })
        .collect())
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

/// Counts of events by purpose, channel and kind (the DPO's statistics).
pub async fn event_counts(conn: &mut Conn) -> Result<Vec<(String, String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT purpose, channel, kind, COUNT(*) FROM consent_events GROUP BY purpose, channel, kind ORDER BY purpose, channel, kind",
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// Restriction of processing (Art. 18): set or lifted.
pub async fn set_restricted(conn: &mut Conn, contact_id: &str, at: Option<i64>) -> Result<bool> {
    Ok(sqlx::query("UPDATE contacts SET restricted_at = $1 WHERE id = $2")
        .bind(at)
        .bind(contact_id)
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 1)
}

pub async fn restricted_at(conn: &mut Conn, contact_id: &str) -> Result<Option<i64>> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT restricted_at FROM contacts WHERE id = $1").bind(contact_id).fetch_optional(&mut *conn).await?;
    Ok(row.and_then(|r| r.0))
}
