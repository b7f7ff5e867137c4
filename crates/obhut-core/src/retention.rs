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

use crate::activity::ActivityKind;
use crate::dsr::add_months;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month};

// Calendar days travel as `YYYY-MM-DD`.
time::serde::format_description!(pub day, Date, "[year]-[month]-[day]");

/// What kind of datum a rule governs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub enum DataType {
    /// A contact never ordered and without a marketing consent: a prospect or enquirer.
    #[serde(rename = "contact.prospect")]
    ContactProspect,
    /// A contact with at least one order: a customer.
    #[serde(rename = "contact.customer")]
    ContactCustomer,
    /// A contact that gave a marketing consent and never ordered: a subscriber.
    #[serde(rename = "contact.subscriber")]
    ContactSubscriber,
    /// Calls, meetings and notes.
    #[serde(rename = "activity.note")]
    ActivityNote,
    /// Emails: commercial letters (HGB § 257(1) Nr. 2, 3).
    #[serde(rename = "activity.letter")]
    ActivityLetter,
    /// Orders: commercial letters as well, kept for statistics without the person afterwards.
    #[serde(rename = "activity.order")]
    ActivityOrder,
    /// Complaints recorded as activities.
    #[serde(rename = "activity.complaint")]
    ActivityComplaint,
    /// Service cases.
    #[serde(rename = "ticket")]
    Ticket,
}

impl DataType {
    pub const ALL: [DataType; 8] = [
        Self::ContactProspect,
        Self::ContactCustomer,
        Self::ContactSubscriber,
        Self::ActivityNote,
        Self::ActivityLetter,
        Self::ActivityOrder,
        Self::ActivityComplaint,
        Self::Ticket,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ContactProspect => "contact.prospect",
            Self::ContactCustomer => "contact.customer",
            Self::ContactSubscriber => "contact.subscriber",
            Self::ActivityNote => "activity.note",
            Self::ActivityLetter => "activity.letter",
            Self::ActivityOrder => "activity.order",
            Self::ActivityComplaint => "activity.complaint",
            Self::Ticket => "ticket",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown data type; one of {}", Self::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")))
    }
    /// The contact itself, rather than one of its records.
    pub fn is_contact(self) -> bool {
        matches!(self, Self::ContactProspect | Self::ContactCustomer | Self::ContactSubscriber)
    }
    /// The data type of an activity.
    pub fn of_activity(kind: ActivityKind) -> Self {
        match kind {
            ActivityKind::Call | ActivityKind::Meeting | ActivityKind::Note => Self::ActivityNote,
            ActivityKind::Email => Self::ActivityLetter,
            ActivityKind::Order => Self::ActivityOrder,
            ActivityKind::Complaint => Self::ActivityComplaint,
        }
    }
    /// When the period starts: fixed by the data type, so that a rule never says "or".
    pub fn start(self) -> StartPoint {
        match self {
            Self::ContactProspect => StartPoint::LastContact,
            Self::ContactCustomer => StartPoint::EndOfRelationship,
            Self::ContactSubscriber => StartPoint::ConsentWithdrawn,
            Self::ActivityNote | Self::ActivityLetter | Self::ActivityOrder | Self::ActivityComplaint => StartPoint::Collection,
            Self::Ticket => StartPoint::EndOfProcess,
        }
    }
    /// The shortest period the law allows, where a legal duty keeps the datum.
    pub fn legal_minimum(self) -> Option<(Period, &'static str)> {
        match self {
            Self::ActivityLetter | Self::ActivityOrder => Some((
                Period { years: 6, months: 0, days: 0 },
                "§ 257 Abs. 1 Nr. 2, 3, Abs. 4 HGB; § 147 Abs. 1 Nr. 2, 3, Abs. 3 AO: 6 years",
            )),
            _ => None,
        }
    }
    /// The actions that make sense for this data type.
    pub fn allows(self, a: RetentionAction) -> bool {
        match a {
            RetentionAction::Erase => true,
            RetentionAction::Restrict | RetentionAction::Pseudonymize => self.is_contact(),
            RetentionAction::Anonymize => matches!(self, Self::ContactCustomer | Self::ActivityOrder),
        }
    }
}

/// The event a period runs from (DIN 66398's three kinds, refined for a CRM).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StartPoint {
    Collection,
    EndOfProcess,
    EndOfRelationship,
    LastContact,
    ConsentWithdrawn,
}

