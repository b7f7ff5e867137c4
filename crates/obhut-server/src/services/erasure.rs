//! Art. 17: erasure of a contact with everything about it, in one transaction: the record,
//! its key (crypto-shredding what the backups hold), its mails; the recipients are told and
//! the erasure journaled.

use super::audit_entry;
use crate::app::App;
use crate::error::ServiceError;
use crate::error::ServiceResult;
use crate::gate::Actor;
use obhut_core::consent::Channel;
use obhut_core::dsr::{CaseKind, CaseStatus};
use obhut_core::ids::ContactId;
use serde::Serialize;

use super::cases::{authorize, case_audit, complete, load_case, require_open};
use super::recipients::notify_recipients;
use super::tombstones::{append_journal, gone};

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
    /// Set when a legal duty (HGB § 257, AO § 147) keeps records of the person: they and the
    /// contact are restricted until this day (Art. 17(3)(b)), everything else was erased, and
    /// the retention sweep erases the rest then.
    pub restricted_until: Option<String>,
    /// Notification tasks created for the recipients of the contact's data (Art. 19).
    pub recipient_notices: usize,
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

/// Erases a contact (Art. 17): its record, activities, tickets, tasks, tags, blind indexes, pending
/// consent tokens and queued or delivered mails are deleted and its key destroyed, so that
/// the audit trail's sealed values about it can no longer be read while the chain verifies.
/// The consent proof (sealed under its own key, § 7a UWG) and an objector's blind index on
/// the suppression list stay. A second request for the same contact answers 410 Gone.
pub async fn erase(app: &App, actor: &Actor, contact_id: &str, reason: &str, case_id: Option<&str>) -> ServiceResult<Erasure> {
    authorize(app, actor).await?;
    let reason = check_reason(reason)?;
    let id = ContactId::parse(contact_id.trim()).map_err(|_| ServiceError::NotFound("contact"))?;
    let sid = id.to_string();
    // An erasure that answers a request closes its case.
    let mut case = match case_id {
        Some(c) => {
            let c = load_case(app, c).await?;
            if c.kind != CaseKind::Erasure.as_str() || c.contact_id != sid {
                return Err(ServiceError::field("case", format!("case {} is not an erasure request of this contact", c.reference)));
            }
            if require_open(&c)? != CaseStatus::InProgress {
                return Err(ServiceError::Conflict(format!("case {}: check the requester's identity first", c.reference)));
            }
            Some(c)
        }
        None => None,
    };
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    if let Some(e) = obhut_store::erasure::find(&mut w.tx, &app.store.crypto, &sid).await? {
        return Err(gone(e.erased_at));
    }
    // Erasure yields to legal holds and retention duties (Art. 17(3)(b), (e)).
    let case_ref = case.as_ref().map(|c| c.reference.clone());
    if let Some((until, kept_records, mut entries, notices)) =
        super::retention::before_erasure(app, actor, &mut w.tx, &sid, case_ref.as_deref()).await?
    {
        if let Some(c) = case.as_mut() {
            c.status = CaseStatus::Completed.as_str().into();
            c.closed_at = Some(now);
            c.updated_at = now;
            obhut_store::dsr::update(&mut w.tx, &app.store.crypto, c).await?;
            entries.push(case_audit(actor, "dsr.close", c, &["status"]));
        }
        let mut entry = audit_entry(actor, "contact.erase_restricted", "contact", &sid, Some(sid.clone()), vec![format!("until={until}")]);
        entry.purpose = Some("data_subject_rights".into());
        entries.push(entry);
        w.record(&entries);
        w.commit(app).await?;
        app.store.checkpoint().await?;
        let mut kept = vec![format!(
            "records a legal duty keeps (§ 257 HGB, § 147 AO), restricted until {until} and erased then: {}",
            kept_records.join(", ")
        )];
        kept.push("the contact's master data those records need, restricted likewise".into());
        return Ok(Erasure {
            contact_id: sid,
            erased_at: now,
            mails_deleted: 0,
            kept,
            restricted_until: Some(until.to_string()),
            recipient_notices: notices,
        });
    }
    // An objector's address stays on the suppression list (as a blind index only).
    let mut objected = false;
    if let Some(tokens) = obhut_store::consent::contact_index_tokens(&mut w.tx, &sid).await? {
        for channel in [Channel::Email, Channel::Phone] {
            let mine = obhut_store::consent::channel_tokens(&tokens, channel)?;
            objected |= obhut_store::consent::suppressed(&mut w.tx, &mine, channel).await?;
        }
    }
    // Art. 19: the recipients are collected while the disclosure log still names the contact.
    let notices = notify_recipients(app, &mut w.tx, actor, id, "erasure", case.as_ref().map(|c| c.id.as_str()), now).await?;
    let erased = obhut_store::erasure::erase_contact(
        &mut w.tx,
        &app.store.crypto,
        id,
        now,
        &actor.audit_name(),
        case.as_ref().map(|c| c.reference.as_str()),
        reason,
    )
    .await?
    .ok_or(ServiceError::NotFound("contact"))?;
    if let Some(c) = case.as_mut() {
        complete(app, &mut w, actor, c, now).await?;
    }
    let mut entry = audit_entry(actor, "contact.erase", "contact", &sid, Some(sid.clone()), vec!["*".into()]);
    entry.purpose = Some("data_subject_rights".into());
    w.record(&[entry]);
    w.commit(app).await?;
    append_journal(&app.config.data_dir, &sid, now).map_err(|e| ServiceError::Internal(format!("writing the erasure journal: {e}")))?;
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
    Ok(Erasure { contact_id: sid, erased_at: now, mails_deleted, kept, restricted_until: None, recipient_notices: notices })
}
