//! Obhut's domain: the types every layer speaks and the pure rules over them.
//!
//! Input from any edge (HTTP, form, CSV, vCard, CLI) becomes a domain type here exactly
//! once, through the `parse`/`validate` functions; the rest of the house trusts these types.
//! This crate does no I/O, no async and no SQL, so its rules are tested in plain unit tests.

/// A closed set of values spoken as snake_case strings (`as_str`, `parse` naming the choices).
macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($v),* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),*];
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),* } }
            pub fn parse(s: &str) -> Result<Self, String> {
                match s.trim() { $($s => Ok($name::$v),)* _ => Err(format!("must be one of {}", [$($s),*].join(", "))) }
            }
        }
    };
}

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
mod purpose_texts;
pub mod retention;
pub mod search;
pub mod task;
pub mod text;
pub mod ticket;
pub mod user;
pub mod validation;
pub mod vcard;

pub use validation::{FieldError, ValidationErrors};
