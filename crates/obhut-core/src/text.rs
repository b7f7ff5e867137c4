//! Bounded, trimmed text values.

use crate::validation::ValidationErrors;

/// Trims `value`; `None` for blank input. Records an error when longer than `max` characters
/// or when it holds control characters other than line breaks and tabs (if `multiline`).
pub fn optional_text(errors: &mut ValidationErrors, field: &str, value: Option<&str>, max: usize, multiline: bool) -> Option<String> {
    let v = value?.trim();
    if v.is_empty() {
        return None;
    }
    if v.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
        return None;
    }
    let bad = v.chars().any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')));
    if bad {
        errors.add(field, "must not contain control characters");
        return None;
    }
    Some(v.to_string())
}

/// Like [`optional_text`] but records "is required" for blank input.
pub fn required_text(errors: &mut ValidationErrors, field: &str, value: Option<&str>, max: usize) -> String {
    match optional_text(errors, field, value, max, false) {
        Some(v) => v,
        None => {
            if value.map(|v| v.trim().is_empty()).unwrap_or(true) {
                errors.add(field, "is required");
            }
            String::new()
        }
    }
}

/// Tags: 1–40 characters of letters, digits, space, `-`, `_`, `.`; at most 20; deduplicated, lower-cased.
pub fn tags(errors: &mut ValidationErrors, field: &str, values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if values.len() > 20 {
        errors.add(field, "at most 20 tags");
        return out;
    }
    for (i, t) in values.iter().enumerate() {
        let t = t.trim().to_lowercase();
        if t.is_empty() {
            continue;
        }
        let ok = t.chars().count() <= 40 && t.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'));
        if !ok {
            errors.add(format!("{field}[{i}]"), "a tag has 1-40 letters, digits, spaces, '-', '_' or '.'");
            continue;
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Parses an ISO date (`YYYY-MM-DD`), also accepting the German `TT.MM.JJJJ`.
pub fn optional_date(errors: &mut ValidationErrors, field: &str, value: Option<&str>) -> Option<time::Date> {
    let v = value?.trim();
    if v.is_empty() {
        return None;
    }
    let iso = time::macros::format_description!("[year]-[month]-[day]");
    let de = time::macros::format_description!("[day].[month].[year]");
    match time::Date::parse(v, &iso).or_else(|_| time::Date::parse(v, &de)) {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(field, "must be a date as YYYY-MM-DD");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_long_text_is_an_error_naming_the_field() {
        let mut e = ValidationErrors::new();
        let long = "x".repeat(101);
        assert_eq!(optional_text(&mut e, "given_name", Some(&long), 100, false), None);
        assert_eq!(e.first_for("given_name"), Some("must be at most 100 characters"));
    }

    #[test]
    fn blank_required_text_is_required() {
        let mut e = ValidationErrors::new();
        required_text(&mut e, "name", Some("   "), 10);
        assert_eq!(e.first_for("name"), Some("is required"));
    }

    #[test]
    fn tags_are_normalised_and_deduplicated() {
        let mut e = ValidationErrors::new();
        let t = tags(&mut e, "tags", &["VIP".into(), "vip".into(), " Messe 2026 ".into()]);
        assert_eq!(t, vec!["vip".to_string(), "messe 2026".to_string()]);
        assert!(e.is_empty());
    }

    #[test]
    fn german_dates_are_read() {
        let mut e = ValidationErrors::new();
        let d = optional_date(&mut e, "birthday", Some("03.10.1990"));
        assert_eq!(d, Some(time::macros::date!(1990 - 10 - 03)));
        assert!(optional_date(&mut e, "birthday", Some("31.02.1990")).is_none());
        assert_eq!(e.first_for("birthday"), Some("must be a date as YYYY-MM-DD"));
    }
}
