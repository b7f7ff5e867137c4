//! The review of old consents, consent statistics and the notice texts.

use super::double_opt_in::*;
use super::shared::*;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Resource};
use crate::services::audit_entry;
use obhut_core::consent::{status, Channel, EventKind, Evidence, Facts, LedgerEvent, Method, Notice};
use obhut_store::consent::{self as ledger, StoredEvent, ANY};
use serde::Serialize;

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
            let mut w = app.audited(now).await?;
            let Some(_) = ledger::contact_key(&mut w.tx, &app.store.crypto, &item.contact_id).await? else { continue };
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
            ledger::append_event(&mut w.tx, &app.store.crypto, &event).await?;
            let k = Key { purpose: item.purpose.clone(), channel: item.channel, topic: item.topic.clone() };
            let mut a = audit_entry(actor, "consent.expired", "consent", &event.id, Some(item.contact_id.clone()), key_fields(&k));
            a.purpose = Some(item.purpose.clone());
            w.record(&[a]);
            w.commit(app).await?;
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
    let mut w = app.audited(now).await?;
    let n = ledger::save_notice(&mut w.tx, &k.purpose, k.channel, &lang, text, now, &actor.audit_name()).await?;
    let mut fields = key_fields(&k);
    fields.push(format!("language={lang}"));
    fields.push(format!("version={}", n.version));
    let e = audit_entry(actor, "consent.notice", "consent_notice", &n.id, None, fields);
    w.record(&[e]);
    w.commit(app).await?;
    Ok(n)
}
