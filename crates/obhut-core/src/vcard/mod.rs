//! vCard: reading the 2.1, 3.0 and 4.0 files that phones and mail programs export, and
//! writing one contact as vCard 4.0 (RFC 6350).
//!
//! The reader is lenient in what real exports do (Android's quoted-printable 2.1, Apple's
//! `item1.` groups and `X-ABLabel`s, bare 2.1 parameters) and strict only where data would
//! be lost: a card without `END:VCARD` fails the whole file.

mod escape;
mod names;
mod prop;
mod read;
#[cfg(test)]
pub(crate) mod tests;
mod write;

pub use read::{parse_vcards, read_vcards, VcardImport};
pub use write::write_vcard;