impl StartPoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Collection => "collection",
            Self::EndOfProcess => "end_of_process",
            Self::EndOfRelationship => "end_of_relationship",
            Self::LastContact => "last_contact",
            Self::ConsentWithdrawn => "consent_withdrawn",
        }
    }
}

/// What happens when a rule is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RetentionAction {
    /// Delete, and for a contact destroy its key (crypto-shredding).
    Erase,
    /// Keep what statistics need without the person (orders without their buyer); the link
    /// is removed irreversibly.
    Anonymize,
    /// Replace the identifiers by a keyed token that only the DPO can resolve.
    Pseudonymize,
    /// Keep, only stored (Art. 18).
    Restrict,
}

impl RetentionAction {
    pub const ALL: [RetentionAction; 4] = [Self::Erase, Self::Anonymize, Self::Pseudonymize, Self::Restrict];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Erase => "erase",
            Self::Anonymize => "anonymize",
            Self::Pseudonymize => "pseudonymize",
            Self::Restrict => "restrict",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().to_lowercase();
        Self::ALL.into_iter().find(|a| a.as_str() == s).ok_or_else(|| "must be erase, anonymize, pseudonymize or restrict".to_string())
    }
}

/// A regular period: years, months and days, added in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Period {
    pub years: u16,
    pub months: u16,
    pub days: u16,
}

impl Period {
    /// Parses `6y`, `30d`, `2y6m`, `1m`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().to_lowercase();
        let bad = || format!("`{s}` is not a period like 6y, 18m, 30d or 2y6m");
        if s.is_empty() {
            return Err(bad());
        }
        let mut p = Period::default();
        let mut num = String::new();
        let mut seen = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                num.push(c);
                continue;
            }
            let n: u16 = num.parse().map_err(|_| bad())?;
            num.clear();
            if seen.contains(c) {
                return Err(bad());
            }
            seen.push(c);
            match c {
                'y' if n <= 100 => p.years = n,
                'm' if n <= 1200 => p.months = n,
                'd' if n <= 36500 => p.days = n,
                _ => return Err(bad()),
            }
        }
        if !num.is_empty() {
            return Err(bad());
        }
        Ok(p)
    }
    /// Roughly in days, for comparing periods.
    fn approx_days(self) -> u32 {
        u32::from(self.years) * 365 + u32::from(self.months) * 30 + u32::from(self.days)
    }
    pub fn at_least(self, other: Period) -> bool {
        self.approx_days() >= other.approx_days()
    }
    /// `d` plus this period.
    pub fn after(self, d: Date) -> Date {
        let d = add_months(d, u32::from(self.years) * 12 + u32::from(self.months));
        d.checked_add(Duration::days(i64::from(self.days))).unwrap_or(d)
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.years == 0 && self.months == 0 && self.days == 0 {
            return f.write_str("0d");
        }
        if self.years > 0 {
            write!(f, "{}y", self.years)?;
        }
        if self.months > 0 {
            write!(f, "{}m", self.months)?;
        }
        if self.days > 0 {
            write!(f, "{}d", self.days)?;
        }
        Ok(())
    }
}

/// One deletion rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RetentionRule {
    pub data_type: DataType,
    /// The purpose (registry key) the data serves while the rule runs.
    pub purpose: String,
    pub legal_basis: String,
    pub start: StartPoint,
    pub period: Period,
    /// The period runs from the end of the calendar year the start falls in.
    pub year_end: bool,
    pub action: RetentionAction,
    pub legal_reference: String,
    pub description: String,
}

