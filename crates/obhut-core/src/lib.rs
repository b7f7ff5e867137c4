//! Obhut's domain: the types every layer speaks and the pure rules over them.
//!
//! Input from any edge (HTTP, form, CSV, vCard, CLI) becomes a domain type here exactly
//! once, through the `parse`/`validate` functions; the rest of the house trusts these types.
//! This crate does no I/O, no async and no SQL, so its rules are tested in plain unit tests.

pub mod activity;
pub mod clock;
pub mod consent;
pub mod contact;
mod contact_file;
pub mod deal;
pub mod demo;
pub mod dsr;
pub mod email;
pub mod fields;
pub mod ids;
pub mod import;
pub mod organization;
pub mod phone;
pub mod processor;
pub mod purpose;
pub mod retention;
pub mod search;
pub mod text;
pub mod ticket;
pub mod user;
pub mod validation;
pub mod vcard;

pub use validation::{FieldError, ValidationErrors};
