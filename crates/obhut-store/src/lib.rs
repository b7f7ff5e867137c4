//! Obhut's persistence: one repository layer over SQLite (embedded default) and PostgreSQL.
//!
//! All SQL is written once, with `$n` placeholders that both backends accept, and runs on a
//! `sqlx::AnyPool`; migrations live in one folder per backend with the same version numbers.
//! Personal fields only ever reach the database sealed under their subject's key
//! ([`crypto`]), and lookups go through keyed blind indexes. The hash-chained audit trail
//! ([`audit`]) is written in the same transaction as the change it records.

pub mod activities;
pub mod audit;
pub mod consent;
pub mod contact_filter;
pub mod contact_sort;
pub mod contacts;
pub mod crypto;
pub mod db;
pub mod deals;
pub mod dsr;
pub mod erasure;
pub mod error;
pub mod fastread;
pub mod files;
pub mod imports;
pub mod organizations;
pub mod outbox;
pub mod policies;
pub mod purposes;
pub mod reach;
pub mod recipient_notices;
pub mod restriction;
pub mod retention;
pub mod saved_views;
pub mod store;
pub mod tasks;
pub mod throttle;
pub mod ticket_messages;
pub mod tickets;
pub mod users;

// The crate's face: what nearly every caller names, kept at the root on purpose. The modules
// of this crate import from where these live, so every arrow between them points one way.
pub use crypto::{Crypto, MasterKeySource};
pub use db::{Conn, Tx};
pub use error::{Result, StoreError};
pub use store::{Backend, Store, StoreOptions};

// moved to store.rs; re-exported for callers until they move
pub use store::{redact_url, sqlite_path};
// moved to db.rs; re-exported for callers until they move
pub use db::{rows_per_insert, values_placeholders};
