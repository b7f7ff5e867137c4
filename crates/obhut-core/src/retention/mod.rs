//! Retention rules: deletion classes in the sense of DIN 66398 (Art. 5(1)(e), 17 GDPR).
//!
//! Exactly one rule per data type. A data type is defined by purpose, legal basis and the
//! group of people, not by table: a contact is a prospect, a customer or a subscriber, and
//! each has its own rule. A rule is a start point (collection, end of a process, end of the
//! relationship, last contact, consent withdrawn) plus a regular period, optionally counted
//! from the end of the calendar year (HGB § 257(5), AO § 147(4)), and an action: erase,
//! anonymize, pseudonymize or restrict.
//!
//! What a legal duty keeps (business letters and orders: HGB § 257, AO § 147) is restricted,
//! not erased, until its own period ends (Art. 17(3)(b)); a legal hold postpones every rule of
//! the subject it covers. Everything here is pure: the caller gathers the facts and applies
//! the plan.

mod catalogue;
mod rule;
mod sweep;
#[cfg(test)]
mod tests;

pub use catalogue::{check_catalogue, default_rules};
pub use rule::{day, DataType, Period, RetentionAction, RetentionRule, StartPoint};
pub use sweep::{classify, contact_start, plan, ContactStep, ItemFacts, Plan, Reason, RunCounts, SubjectFacts};
