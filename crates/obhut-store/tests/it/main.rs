//! The store's integration tests: one binary (link time matters on two cores). The database
//! tests run on SQLite and, when `OBHUT_TEST_PG` (or the default local server) answers, on
//! PostgreSQL, each in a schema of its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod consent;
mod layout;
mod migration_parity;
