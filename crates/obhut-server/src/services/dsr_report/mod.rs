//! Data subject requests answered from the records themselves: the Art. 15 access report
//! (what is held about a person, why, on which legal basis, from where, for whom and for how
//! long, with a copy of the data) as JSON, HTML and PDF, and the Art. 20 portability archive
//! (the data the person provided, as JSON, CSV and vCard in one zip file).
//!
//! Both are the DPO's work: the gate must let the actor read the purpose registry (the
//! privacy cockpit) and export the contact, and the report also the audit trail and the
//! processors it quotes. Each run is audited (`dsr.access_report`, `dsr.portability`) with
//! counts only. HTML and PDF are rendered from one [`Document`], so both say the same.

mod document;
mod gather;
mod model;
mod pdf;
mod portability;
mod render;
#[cfg(test)]
mod tests;

pub use document::{document, Block, Document, Entry, Field, Section};
pub(crate) use gather::recipients;
pub use gather::{access_report, permitted, Request};
pub use model::*;
pub use portability::portability;
pub use render::{parse_lang, render, render_html, Format};
