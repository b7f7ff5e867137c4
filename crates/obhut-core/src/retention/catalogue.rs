//! The catalogue: the rules a new installation starts with, and the check that a catalogue
//! holds exactly one valid rule per data type.

use super::rule::{DataType, Period, RetentionAction, RetentionRule};

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

pub(super) const fn years(y: u16) -> Period {
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
