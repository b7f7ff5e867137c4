//! Data subject requests as cases: their kinds, the steps they go through, and the deadlines
//! of Art. 12(3) GDPR, which cannot slip.
//!
//! The deadline is one month after receipt: the same day number in the next month, or that
//! month's last day where it has no such day (31 January → 28/29 February). It may be extended
//! once by up to two further months, with a reason, and only while the first deadline has not
//! passed (the person must be told before it).

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// What the person asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    /// Art. 15.
    Access,
    /// Art. 16.
    Rectification,
    /// Art. 17.
    Erasure,
    /// Art. 18.
    Restriction,
    /// Art. 20.
    Portability,
    /// Art. 21.
    Objection,
    /// Art. 7(3).
    Withdrawal,
}

impl CaseKind {
    pub const ALL: [CaseKind; 7] =
        [Self::Access, Self::Rectification, Self::Erasure, Self::Restriction, Self::Portability, Self::Objection, Self::Withdrawal];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Rectification => "rectification",
            Self::Erasure => "erasure",
            Self::Restriction => "restriction",
            Self::Portability => "portability",
            Self::Objection => "objection",
            Self::Withdrawal => "withdrawal",
        }
    }
    /// The article of the GDPR the request rests on.
    pub fn article(self) -> &'static str {
        match self {
            Self::Access => "Art. 15",
            Self::Rectification => "Art. 16",
            Self::Erasure => "Art. 17",
            Self::Restriction => "Art. 18",
            Self::Portability => "Art. 20",
            Self::Objection => "Art. 21",
            Self::Withdrawal => "Art. 7(3)",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().to_lowercase();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| "must be one of access, rectification, erasure, restriction, portability, objection, withdrawal".to_string())
    }
}

/// How the request reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReceivedVia {
    Email,
    Letter,
    Phone,
    WebForm,
    InPerson,
}

impl ReceivedVia {
    pub const ALL: [ReceivedVia; 5] = [Self::Email, Self::Letter, Self::Phone, Self::WebForm, Self::InPerson];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Letter => "letter",
            Self::Phone => "phone",
            Self::WebForm => "web_form",
            Self::InPerson => "in_person",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().to_lowercase();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| "must be one of email, letter, phone, web_form, in_person".to_string())
    }
}

/// How the requester's identity was checked (Art. 12(6)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentityCheck {
    /// The request came from an address or number the contact is known by.
    KnownIdentity,
    /// A code sent to the contact's known email address was returned.
    EmailCode,
    /// Checked by hand (for example an ID document shown): the note says how.
    Manual,
}

impl IdentityCheck {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KnownIdentity => "known_identity",
            Self::EmailCode => "email_code",
            Self::Manual => "manual",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_lowercase().as_str() {
            "known_identity" | "match" => Ok(Self::KnownIdentity),
            "email_code" => Ok(Self::EmailCode),
            "manual" => Ok(Self::Manual),
            _ => Err("must be one of known_identity, email_code, manual".into()),
        }
    }
}

/// Where a case stands. Open: received, verified, extended. Closed: the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Received; the identity is not yet confirmed.
    Received,
    /// The identity is confirmed; the request is being worked on.
    InProgress,
    Completed,
    /// Refused (Art. 12(5), or identity not confirmed), with the reason and the right to complain.
    Rejected,
    /// Withdrawn by the person, or entered by mistake.
    Cancelled,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_lowercase().as_str() {
            "received" => Ok(Self::Received),
            "in_progress" => Ok(Self::InProgress),
            "completed" => Ok(Self::Completed),
            "rejected" => Ok(Self::Rejected),
            "cancelled" => Ok(Self::Cancelled),
            _ => Err("must be one of received, in_progress, completed, rejected, cancelled".into()),
        }
    }
    pub fn is_open(self) -> bool {
        matches!(self, Self::Received | Self::InProgress)
    }
}

/// `months` calendar months after `d`: the same day number, or the target month's last day.
pub fn add_months(d: Date, months: u32) -> Date {
    let zero_based = d.month() as i32 - 1 + months as i32;
    let year = d.year() + zero_based.div_euclid(12);
    let month = Month::try_from((zero_based.rem_euclid(12) + 1) as u8).unwrap_or(Month::December);
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, d.day().min(last)).unwrap_or(d)
}

/// The deadline of Art. 12(3): one month after receipt.
pub fn due_date(received: Date) -> Date {
    add_months(received, 1)
}

/// The latest deadline an extension may set: two further months after the first one's month
/// (counted from receipt, so 31 January gives 30 April, not 28 April).
pub fn latest_extension(received: Date) -> Date {
    add_months(received, 3)
}

/// Checks an extension asked on `today` to `new_due` for a request received on `received`
/// whose current deadline is `due`: only once, with a reason, before the first deadline has
/// passed, with the person told, and by at most two further months.
pub fn check_extension(received: Date, due: Date, already_extended: bool, today: Date, new_due: Date) -> Result<(), String> {
    if already_extended {
        return Err("the deadline was already extended; Art. 12(3) allows one extension of up to two months".into());
    }
    if today > due {
        return Err(format!("the deadline of {due} has passed: an extension had to be sent to the person before it"));
    }
    if new_due <= due {
        return Err(format!("the new deadline must lie after the current one ({due})"));
    }
    let latest = latest_extension(received);
    if new_due > latest {
        return Err(format!("at most two further months: the latest deadline is {latest}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn one_month_is_the_same_day_number_or_the_last_day() {
        for (received, due) in [
            (date!(2026 - 01 - 15), date!(2026 - 02 - 15)),
            (date!(2026 - 01 - 31), date!(2026 - 02 - 28)),
            (date!(2028 - 01 - 31), date!(2028 - 02 - 29)),
            (date!(2026 - 03 - 31), date!(2026 - 04 - 30)),
            (date!(2026 - 12 - 31), date!(2027 - 01 - 31)),
            (date!(2026 - 12 - 01), date!(2027 - 01 - 01)),
            (date!(2026 - 02 - 28), date!(2026 - 03 - 28)),
        ] {
            assert_eq!(due_date(received), due, "received {received}");
        }
    }

    #[test]
    fn extensions_are_bounded_and_timely() {
        let received = date!(2026 - 01 - 31);
        let due = due_date(received);
        assert_eq!(latest_extension(received), date!(2026 - 04 - 30));
        assert!(check_extension(received, due, false, date!(2026 - 02 - 20), date!(2026 - 04 - 30)).is_ok());
        assert!(check_extension(received, due, false, date!(2026 - 02 - 28), date!(2026 - 03 - 31)).is_ok(), "on the last day still");
        assert!(check_extension(received, due, false, date!(2026 - 03 - 01), date!(2026 - 04 - 30)).is_err(), "after the deadline");
        assert!(check_extension(received, due, false, date!(2026 - 02 - 20), date!(2026 - 05 - 01)).is_err(), "beyond two months");
        assert!(check_extension(received, due, true, date!(2026 - 02 - 20), date!(2026 - 04 - 30)).is_err(), "only once");
        assert!(check_extension(received, due, false, date!(2026 - 02 - 20), due).is_err(), "not earlier");
    }

    #[test]
    fn names_round_trip() {
        for k in CaseKind::ALL {
            assert_eq!(CaseKind::parse(k.as_str()), Ok(k));
        }
        for v in ReceivedVia::ALL {
            assert_eq!(ReceivedVia::parse(v.as_str()), Ok(v));
        }
        assert!(CaseKind::parse("delete_everything").is_err());
    }
}
