//! What the sweep decides for one contact on a given day: the facts the caller gathers, the
//! plan, and the reason for each step.

use super::rule::{day, DataType, RetentionAction, RetentionRule, StartPoint};
use serde::Serialize;
use time::Date;

/// One record of a subject that a rule governs on its own (an activity or a ticket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFacts {
    pub id: String,
    pub data_type: DataType,
    /// The day its period starts; `None` while the process runs (an open ticket).
    pub start: Option<Date>,
}

/// What the caller knows about one contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectFacts {
    pub created_on: Date,
    /// The latest activity with the person.
    pub last_activity_on: Option<Date>,
    pub has_order: bool,
    /// Ever gave a marketing consent.
    pub had_consent: bool,
    /// A consent still stands.
    pub consent_active: bool,
    /// When the last consent ended (withdrawal or objection).
    pub consent_ended_on: Option<Date>,
    /// Active legal holds: the latest `until` (None: open-ended).
    pub held: Option<Option<Date>>,
    /// An erasure request (or an earlier sweep) restricted the contact until its duties end.
    pub restricted_until: Option<Date>,
    /// The erasure was asked for: the contact goes as soon as no duty keeps it.
    pub erasure_requested: bool,
    pub pseudonymized: bool,
    /// Restricted by a rule whose action is to restrict (nothing more to do).
    pub restricted_by_rule: bool,
    pub items: Vec<ItemFacts>,
}

/// Why a step is taken: enough to explain it to the DPO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Reason {
    pub data_type: DataType,
    pub start: StartPoint,
    /// The day the period started from.
    #[schema(value_type = Option<String>)]
    #[serde(with = "day::option")]
    pub started_on: Option<Date>,
    pub period: String,
    pub year_end: bool,
    #[schema(value_type = Option<String>)]
    #[serde(with = "day::option")]
    pub due_on: Option<Date>,
    pub legal_reference: String,
}

impl Reason {
    fn of(r: &RetentionRule, started_on: Option<Date>, due_on: Option<Date>) -> Self {
        Reason {
            data_type: r.data_type,
            start: r.start,
            started_on,
            period: r.period.to_string(),
            year_end: r.year_end,
            due_on,
            legal_reference: r.legal_reference.clone(),
        }
    }
    /// One line for the CLI and the logs.
    pub fn explain(&self) -> String {
        let start = self.started_on.map(|d| d.to_string()).unwrap_or_else(|| "not yet".into());
        let due = self.due_on.map(|d| d.to_string()).unwrap_or_else(|| "open".into());
        format!(
            "{}: {} {start} + {}{} = due {due} ({})",
            self.data_type.as_str(),
            self.start.as_str().replace('_', " "),
            self.period,
            if self.year_end { " from the end of that year" } else { "" },
            self.legal_reference
        )
    }
}

/// What happens to a contact now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactStep {
    /// Not due yet (or nothing left to do).
    Keep,
    /// Due, but a legal hold postpones it.
    Held { until: Option<Date> },
    /// Due, but records a legal duty keeps still run: restrict the contact until then, erase
    /// what no duty keeps.
    RestrictUntil(Date),
    /// Apply the rule's action.
    Apply(RetentionAction),
}

/// The plan for one contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub data_type: DataType,
    pub step: ContactStep,
    pub reason: Reason,
    /// Records to handle now, by index into the facts' items, with the action.
    pub items: Vec<(usize, RetentionAction, Reason)>,
    /// Items due but held.
    pub items_held: usize,
    /// The next day something falls due for this contact (the Wiedervorlage).
    pub next_due: Option<Date>,
}

/// Which contact data type the facts describe.
pub fn classify(f: &SubjectFacts) -> DataType {
    if f.has_order {
        DataType::ContactCustomer
    } else if f.had_consent {
        DataType::ContactSubscriber
    } else {
        DataType::ContactProspect
    }
}

/// The day a contact's period starts from, or `None` while its start has not happened.
pub fn contact_start(t: DataType, f: &SubjectFacts) -> Option<Date> {
    let last = f.last_activity_on.map_or(f.created_on, |a| a.max(f.created_on));
    match t {
        DataType::ContactSubscriber => {
            if f.consent_active {
                None
            } else {
                Some(f.consent_ended_on.map_or(last, |e| e.max(last)))
            }
        }
        _ => Some(last),
    }
}

/// Decides what happens to one contact and its records on `today` under `rules` (one per
/// data type; a missing rule keeps the data: the catalogue is checked to be complete).
pub fn plan(rules: &[RetentionRule], f: &SubjectFacts, today: Date) -> Option<Plan> {
    let rule_of = |t: DataType| rules.iter().find(|r| r.data_type == t);
    let data_type = classify(f);
    let cr = rule_of(data_type)?;
    let start = contact_start(data_type, f);
    let due = start.map(|s| cr.due_on(s));
    let reason = Reason::of(cr, start, due);
    let held = f.held;
    let contact_due = f.erasure_requested || due.is_some_and(|d| d <= today);

    // Each record under its own rule.
    let mut items = Vec::new();
    let mut items_held = 0;
    let mut kept_until: Option<Date> = None;
    let mut next_due: Option<Date> = None;
    for (i, it) in f.items.iter().enumerate() {
        let Some(r) = rule_of(it.data_type) else { continue };
        let Some(s) = it.start else { continue };
        let d = r.due_on(s);
        if d <= today {
            if held.is_some() {
                items_held += 1;
            } else {
                items.push((i, r.action, Reason::of(r, Some(s), Some(d))));
            }
        } else {
            next_due = Some(next_due.map_or(d, |n| n.min(d)));
            if r.legal_duty() {
                kept_until = Some(kept_until.map_or(d, |k| k.max(d)));
            }
        }
    }

    let step = if !contact_due {
        if let Some(d) = due {
            next_due = Some(next_due.map_or(d, |n| n.min(d)));
        }
        ContactStep::Keep
    } else if let Some(until) = held {
        ContactStep::Held { until }
    } else if let Some(k) = kept_until {
        // What no duty keeps goes now; the rest waits, restricted.
        for (i, it) in f.items.iter().enumerate() {
            let duty = rule_of(it.data_type).is_some_and(|r| r.legal_duty());
            if !duty && !items.iter().any(|(j, _, _)| *j == i) {
                items.push((i, RetentionAction::Erase, reason.clone()));
            }
        }
        next_due = Some(k);
        if f.restricted_until == Some(k) {
            ContactStep::Keep
        } else {
            ContactStep::RestrictUntil(k)
        }
    } else {
        let action = if f.erasure_requested { RetentionAction::Erase } else { cr.action };
        match action {
            RetentionAction::Pseudonymize if f.pseudonymized => ContactStep::Keep,
            RetentionAction::Restrict if f.restricted_by_rule => ContactStep::Keep,
            a => {
                // The contact's own action covers its records.
                items.clear();
                ContactStep::Apply(a)
            }
        }
    };
    items.sort_by_key(|(i, _, _)| *i);
    Some(Plan { data_type, step, reason, items, items_held, next_due })
}

/// What a sweep did (or would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RunCounts {
    pub contacts_erased: i64,
    pub contacts_anonymized: i64,
    pub contacts_pseudonymized: i64,
    pub contacts_restricted: i64,
    pub records_erased: i64,
    pub records_anonymized: i64,
    /// Contacts whose due rules a legal hold postpones.
    pub held: i64,
}
