//! Data subject rights: erasure (Art. 17) by crypto-shredding, with a journal of erasures
//! kept beside the database so that restoring an older backup erases again.
//!
//! Requests are run by whoever administers the audit trail: the DPO and administrators.

use super::audit_entry;
use crate::gate::{Action, Actor, Resource};
use crate::error::ServiceResult;
use crate::{App, ServiceError};
use obhut_core::consent::Channel;
use obhut_core::ids::ContactId;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The journal of erasures in the data directory: one line per erasure, `contact id`, a tab,
/// the time in milliseconds. Nothing personal. It outlives a database that is restored from a
/// backup (or lost), so that the restore can erase again.
pub fn journal_path(data_dir: &Path) -> PathBuf {
    data_dir.join("erasures.journal")
}

/// What an erasure did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Erasure {
    pub contact_id: String,
    /// Milliseconds since 1970.
    pub erased_at: i64,
    /// Delivered mails to the person deleted from the outbox directory.
    pub mails_deleted: usize,
    /// What stays, and why (a legal duty or the person's own objection).
    pub kept: Vec<String>,
}

/// Data subject requests are run by the DPO and administrators.
pub async fn authorize(app: &App, actor: &Actor) -> ServiceResult<()> {
    app.authorize(actor, Action::Administer, Resource::Audit).await
}

fn check_reason(reason: &str) -> ServiceResult<&str> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(ServiceError::field("reason", "say why the contact is erased (for example the request it answers)"));
    }
    if r.chars().count() > 500 || r.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ServiceError::field("reason", "at most 500 characters, without control characters"));
    }
    Ok(r)
}

/// Erases a contact (Art. 17): its record, activities, tickets, tags, blind indexes, pending
/// consent tokens and queued or delivered mails are deleted and its key destroyed, so that
/// the audit trail's sealed values about it can no longer be read while the chain verifies.
/// The consent proof (sealed under its own key, § 7a UWG) and an objector's blind index on
/// the suppression list stay. A second request for the same contact answers 410 Gone.
pub async fn erase(app: &App, actor: &Actor, contact_id: &str, reason: &str, case_id: Option<&str>) -> ServiceResult<Erasure> {
    authorize(app, actor).await?;
    let reason = check_reason(reason)?;
    let id = ContactId::parse(contact_id.trim()).map_err(|_| ServiceError::NotFound("contact"))?;
    let sid = id.to_string();
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    if let Some(e) = obhut_store::erasure::find(&mut tx, &app.store.crypto, &sid).await? {
        return Err(gone(e.erased_at));
    }
    // An objector's address stays on the suppression list (as a blind index only).
    let mut objected = false;
    if let Some(tokens) = obhut_store::consent::contact_index_tokens(&mut tx, &sid).await? {
        for channel in [Channel::Email, Channel::Phone] {
            let mine = obhut_store::consent::channel_tokens(&tokens, channel)?;
            objected |= obhut_store::consent::suppressed(&mut tx, &mine, channel).await?;
        }
    }
    let erased = obhut_store::erasure::erase_contact(&mut tx, &app.store.crypto, id, now, &actor.audit_name(), case_id, reason)
        .await?
        .ok_or(ServiceError::NotFound("contact"))?;
    let mut entry = audit_entry(actor, "contact.erase", "contact", &sid, Some(sid.clone()), vec!["*".into()]);
    entry.purpose = Some("data_subject_rights".into());
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[entry]).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    append_journal(&app.config.data_dir, &sid, now)
        .map_err(|e| ServiceError::Internal(format!("writing the erasure journal: {e}")))?;
    let mails_deleted = super::mail::delete_delivered(&app.config, &erased.message_ids)
        .await
        .map_err(|e| ServiceError::Internal(format!("deleting delivered mail: {e}")))?;
    // Empty the WAL: the freed pages were overwritten (secure_delete), their old copies in the
    // log go with it.
    app.store.checkpoint().await?;
    let mut kept = vec!["consent proof (§ 7a UWG, Art. 17(3)(e) GDPR): sealed under its own key until its retention ends".to_string()];
    if objected {
        kept.push("suppression list: the blind index of the objector's address, so that it is never approached again".into());
    }
    Ok(Erasure { contact_id: sid, erased_at: now, mails_deleted, kept })
}

/// The answer for an erased contact.
pub fn gone(erased_at: i64) -> ServiceError {
    let when = time::OffsetDateTime::from_unix_timestamp(erased_at / 1000)
        .map(|t| t.date().to_string())
        .unwrap_or_else(|_| erased_at.to_string());
    ServiceError::Gone(format!("the contact was erased on {when}"))
}

/// Whether a contact id belongs to an erased contact: then it answers 410 rather than 404.
pub async fn erased_at(app: &App, contact_id: &str) -> ServiceResult<Option<i64>> {
    let mut conn = app.conn().await?;
    Ok(obhut_store::erasure::find(&mut conn, &app.store.crypto, contact_id).await?.map(|e| e.erased_at))
}

fn append_journal(data_dir: &Path, contact_id: &str, at: i64) -> std::io::Result<()> {
    std::fs::create_dir_all(data_dir)?;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(journal_path(data_dir))?;
    writeln!(f, "{contact_id}\t{at}")?;
    f.sync_all()
}

/// The erasures in the journal: (contact id, time). Lines that are not well formed are
/// reported, not skipped silently.
pub fn read_journal(data_dir: &Path) -> Result<Vec<(String, i64)>, String> {
    let text = match std::fs::read_to_string(journal_path(data_dir)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("reading {}: {e}", journal_path(data_dir).display())),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let (id, at) = l.split_once('\t').ok_or_else(|| format!("erasure journal line {}: not `id<TAB>time`", i + 1))?;
            let id = ContactId::parse(id.trim()).map_err(|_| format!("erasure journal line {}: not a contact id", i + 1))?;
            let at = at.trim().parse::<i64>().map_err(|_| format!("erasure journal line {}: not a time", i + 1))?;
            Ok((id.to_string(), at))
        })
        .collect()
}
