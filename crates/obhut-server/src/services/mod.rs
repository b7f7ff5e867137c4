//! Service functions: the one place where business rules, the privacy gate and the audit
//! trail meet. The API, the web UI, the CLI and jobs all call these.

pub mod access;
pub mod activities;
pub mod audit;
pub mod backup;
pub mod bulk;
pub mod cases;
pub mod consent;
pub mod contact_view;
pub mod contact_list;
pub mod contacts;
pub mod deals;
pub mod demo;
pub mod dsr;
pub mod dsr_report;
pub mod erasure;
pub mod imports;
pub mod mail;
pub mod organizations;
pub mod placement;
pub mod policies;
pub mod privacy;
pub mod purposes;
pub mod recipients;
pub mod restriction;
pub mod retention;
pub mod rights;
pub mod support_mailbox;
pub mod tasks;
pub mod ticket_conversation;
pub mod tickets;
pub mod tombstones;
pub mod users;
pub mod views;

use crate::gate::Actor;
use obhut_store::audit::AuditEntry;

/// An audit entry by `actor` on one record.
pub(crate) fn audit_entry(
    actor: &Actor,
    action: &str,
    record_type: &str,
    record_id: impl ToString,
    subject: Option<String>,
    fields: Vec<String>,
) -> AuditEntry {
    AuditEntry {
        actor: actor.audit_name(),
        action: action.to_string(),
        record_type: record_type.to_string(),
        record_id: Some(record_id.to_string()),
        subject_id: subject,
        fields,
        detail: None,
        purpose: None,
        // What a processor's user touches is disclosed to that processor (Art. 28, 30(1)(d)).
        recipient: actor.processor.as_ref().map(|p| format!("processor:{}", p.key)),
    }
}

/// Paging: `limit` 1–200 (default 50), `offset` ≥ 0.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub fn new(limit: Option<i64>, offset: Option<i64>) -> Self {
        Self { limit: limit.unwrap_or(50).clamp(1, 200), offset: offset.unwrap_or(0).max(0) }
    }
}

impl Default for Page {
    fn default() -> Self {
        Self::new(None, None)
    }
}