impl RetentionRule {
    /// Checks a rule as the DPO changed it: the action fits the data type and a legal duty's
    /// period is not cut short.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.start != self.data_type.start() {
            return Err(("start", format!("{} always starts at {}", self.data_type.as_str(), self.data_type.start().as_str())));
        }
        if !self.data_type.allows(self.action) {
            return Err(("action", format!("{} cannot be applied to {}", self.action.as_str(), self.data_type.as_str())));
        }
        if let Some((min, why)) = self.data_type.legal_minimum() {
            if !self.period.at_least(min) || !self.year_end {
                return Err((
                    "period",
                    format!("a legal duty keeps {}: {why}, from the end of the calendar year", self.data_type.as_str()),
                ));
            }
        }
        if self.legal_reference.trim().is_empty() {
            return Err(("legal_reference", "name the provision the period rests on".into()));
        }
        if self.purpose.trim().is_empty() {
            return Err(("purpose", "name the purpose the data serves".into()));
        }
        Ok(())
    }
    /// Whether a legal duty (rather than the controller's own need) keeps the datum: then an
    /// erasure request restricts it instead (Art. 17(3)(b)).
    pub fn legal_duty(&self) -> bool {
        self.data_type.legal_minimum().is_some()
    }
    /// The first day the datum is no longer covered: the start (or the end of its calendar
    /// year) plus the period, plus one day.
    pub fn due_on(&self, start: Date) -> Date {
        let base = if self.year_end { Date::from_calendar_date(start.year(), Month::December, 31).unwrap_or(start) } else { start };
        let end = self.period.after(base);
        end.next_day().unwrap_or(end)
    }
}

/// One row of the default table, in the order of its columns.
#[allow(clippy::too_many_arguments)]
fn rule(
    data_type: DataType,
    purpose: &str,
    legal_basis: &str,
    period: Period,
    year_end: bool,
    action: RetentionAction,
    legal_reference: &str,
    description: &str,
) -> RetentionRule {
    RetentionRule {
        data_type,
        purpose: purpose.into(),
        legal_basis: legal_basis.into(),
        start: data_type.start(),
        period,
        year_end,
        action,
        legal_reference: legal_reference.into(),
        description: description.into(),
    }
}

const fn years(y: u16) -> Period {
    Period { years: y, months: 0, days: 0 }
}

/// The catalogue a new installation starts with (private by default: the shortest rule that
/// fits each data type).
pub fn default_rules() -> Vec<RetentionRule> {
    use DataType::*;
    use RetentionAction::*;
    vec![
        rule(
            ContactProspect,
            "b2b_prospecting",
            "Art. 6(1)(f) GDPR",
            years(2),
            false,
            Erase,
            "Art. 5(1)(e), 17(1)(a) GDPR",
            "Prospects and enquirers without an order: erased two years after the last contact.",
        ),
        rule(
            ContactCustomer,
            "contract",
            "Art. 6(1)(b) GDPR",
            years(3),
            true,
            Anonymize,
            "§§ 195, 199 BGB (limitation period); Art. 17(1)(a) GDPR",
            "Customers: three years from the end of the year of the last contact; orders are kept for statistics without the person.",
        ),
        rule(
            ContactSubscriber,
            "newsletter",
            "Art. 6(1)(a) GDPR",
            Period { years: 0, months: 1, days: 0 },
            false,
            Erase,
            "Art. 7(3), 17(1)(b) GDPR",
            "Subscribers without an order: erased one month after the last consent ended (or the last contact after it).",
        ),
        rule(
            ActivityNote,
            "contract",
            "Art. 6(1)(b) GDPR",
            years(3),
            true,
            Erase,
            "§§ 195, 199 BGB",
            "Calls, meetings and notes: three years from the end of the year they happened.",
        ),
        rule(
            ActivityLetter,
            "accounting_retention",
            "Art. 6(1)(c) GDPR",
            years(6),
            true,
            Erase,
            "§ 257 Abs. 1 Nr. 2, 3, Abs. 4, 5 HGB; § 147 Abs. 1 Nr. 2, 3, Abs. 3, 4 AO",
            "Emails (commercial letters received and sent): six years from the end of the year.",
        ),
        rule(
            ActivityOrder,
            "accounting_retention",
            "Art. 6(1)(c) GDPR",
            years(6),
            true,
            Anonymize,
            "§ 257 Abs. 1 Nr. 2, 3, Abs. 4, 5 HGB; § 147 Abs. 1 Nr. 2, 3, Abs. 3, 4 AO",
            "Orders: six years from the end of the year; then kept for statistics without the person.",
        ),
        rule(
            ActivityComplaint,
            "customer_service",
            "Art. 6(1)(b) GDPR",
            years(3),
            true,
            Erase,
            "§§ 195, 199, 438 BGB",
            "Complaints: three years from the end of the year they were made.",
        ),
        rule(
            Ticket,
            "customer_service",
            "Art. 6(1)(b) GDPR",
            years(3),
            true,
            Erase,
            "§§ 195, 199 BGB",
            "Service cases: three years from the end of the year they were closed; open cases are kept.",
        ),
    ]
}

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

