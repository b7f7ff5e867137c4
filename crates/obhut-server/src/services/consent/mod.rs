//! Consent and marketing permission: the ledger with its evidence, double opt-in by mail,
//! withdrawal and objection (with the suppression list), the permission per channel
//! (`obhut_core::consent::may_approach`), audiences and their export, and the review of old
//! consents. Consent belongs to a contact: who may read the contact may read its ledger, who
//! may change it may record consent for it (the gate decides both).

mod audience;
mod double_opt_in;
mod ledger;
mod public;
mod review;
mod shared;

pub use self::{audience::*, double_opt_in::*, ledger::*, public::*, review::*, shared::*};
/// How many sign-ups the public form takes per client network and hour.
pub use crate::limiter::SIGNUPS_PER_HOUR;
