//! Deals (opportunities) moving through configurable pipeline stages.

use crate::ids::{ContactId, OrganizationId, StageId, UserId};
use crate::text::{optional_date, required_text};
use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};

/// What reaching a stage means for a deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StageOutcome {
    Open,
    Won,
    Lost,
}

impl StageOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Won => "won",
            Self::Lost => "lost",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "open" => Ok(Self::Open),
            "won" => Ok(Self::Won),
            "lost" => Ok(Self::Lost),
            _ => Err("must be open, won or lost".into()),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub position: Option<i64>,
    /// Win probability in percent, 0–100.
    #[serde(default)]
    pub probability: Option<i64>,
    /// open, won or lost.
    #[serde(default)]
    pub outcome: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageDraft {
    pub name: String,
    pub position: i64,
    pub probability: i64,
    pub outcome: StageOutcome,
}

impl StageInput {
    pub fn validate(&self) -> Result<StageDraft, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = required_text(&mut e, "name", self.name.as_deref(), 60);
        let probability = self.probability.unwrap_or(10);
        if !(0..=100).contains(&probability) {
            e.add("probability", "must be between 0 and 100");
        }
        let position = self.position.unwrap_or(100);
        if !(0..=10_000).contains(&position) {
            e.add("position", "must be between 0 and 10000");
        }
        let outcome = match self.outcome.as_deref() {
            None => StageOutcome::Open,
            Some(o) => StageOutcome::parse(o).map_err(|m| e.add("outcome", m)).unwrap_or(StageOutcome::Open),
        };
        e.into_result(StageDraft { name, position, probability, outcome })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealInput {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub stage_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub organization_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub contact_id: Option<String>,
    /// Amount as a decimal string in the currency's major unit, e.g. "12500.00".
    #[serde(default)]
    pub amount: Option<String>,
    /// ISO 4217, default EUR.
    #[serde(default)]
    pub currency: Option<String>,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub expected_close_on: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub owner_id: Option<String>,
    /// standard or hr; decides who may reach the record where it is about no contact (a
    /// record about a contact takes the contact's class).
    #[serde(default)]
    pub record_class: Option<String>,
    /// The team the record belongs to where it is about no contact; an empty string clears it.
    #[serde(default)]
    pub team: Option<String>,
    /// Why a won or lost deal went that way: won price, product, relationship, service, other;
    /// lost price, competitor, no_budget, no_decision, timing, requirements, other. An empty
    /// string clears it; a deal in an open stage has none.
    #[serde(default)]
    pub close_reason: Option<String>,
}

/// The reasons a deal is won.
pub const WON_REASONS: &[&str] = &["price", "product", "relationship", "service", "other"];
/// The reasons a deal is lost.
pub const LOST_REASONS: &[&str] = &["price", "competitor", "no_budget", "no_decision", "timing", "requirements", "other"];

/// Checks a close reason against the outcome of the stage the deal is in (`None` for an open
/// stage: a reason there is refused).
pub fn check_close_reason(reason: Option<&str>, outcome: StageOutcome) -> Result<(), String> {
    let Some(r) = reason else { return Ok(()) };
    let list = match outcome {
        StageOutcome::Won => WON_REASONS,
        StageOutcome::Lost => LOST_REASONS,
        StageOutcome::Open => return Err("only a won or lost deal has a reason".into()),
    };
    if list.contains(&r) {
        Ok(())
    } else {
        Err(format!("must be one of {}", list.join(", ")))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DealDraft {
    pub title: String,
    pub stage_id: Option<StageId>,
    pub organization_id: Option<OrganizationId>,
    pub contact_id: Option<ContactId>,
    pub amount_cents: Option<i64>,
    pub currency: String,
    pub expected_close_on: Option<time::Date>,
    pub owner_id: Option<UserId>,
    pub record_class: crate::contact::RecordClass,
    pub team: Option<String>,
    pub close_reason: Option<String>,
}

/// Reads "12500", "12500.5", "12.500,50" (German) or "12,500.50" into cents.
pub fn parse_amount(s: &str) -> Result<i64, String> {
    let t: String = s.trim().chars().filter(|c| !c.is_whitespace() && *c != '€').collect();
    let err = || format!("'{}' is not an amount such as 12500.00", crate::email::shorten(s));
    let (int, frac) = match (t.rfind(','), t.rfind('.')) {
        (Some(c), Some(d)) if c > d => (t[..c].replace('.', ""), t[c + 1..].to_string()),
        (Some(_), Some(d)) => (t[..d].replace(',', ""), t[d + 1..].to_string()),
        (Some(c), None) if t.len() - c - 1 <= 2 => (t[..c].to_string(), t[c + 1..].to_string()),
        (Some(_), None) => (t.replace(',', ""), String::new()),
        (None, Some(d)) => (t[..d].to_string(), t[d + 1..].to_string()),
        (None, None) => (t.clone(), String::new()),
    };
    if int.is_empty() || !int.chars().all(|c| c.is_ascii_digit()) || frac.len() > 2 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(err());
    }
    let units: i64 = int.parse().map_err(|_| err())?;
    let cents: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| err())? };
    units.checked_mul(100).and_then(|u| u.checked_add(cents)).filter(|v| *v <= 1_000_000_000_000).ok_or_else(err)
}

