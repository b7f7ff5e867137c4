//! Values as spreadsheets and address books write them, brought into the form validation
//! expects: kinds, languages, birthdays and tags. What cannot be recognised is left as given,
//! for validation to report.

use crate::search::fold;

/// A header or value folded for comparison: lower case, umlauts spelled out, only letters and digits.
pub(crate) fn normalize_header(h: &str) -> String {
    fold(h).chars().filter(char::is_ascii_alphanumeric).collect()
}

/// Customer kinds as spreadsheets write them ("Privatkunde", "Firmenkunde"), to b2c or b2b.
pub(crate) fn normalize_kind(v: &str) -> String {
    match normalize_header(v).as_str() {
        "b2c" | "privat" | "privatkunde" | "privatperson" | "privatkundin" | "verbraucher" | "consumer" | "private" => "b2c".into(),
        "b2b" | "geschaeftlich" | "geschaeftskunde" | "geschaeftskundin" | "firmenkunde" | "gewerblich" | "gewerbekunde" | "firma"
        | "business" | "company" => "b2b".into(),
        _ => v.to_string(),
    }
}

/// Language names as spreadsheets write them, to ISO 639-1; anything else is left for validation.
pub(crate) fn normalize_language(v: &str) -> String {
    let code = match normalize_header(v).as_str() {
        "deutsch" | "german" => "de",
        "englisch" | "english" => "en",
        "franzoesisch" | "french" | "francais" => "fr",
        "niederlaendisch" | "dutch" | "nederlands" => "nl",
        "italienisch" | "italian" | "italiano" => "it",
        "spanisch" | "spanish" | "espanol" => "es",
        "polnisch" | "polish" | "polski" => "pl",
        "tuerkisch" | "turkish" | "turkce" => "tr",
        "daenisch" | "danish" | "dansk" => "da",
        "tschechisch" | "czech" | "cestina" => "cs",
        _ => return v.trim().to_string(),
    };
    code.into()
}

/// A birthday as ISO `YYYY-MM-DD` where its form is known (`3.10.1990`, US `10/3/1990`,
/// `19901003`, `1990-10-03 00:00:00`); `None` for blanks and Outlook's `0.0.00`; else as given,
/// for validation to report.
pub(crate) fn normalize_birthday(v: &str) -> Option<String> {
    let v = v.trim();
    let mut digits = v.chars().filter(char::is_ascii_digit).peekable();
    if v.is_empty() || (digits.peek().is_some() && digits.all(|c| c == '0')) {
        return None;
    }
    let iso = |y: &str, m: &str, d: &str| -> Option<String> {
        let (y, m, d) = (y.parse::<u32>().ok()?, m.parse::<u32>().ok()?, d.parse::<u32>().ok()?);
        Some(format!("{y:04}-{m:02}-{d:02}"))
    };
    let parts: Vec<&str> = v.split(['.', '/', '-']).map(str::trim).collect();
    let date_part = v.split([' ', 'T']).next().unwrap_or(v);
    let found = if v.len() == 8 && v.chars().all(|c| c.is_ascii_digit()) {
        iso(&v[..4], &v[4..6], &v[6..])
    } else if date_part.len() == 10 && date_part.as_bytes().get(4) == Some(&b'-') {
        Some(date_part.to_string())
    } else if let [d, m, y] = parts.as_slice() {
        match (v.contains('.'), v.contains('/')) {
            (true, false) if y.len() == 4 => iso(y, m, d),
            // Outlook in English writes month/day/year.
            (false, true) if y.len() == 4 => iso(y, d, m),
            _ => None,
        }
    } else {
        None
    };
    Some(found.unwrap_or_else(|| v.to_string()))
}

/// Tags from one cell: split at `,` `|` `;` (and Google's `:::`), Google's system groups
/// (`* myContacts`) dropped, characters a tag may not hold turned into spaces.
pub(crate) fn split_tags(v: &str) -> Vec<String> {
    v.split(":::").flat_map(|p| p.split([',', '|', ';'])).map(str::trim).filter(|p| !p.starts_with('*')).filter_map(tidy_tag).collect()
}

pub(crate) fn tidy_tag(t: &str) -> Option<String> {
    let cleaned: String = t.chars().map(|c| if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.') { c } else { ' ' }).collect();
    let tag: String = cleaned.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(40).collect();
    let tag = tag.trim().to_string();
    (!tag.is_empty()).then_some(tag)
}