/// Checks that a catalogue has exactly one valid rule per data type.
pub fn check_catalogue(rules: &[RetentionRule]) -> Result<(), String> {
    for t in DataType::ALL {
        let n = rules.iter().filter(|r| r.data_type == t).count();
        if n != 1 {
            return Err(format!("{}: {n} rules; exactly one rule per data type", t.as_str()));
        }
    }
    for r in rules {
        r.check().map_err(|(f, m)| format!("{} {f}: {m}", r.data_type.as_str()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn facts(created: Date) -> SubjectFacts {
        SubjectFacts {
            created_on: created,
            last_activity_on: None,
            has_order: false,
            had_consent: false,
            consent_active: false,
            consent_ended_on: None,
            held: None,
            restricted_until: None,
            erasure_requested: false,
            pseudonymized: false,
            restricted_by_rule: false,
            items: vec![],
        }
    }

    fn item(id: &str, t: DataType, start: Date) -> ItemFacts {
        ItemFacts { id: id.into(), data_type: t, start: Some(start) }
    }

    #[test]
    fn the_default_catalogue_has_one_valid_rule_per_data_type() {
        check_catalogue(&default_rules()).unwrap();
        let mut two = default_rules();
        two.push(default_rules()[0].clone());
        assert!(check_catalogue(&two).is_err());
    }

    #[test]
    fn periods_under_the_hgb_run_from_the_end_of_the_calendar_year() {
        let letters = default_rules().into_iter().find(|r| r.data_type == DataType::ActivityLetter).unwrap();
        // A letter of 3 March 2020: kept through 31 December 2026.
        assert_eq!(letters.due_on(date!(2020 - 03 - 03)), date!(2027 - 01 - 01));
        assert_eq!(letters.due_on(date!(2020 - 12 - 31)), date!(2027 - 01 - 01));
        assert_eq!(letters.due_on(date!(2021 - 01 - 01)), date!(2028 - 01 - 01));
        let prospects = default_rules().into_iter().find(|r| r.data_type == DataType::ContactProspect).unwrap();
        assert_eq!(prospects.due_on(date!(2024 - 02 - 29)), date!(2026 - 03 - 01));
    }

    #[test]
    fn a_legal_duty_cannot_be_cut_short_and_actions_must_fit() {
        let mut r = default_rules().into_iter().find(|r| r.data_type == DataType::ActivityOrder).unwrap();
        r.period = years(5);
        assert_eq!(r.check().unwrap_err().0, "period");
        r.period = years(10);
        r.year_end = false;
        assert_eq!(r.check().unwrap_err().0, "period");
        r.year_end = true;
        r.check().unwrap();
        r.action = RetentionAction::Pseudonymize;
        assert_eq!(r.check().unwrap_err().0, "action");
    }

    #[test]
    fn periods_parse_and_print() {
        assert_eq!(Period::parse("2y6m").unwrap(), Period { years: 2, months: 6, days: 0 });
        assert_eq!(Period::parse("30d").unwrap().to_string(), "30d");
        for bad in ["", "6", "y", "6x", "1y1y", "-1y", "999y"] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_prospect_is_erased_two_years_after_the_last_contact() {
        let rules = default_rules();
        let mut f = facts(date!(2022 - 01 - 10));
        f.last_activity_on = Some(date!(2023 - 06 - 01));
        f.items = vec![item("n1", DataType::ActivityNote, date!(2023 - 06 - 01))];
        let p = plan(&rules, &f, date!(2025 - 06 - 01)).unwrap();
        assert_eq!(p.step, ContactStep::Keep);
        assert_eq!(p.next_due, Some(date!(2025 - 06 - 02)));
        let p = plan(&rules, &f, date!(2025 - 06 - 02)).unwrap();
        assert_eq!(p.step, ContactStep::Apply(RetentionAction::Erase));
        assert!(p.items.is_empty(), "the contact's erasure takes its records");
    }

    #[test]
    fn a_customer_with_running_orders_is_restricted_until_they_end_and_the_rest_goes() {
        let rules = default_rules();
        let mut f = facts(date!(2019 - 01 - 10));
        f.has_order = true;
        f.last_activity_on = Some(date!(2020 - 05 - 01));
        f.items =
            vec![item("o1", DataType::ActivityOrder, date!(2020 - 05 - 01)), item("n1", DataType::ActivityNote, date!(2020 - 04 - 01))];
        // Relationship: end of 2020 + 3y → due 2024-01-01; the order runs to the end of 2026.
        let p = plan(&rules, &f, date!(2024 - 01 - 01)).unwrap();
        assert_eq!(p.data_type, DataType::ContactCustomer);
        assert_eq!(p.step, ContactStep::RestrictUntil(date!(2027 - 01 - 01)));
        assert_eq!(p.items.iter().map(|(i, a, _)| (*i, *a)).collect::<Vec<_>>(), vec![(1, RetentionAction::Erase)]);
        // Once restricted until that day, nothing more until it comes.
        f.restricted_until = Some(date!(2027 - 01 - 01));
        f.items.truncate(1);
        assert_eq!(plan(&rules, &f, date!(2025 - 01 - 01)).unwrap().step, ContactStep::Keep);
        let p = plan(&rules, &f, date!(2027 - 01 - 01)).unwrap();
        assert_eq!(p.step, ContactStep::Apply(RetentionAction::Anonymize));
    }

    #[test]
    fn a_legal_hold_postpones_everything_due() {
        let rules = default_rules();
        let mut f = facts(date!(2015 - 01 - 10));
        f.items = vec![item("n1", DataType::ActivityNote, date!(2015 - 02 - 01))];
        f.held = Some(Some(date!(2030 - 01 - 01)));
        let p = plan(&rules, &f, date!(2026 - 01 - 01)).unwrap();
        assert_eq!(p.step, ContactStep::Held { until: Some(date!(2030 - 01 - 01)) });
        assert!(p.items.is_empty());
        assert_eq!(p.items_held, 1);
    }

    #[test]
    fn a_subscriber_stays_while_the_consent_stands() {
        let rules = default_rules();
        let mut f = facts(date!(2015 - 01 - 10));
        f.had_consent = true;
        f.consent_active = true;
        assert_eq!(plan(&rules, &f, date!(2030 - 01 - 01)).unwrap().step, ContactStep::Keep);
        f.consent_active = false;
        f.consent_ended_on = Some(date!(2026 - 01 - 31));
        assert_eq!(plan(&rules, &f, date!(2026 - 02 - 27)).unwrap().step, ContactStep::Keep);
        assert_eq!(plan(&rules, &f, date!(2026 - 03 - 01)).unwrap().step, ContactStep::Apply(RetentionAction::Erase));
    }

    #[test]
    fn an_erasure_request_erases_at_once_unless_a_duty_keeps_something() {
        let rules = default_rules();
        let mut f = facts(date!(2026 - 01 - 10));
        f.erasure_requested = true;
        f.items =
            vec![item("l1", DataType::ActivityLetter, date!(2026 - 02 - 01)), item("n1", DataType::ActivityNote, date!(2026 - 02 - 01))];
        let p = plan(&rules, &f, date!(2026 - 03 - 01)).unwrap();
        assert_eq!(p.step, ContactStep::RestrictUntil(date!(2033 - 01 - 01)));
        assert_eq!(p.items.len(), 1);
        f.items.remove(0);
        let p = plan(&rules, &f, date!(2026 - 03 - 01)).unwrap();
        assert_eq!(p.step, ContactStep::Apply(RetentionAction::Erase));
    }

    #[test]
    fn records_fall_due_on_their_own_while_the_contact_stays() {
        let rules = default_rules();
        let mut f = facts(date!(2018 - 01 - 10));
        f.has_order = true;
        f.last_activity_on = Some(date!(2026 - 05 - 01));
        f.items = vec![
            item("n-old", DataType::ActivityNote, date!(2019 - 05 - 01)),
            item("o-old", DataType::ActivityOrder, date!(2019 - 05 - 01)),
            item("n-new", DataType::ActivityNote, date!(2026 - 05 - 01)),
        ];
        let p = plan(&rules, &f, date!(2026 - 06 - 01)).unwrap();
        assert_eq!(p.step, ContactStep::Keep);
        assert_eq!(
            p.items.iter().map(|(i, a, _)| (*i, *a)).collect::<Vec<_>>(),
            vec![(0, RetentionAction::Erase), (1, RetentionAction::Anonymize)]
        );
        assert!(p.reason.explain().contains("contact.customer"));
    }
}
