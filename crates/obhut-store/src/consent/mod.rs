//! Consent: the ledger of events with sealed evidence ([`events`]), the notices people
//! consent to ([`notices`]), double opt-in tokens ([`tokens`]), the suppression list
//! ([`suppression`]), the audience walk ([`audiences`]) and the uses of consents ([`uses`]).
//! Nothing here decides whether a contact may be approached: `obhut_core::consent` does, from
//! what this reads. The mail outbox is [`crate::outbox`]; the restriction flag,
//! [`crate::restriction`].

pub mod audiences;
pub mod events;
pub mod notices;
pub mod suppression;
pub mod tokens;
pub mod uses;

// moved to consent::events; re-exported for callers until they move
pub use events::{
    append_event, consents_given_before, contact_key, event_counts, event_evidence, events_for_contact, events_of, find_event, NewEvent,
    StoredEvent, ANY,
};
// moved to consent::notices; re-exported for callers until they move
pub use notices::{current_notice, list_notices, notice_by_id, notice_hash, save_notice};
// moved to consent::tokens; re-exported for callers until they move
pub use tokens::{claim_token, insert_token, peek_token, requests_since, token_hash, Claim, TokenRow};
// moved to consent::suppression; re-exported for callers until they move
pub use suppression::{blind_kind, channel_tokens, contact_index_tokens, suppress, suppressed, suppressed_contacts, unsuppress};
// moved to consent::audiences; re-exported for callers until they move
pub use audiences::{scan_segment, ScanContact, ScanEvents};
// moved to consent::uses; re-exported for callers until they move
pub use uses::{disclosures_of, last_use, record_export, record_uses, uses_of, Disclosure};
// moved to outbox; re-exported for callers until they move
pub use crate::outbox::{
    delivered_files, enqueue, lease_due, list_outbox, mark_failed, mark_file_removed, mark_retry, mark_sent, Leased, Mail, OutboxEntry,
};
// moved to restriction (`set_restricted` as `set_restricted_at`); re-exported for callers until they move
pub use crate::restriction::{restricted_at, set_restricted_at as set_restricted};
