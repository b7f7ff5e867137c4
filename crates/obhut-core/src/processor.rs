//! Processors (Art. 28 GDPR): service providers who process personal data on the
//! controller's behalf, e.g. a call centre. Each is granted purposes, a record scope (a tag)
//! and a validity window under a written contract; its users are confined to that grant.

use serde::{Deserialize, Serialize};
use time::Date;

/// EU and EEA countries: no transfer mechanism is needed for a processor there.
pub const EEA: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT",
    "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
];

/// Transfer mechanisms of Chapter V for processors outside the EEA.
pub const TRANSFER_MECHANISMS: &[&str] =
    &["adequacy_decision", "standard_contractual_clauses", "binding_corporate_rules", "art49_derogation"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Processor {
    /// Our key, e.g. `callcenter_nord`.
    pub key: String,
    pub name: String,
    /// The date the Art. 28(3) contract was signed, `YYYY-MM-DD`.
    pub contract_date: String,
    /// Purpose keys the processor works for; its users may read only under these.
    pub purposes: Vec<String>,
    /// The records in scope: contacts carrying this tag.
    pub scope_tag: String,
    /// First and last day of the grant, `YYYY-MM-DD`; outside it every request is refused.
    pub valid_from: String,
    pub valid_until: String,
    /// ISO 3166-1 alpha-2 country where the processing takes place.
    pub country: String,
    /// For a country outside the EEA: one of [`TRANSFER_MECHANISMS`] and the document.
    #[serde(default)]
    pub transfer_mechanism: Option<String>,
    #[serde(default)]
    pub safeguard_document: Option<String>,
    /// Who to reach at the processor (a role address, not a person's data where avoidable).
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub version: i64,
}

fn date(field: &str, s: &str) -> Result<Date, String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &fmt).map_err(|_| format!("{field}: '{s}' is not a date (YYYY-MM-DD)"))
}

/// Days since 1970-01-01: how the policies compare dates.
pub fn epoch_day(d: Date) -> i64 {
    i64::from(d.to_julian_day()) - 2_440_588
}

impl Processor {
    /// What the registry refuses: a processor without contract, purposes, scope or window,
    /// or outside the EEA without a transfer mechanism and its document.
    pub fn check(&self) -> Result<(), String> {
        let key_ok = !self.key.is_empty()
            && self.key.len() <= 64
            && self.key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            return Err("key: use 1–64 lowercase letters, digits and _".into());
        }
        if self.name.trim().is_empty() || self.name.len() > 200 {
            return Err("name: give the processor's name (at most 200 characters)".into());
        }
        date("contract_date", &self.contract_date)?;
        if self.purposes.is_empty() {
            return Err("purposes: name at least one purpose the processor works for".into());
        }
        if self.scope_tag.trim().is_empty() {
            return Err("scope_tag: name the tag that marks the records in the processor's scope".into());
        }
        let (from, until) = self.window()?;
        if from > until {
            return Err("valid_until: the window ends before it begins".into());
        }
        let c = self.country.trim();
        if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
            return Err("country: an ISO 3166-1 alpha-2 code in capitals, e.g. DE".into());
        }
        if !EEA.contains(&c) {
            match self.transfer_mechanism.as_deref() {
                Some(m) if TRANSFER_MECHANISMS.contains(&m) => {}
                _ => {
                    return Err(format!(
                        "transfer_mechanism: a processor in {c} (outside the EEA) needs one of {}",
                        TRANSFER_MECHANISMS.join(", ")
                    ))
                }
            }
            if self.safeguard_document.as_deref().is_none_or(|d| d.trim().is_empty()) {
                return Err("safeguard_document: name the document of the transfer safeguard".into());
            }
        }
        Ok(())
    }

    /// The grant's first and last day.
    pub fn window(&self) -> Result<(Date, Date), String> {
        Ok((date("valid_from", &self.valid_from)?, date("valid_until", &self.valid_until)?))
    }

    pub fn is_valid_on(&self, day: Date) -> bool {
        self.window().is_ok_and(|(a, b)| a <= day && day <= b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample() -> Processor {
        Processor {
            key: "callcenter".into(),
            name: "Callcenter Nord GmbH".into(),
            contract_date: "2026-01-15".into(),
            purposes: vec!["phone_marketing".into()],
            scope_tag: "callcenter".into(),
            valid_from: "2026-02-01".into(),
            valid_until: "2026-12-31".into(),
            country: "DE".into(),
            transfer_mechanism: None,
            safeguard_document: None,
            contact: "dpo@callcenter.example".into(),
            version: 0,
        }
    }

    #[test]
    fn a_complete_processor_passes_and_each_gap_is_named() {
        assert_eq!(sample().check(), Ok(()));
        let cases: Vec<(fn(&mut Processor), &str)> = vec![
            (|p| p.purposes.clear(), "purposes"),
            (|p| p.scope_tag.clear(), "scope_tag"),
            (|p| p.contract_date = "15.01.2026".into(), "contract_date"),
            (|p| p.valid_until = "2026-01-01".into(), "valid_until"),
            (|p| p.country = "US".into(), "transfer_mechanism"),
            (
                |p| {
                    p.country = "US".into();
                    p.transfer_mechanism = Some("standard_contractual_clauses".into());
                },
                "safeguard_document",
            ),
        ];
        for (change, field) in cases {
            let mut p = sample();
            change(&mut p);
            let e = p.check().err().unwrap_or_default();
            assert!(e.starts_with(field), "{field}: {e}");
        }
    }

    #[test]
    fn the_window_includes_both_ends() {
        let p = sample();
        assert!(p.is_valid_on(time::macros::date!(2026 - 02 - 01)));
        assert!(p.is_valid_on(time::macros::date!(2026 - 12 - 31)));
        assert!(!p.is_valid_on(time::macros::date!(2027 - 01 - 01)));
        assert_eq!(epoch_day(time::macros::date!(1970 - 01 - 02)), 1);
    }
}
