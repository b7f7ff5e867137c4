//! The server's integration tests: one binary (link time matters on two cores).
//! Storage and API tests run on SQLite and on PostgreSQL; browser tests drive Chromium.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod activities;
mod api;
mod audit;
mod browser;
mod bulk;
mod common;
mod consent;
mod consent_ui;
mod contacts_ui;
mod deals_ui;
mod dsr;
mod dsr_report;
mod dsr_ui;
mod files;
mod gate;
mod imports;
mod layers;
mod list_columns;
mod lists;
mod mailbox;
mod matrix;
mod offboarding;
mod privacy;
mod registry;
mod retention;
mod retention_ui;
mod rights;
mod rights_ui;
mod security;
mod tasks;
mod tasks_ui;
mod throttle;
mod tickets;
mod tickets_ui;
mod views;