impl DealInput {
    pub fn merge(mut self, patch: DealInput) -> Self {
        macro_rules! take {
            ($($f:ident),*) => { $( if patch.$f.is_some() { self.$f = patch.$f; } )* };
        }
        take!(title, stage_id, organization_id, contact_id, amount, currency, expected_close_on, owner_id, record_class, team, close_reason);
        self
    }

    pub fn from_draft(d: &DealDraft) -> Self {
        Self {
            title: Some(d.title.clone()),
            stage_id: d.stage_id.map(|s| s.to_string()),
            organization_id: d.organization_id.map(|s| s.to_string()),
            contact_id: d.contact_id.map(|s| s.to_string()),
            amount: d.amount_cents.map(|c| format!("{}.{:02}", c / 100, c % 100)),
            currency: Some(d.currency.clone()),
            expected_close_on: d.expected_close_on.map(|d| d.to_string()),
            owner_id: d.owner_id.map(|s| s.to_string()),
            record_class: Some(d.record_class.as_str().into()),
            team: d.team.clone(),
            close_reason: d.close_reason.clone(),
        }
    }

    pub fn validate(&self) -> Result<DealDraft, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let title = required_text(&mut e, "title", self.title.as_deref(), 200);
        let id = |e: &mut ValidationErrors, f: &str, v: &Option<String>| -> Option<uuid::Uuid> {
            let v = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
            uuid::Uuid::parse_str(v).map_err(|_| e.add(f, "is not a valid id")).ok()
        };
        let stage_id = id(&mut e, "stage_id", &self.stage_id).map(StageId);
        let organization_id = id(&mut e, "organization_id", &self.organization_id).map(OrganizationId);
        let contact_id = id(&mut e, "contact_id", &self.contact_id).map(ContactId);
        let owner_id = id(&mut e, "owner_id", &self.owner_id).map(UserId);
        let amount_cents = match self.amount.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(a) => parse_amount(a).map_err(|m| e.add("amount", m)).ok(),
        };
        let currency = self.currency.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("EUR").to_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            e.add("currency", "must be a three-letter currency code such as EUR");
        }
        let expected_close_on = optional_date(&mut e, "expected_close_on", self.expected_close_on.as_deref());
        if organization_id.is_none() && contact_id.is_none() && e.is_empty() {
            e.add("organization_id", "a deal belongs to an organization or a contact");
        }
        let (record_class, team) = crate::contact::class_and_team(&mut e, self.record_class.as_deref(), self.team.as_deref());
        let close_reason = self.close_reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
        if close_reason.as_deref().is_some_and(|r| !WON_REASONS.contains(&r) && !LOST_REASONS.contains(&r)) {
            e.add("close_reason", format!("must be one of {}", LOST_REASONS.iter().chain(WON_REASONS.iter().skip(1)).copied().collect::<Vec<_>>().join(", ")));
        }
        e.into_result(DealDraft {
            close_reason,
            title,
            stage_id,
            organization_id,
            contact_id,
            amount_cents,
            currency,
            expected_close_on,
            owner_id,
            record_class,
            team,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_german_and_english_notation() {
        assert_eq!(parse_amount("12.500,50"), Ok(1_250_050));
        assert_eq!(parse_amount("12,500.50"), Ok(1_250_050));
        assert_eq!(parse_amount("99,9"), Ok(9_990));
        assert_eq!(parse_amount("1000"), Ok(100_000));
        assert_eq!(parse_amount("1.000.000"), Err("'1.000.000' is not an amount such as 12500.00".into()));
        assert!(parse_amount("zehn").is_err());
        assert!(parse_amount("-5").is_err());
    }

    #[test]
    fn a_deal_needs_a_title_and_an_owner_record() {
        let e = DealInput::default().validate().err().unwrap_or_default();
        assert!(e.first_for("title").is_some());
    }
}
