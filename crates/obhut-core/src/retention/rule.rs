//! A deletion rule and its parts: the data type it governs, the start point, the period and
//! the action.

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
