//! How the UI writes times, dates and amounts. Times are shown and entered in German
//! time (CET/CEST, switching at 01:00 UTC on the last Sundays of March and October, as
//! everywhere in the EU); the database keeps UTC.

use crate::i18n::Lang;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

fn last_sunday(year: i32, month: Month) -> Option<Date> {
    let mut d = Date::from_calendar_date(year, month, time::util::days_in_month(month, year)).ok()?;
    while d.weekday() != Weekday::Sunday {
        d = d.previous_day()?;
    }
    Some(d)
}

/// Whether summer time is in force at the UTC instant `t`.
fn is_summer_time(t: OffsetDateTime) -> bool {
    let t = t.to_offset(UtcOffset::UTC);
    let year = t.year();
    let (Some(start), Some(end)) = (last_sunday(year, Month::March), last_sunday(year, Month::October)) else { return false };
    let one = Time::from_hms(1, 0, 0).unwrap_or(Time::MIDNIGHT);
    let start = PrimitiveDateTime::new(start, one).assume_utc();
    let end = PrimitiveDateTime::new(end, one).assume_utc();
    t >= start && t < end
}

fn local_offset(t: OffsetDateTime) -> UtcOffset {
    let hours = if is_summer_time(t) { 2 } else { 1 };
    UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC)
}

pub fn local(ms: i64) -> OffsetDateTime {
    let t = obhut_core::clock::from_millis(ms);
    t.to_offset(local_offset(t))
}

/// The first instant of a day in German time, in milliseconds.
pub fn day_start_ms(d: Date) -> i64 {
    let midnight = PrimitiveDateTime::new(d, Time::MIDNIGHT);
    midnight.assume_offset(german_offset(midnight)).unix_timestamp() * 1000
}

/// The offset of German time at a wall-clock time: winter time unless the time, read as
/// summer time, falls into summer time.
fn german_offset(p: PrimitiveDateTime) -> UtcOffset {
    let summer = UtcOffset::from_hms(2, 0, 0).unwrap_or(UtcOffset::UTC);
    let winter = UtcOffset::from_hms(1, 0, 0).unwrap_or(UtcOffset::UTC);
    if is_summer_time(p.assume_offset(summer)) {
        summer
    } else {
        winter
    }
}

/// "01.03.2026 14:30" (de) or "2026-03-01 14:30" (en), in German time.
pub fn datetime(lang: Lang, ms: i64) -> String {
    let t = local(ms);
    let (h, m) = (t.hour(), t.minute());
    match lang {
        Lang::De => format!("{:02}.{:02}.{} {h:02}:{m:02}", t.day(), u8::from(t.month()), t.year()),
        Lang::En => format!("{}-{:02}-{:02} {h:02}:{m:02}", t.year(), u8::from(t.month()), t.day()),
    }
}

pub fn date(lang: Lang, d: Date) -> String {
    match lang {
        Lang::De => format!("{:02}.{:02}.{}", d.day(), u8::from(d.month()), d.year()),
        Lang::En => format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
    }
}

/// The value of an `<input type="datetime-local">` for a stored time.
pub fn input_datetime(ms: i64) -> String {
    let t = local(ms);
    format!("{}-{:02}-{:02}T{:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

/// Reads `YYYY-MM-DDTHH:MM` from a form as German time and returns RFC 3339 for the domain;
/// anything else is passed on unchanged, so the domain names the problem.
pub fn from_input_datetime(s: &str) -> String {
    let s = s.trim();
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let Ok(p) = PrimitiveDateTime::parse(s, &fmt) else { return s.to_string() };
    p.assume_offset(german_offset(p)).format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| s.to_string())
}

/// The current time for a form's default value, rounded down to the minute.
pub fn input_now(now_ms: i64) -> String {
    input_datetime(now_ms - now_ms.rem_euclid(60_000))
}

fn group(int: i64, sep: char) -> String {
    let digits = int.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// "12.500,00 €" (de) or "€12,500.00" (en); other currencies by their code.
pub fn amount(lang: Lang, cents: i64, currency: &str) -> String {
    let neg = if cents < 0 { "-" } else { "" };
    let (units, rest) = (cents.abs() / 100, cents.abs() % 100);
    match (lang, currency) {
        (Lang::De, "EUR") => format!("{neg}{},{rest:02} €", group(units, '.')),
        (Lang::De, c) => format!("{neg}{},{rest:02} {c}", group(units, '.')),
        (Lang::En, "EUR") => format!("{neg}€{}.{rest:02}", group(units, ',')),
        (Lang::En, c) => format!("{neg}{c} {}.{rest:02}", group(units, ',')),
    }
}

/// The amount as the form shows it for editing: "12500.00".
pub fn amount_input(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// RFC 3339 for a stored millisecond time.
pub fn rfc3339(ms: i64) -> String {
    obhut_core::clock::from_millis(ms).format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// The region whose numbers are shown in national form: Obhut serves firms in Germany first,
/// so a German number reads `0171 2641999` and a French one `+33 1 23 45 67 89`.
pub const HOME_REGION: &str = "DE";

/// A phone number on a page: E.164 for the `tel:` link, the readable form for the eye.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownPhone {
    pub e164: String,
    pub shown: String,
}

/// A stored phone number as a page shows it.
pub fn phone(p: &obhut_core::phone::PhoneNumber) -> ShownPhone {
    ShownPhone { e164: p.as_str().to_string(), shown: p.display_in(HOME_REGION) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_german_midnight_in_summer_and_winter() {
        let utc = |d: Date| obhut_core::clock::from_millis(day_start_ms(d));
        let summer = utc(time::macros::date!(2026 - 07 - 01));
        assert_eq!((summer.day(), summer.hour()), (30, 22), "CEST: the day before at 22:00 UTC");
        let winter = utc(time::macros::date!(2026 - 01 - 15));
        assert_eq!((winter.day(), winter.hour()), (14, 23), "CET: the day before at 23:00 UTC");
        assert_eq!(from_input_datetime("2026-07-01T00:00"), "2026-07-01T00:00:00+02:00");
    }

    #[test]
    fn phone_numbers_read_as_at_home_and_link_in_e164() {
        let shown = |raw: &str| obhut_core::phone::PhoneNumber::parse(raw).map(|p| phone(&p)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(shown("+491712641999"), ShownPhone { e164: "+491712641999".into(), shown: "0171 2641999".into() });
        assert_eq!(shown("030 1234567").shown, "030 1234567");
        assert_eq!(shown("+33 1 23 45 67 89"), ShownPhone { e164: "+33123456789".into(), shown: "+33 1 23 45 67 89".into() });
    }

    fn ms(s: &str) -> i64 {
        let t = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap();
        obhut_core::clock::to_millis(t)
    }

    #[test]
    fn times_are_shown_in_german_time_with_summer_time() {
        assert_eq!(datetime(Lang::De, ms("2026-01-15T12:00:00Z")), "15.01.2026 13:00");
        assert_eq!(datetime(Lang::De, ms("2026-07-15T12:00:00Z")), "15.07.2026 14:00");
        assert_eq!(datetime(Lang::En, ms("2026-07-15T12:00:00Z")), "2026-07-15 14:00");
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(datetime(Lang::De, ms("2026-03-29T00:59:00Z")), "29.03.2026 01:59");
        assert_eq!(datetime(Lang::De, ms("2026-03-29T01:00:00Z")), "29.03.2026 03:00");
        assert_eq!(datetime(Lang::De, ms("2026-10-25T00:59:00Z")), "25.10.2026 02:59");
        assert_eq!(datetime(Lang::De, ms("2026-10-25T01:00:00Z")), "25.10.2026 02:00");
    }

    #[test]
    fn form_times_round_trip() {
        assert_eq!(from_input_datetime("2026-07-15T14:00"), "2026-07-15T14:00:00+02:00");
        assert_eq!(from_input_datetime("2026-01-15T13:00"), "2026-01-15T13:00:00+01:00");
        assert_eq!(input_datetime(ms("2026-07-15T12:00:00Z")), "2026-07-15T14:00");
        assert_eq!(from_input_datetime("gestern"), "gestern");
    }

    #[test]
    fn amounts_are_grouped_per_language() {
        assert_eq!(amount(Lang::De, 1_250_050, "EUR"), "12.500,50 €");
        assert_eq!(amount(Lang::En, 1_250_050, "EUR"), "€12,500.50");
        assert_eq!(amount(Lang::De, 99, "USD"), "0,99 USD");
        assert_eq!(amount(Lang::En, 100_000_000, "CHF"), "CHF 1,000,000.00");
        assert_eq!(amount_input(1_250_050), "12500.50");
    }
}
