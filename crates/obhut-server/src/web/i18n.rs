//! Translations: `i18n/de.ftl` and `i18n/en.ftl` hold `key = value` lines, parsed once.
//! The language is the user's setting, else the browser's `Accept-Language`, else German.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::OnceLock;

const DE: &str = include_str!("../../i18n/de.ftl");
const EN: &str = include_str!("../../i18n/en.ftl");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    De,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Self::De => "de",
            Self::En => "en",
        }
    }

    /// "de", "de-AT", "EN_us" and the like; `None` for other languages.
    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        match primary.as_str() {
            "de" => Some(Self::De),
            "en" => Some(Self::En),
            _ => None,
        }
    }
}

/// Picks the supported language the browser ranks highest (`de-DE,de;q=0.9,en;q=0.8`).
/// German when the header is missing or names neither.
pub fn negotiate(accept_language: Option<&str>) -> Lang {
    let Some(header) = accept_language else { return Lang::De };
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',') {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("");
        let q = pieces.filter_map(|p| p.trim().strip_prefix("q=")).next().map(|q| q.trim().parse::<f32>().unwrap_or(0.0)).unwrap_or(1.0);
        let Some(lang) = Lang::parse(tag) else { continue };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l).unwrap_or_default()
}

/// Reads `key = value` lines; `#` starts a comment line.
pub(crate) fn parse_ftl(src: &'static str) -> HashMap<&'static str, &'static str> {
    src.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

fn table(lang: Lang) -> &'static HashMap<&'static str, &'static str> {
    static TABLES: OnceLock<[HashMap<&'static str, &'static str>; 2]> = OnceLock::new();
    let [de, en] = TABLES.get_or_init(|| [parse_ftl(DE), parse_ftl(EN)]);
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

/// The text for `key`; the key itself when it is missing (a test keeps that from happening).
pub fn t(lang: Lang, key: &str) -> &str {
    table(lang).get(key).copied().unwrap_or(key)
}

/// The translator every template gets as `tr`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Self { lang }
    }
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        t(self.lang, key)
    }
    /// The text for `key` with `{}` replaced by `arg`.
    pub fn f(&self, key: &str, arg: impl Display) -> String {
        t(self.lang, key).replacen("{}", &arg.to_string(), 1)
    }
    /// The label of an enum value: `prefix.value`, e.g. `ticket_status.open`.
    pub fn v(&self, prefix: &str, value: impl Display) -> String {
        let key = format!("{prefix}.{value}");
        match table(self.lang).get(key.as_str()) {
            Some(s) => (*s).to_string(),
            None => value.to_string(),
        }
    }
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
    /// A validation message of the domain (written in English) in the user's language.
    pub fn message(&self, msg: &str) -> String {
        message(self.lang, msg)
    }
}

/// The domain's validation messages are English sentences; German users get a translation of
/// the known ones (the echoed input value is dropped: it stands in the field next to it).
pub fn message(lang: Lang, msg: &str) -> String {
    if lang == Lang::En {
        return msg.to_string();
    }
    let key = message_key(msg);
    match key {
        Some(("val.max_chars", n)) => t(lang, "val.max_chars").replacen("{}", n, 1),
        Some((k, _)) => t(lang, k).to_string(),
        None => msg.to_string(),
    }
}

fn message_key(msg: &str) -> Option<(&'static str, &str)> {
    if let Some(rest) = msg.strip_prefix("must be at most ") {
        return Some(("val.max_chars", rest.trim_end_matches(" characters")));
    }
    const EXACT: &[(&str, &str)] = &[
        ("is required", "val.required"),
        ("needs a domain such as example.org", "val.email_domain"),
        ("must be a date as YYYY-MM-DD", "val.date"),
        ("a given name or a family name is required", "val.name_required"),
        ("must be a plausible date of birth", "val.birthday"),
        ("a B2B contact person needs an organization", "val.b2b_org"),
        ("a private customer (b2c) belongs to no organization; use b2b", "val.b2c_org"),
        ("must not contain control characters", "val.control"),
        ("at most 20 tags", "val.tags_max"),
        ("a tag has 1-40 letters, digits, spaces, '-', '_' or '.'", "val.tag"),
        ("the current password is wrong", "val.current_password"),
        ("a password needs at least 10 characters", "val.password_short"),
        ("a password has at most 256 characters", "val.password_long"),
        ("a user name has 2-64 letters, digits, '.', '-', '_' or '@'", "val.username"),
        ("must be a three-letter currency code such as EUR", "val.currency"),
        ("a deal belongs to an organization or a contact", "val.deal_link"),
        ("a ticket belongs to a contact or an organization", "val.ticket_link"),
        ("an activity belongs to a contact, an organization or a deal", "val.activity_link"),
        ("no organization with this id", "val.no_organization"),
        ("no contact with this id", "val.no_contact"),
        ("is not a valid id", "val.bad_id"),
        ("must be between 0 and 100", "val.percent"),
        ("must be between 0 and 10000", "val.position"),
        ("must be one of call, email, meeting, note, complaint, order", "val.choice"),
        ("must be open, won or lost", "val.choice"),
        ("must be a web address such as www.example.de", "val.website"),
        ("must be a VAT id such as DE123456789", "val.vat_id"),
        ("must be a date and time such as 2026-03-01T14:30:00Z", "val.datetime"),
        ("a referenced record does not exist", "val.reference"),
        ("must be de or en", "val.choice"),
        ("passwords differ", "val.password_repeat"),
        ("a label has at most 100 characters and no control characters", "val.token_label"),
        ("must be 0 (never expires) to 3650 days", "val.token_days"),
        ("you cannot disable your own account", "val.own_account"),
        ("change your own password in your settings, with your current password", "val.own_password"),
    ];
    if let Some((_, k)) = EXACT.iter().find(|(m, _)| *m == msg) {
        return Some((k, ""));
    }
    const ENDINGS: &[(&str, &str)] = &[
        ("is not a valid email address", "val.email"),
        ("is not a valid phone number", "val.phone"),
        ("is not a phone number", "val.phone"),
        ("is not a supported language code (ISO 639-1, e.g. de, en)", "val.language"),
        ("is not a country code such as DE", "val.country"),
        ("is not an amount such as 12500.00", "val.amount"),
        ("is not a valid id", "val.bad_id"),
        ("is not a contact kind: use b2c or b2b", "val.choice"),
    ];
    if let Some((_, k)) = ENDINGS.iter().find(|(m, _)| msg.ends_with(m)) {
        return Some((k, ""));
    }
    if msg.starts_with("no user named ") {
        return Some(("val.no_user", ""));
    }
    if msg.ends_with(" is disabled: enable the account first") {
        return Some(("val.user_disabled", ""));
    }
    if msg.starts_with("the stage still holds ") {
        return Some(("val.stage_in_use", ""));
    }
    if msg.starts_with("must be one of ") {
        return Some(("val.choice", ""));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_translation_files_have_the_same_keys() {
        let de = parse_ftl(DE);
        let en = parse_ftl(EN);
        let mut only_de: Vec<&&str> = de.keys().filter(|k| !en.contains_key(*k)).collect();
        let mut only_en: Vec<&&str> = en.keys().filter(|k| !de.contains_key(*k)).collect();
        only_de.sort();
        only_en.sort();
        assert!(only_de.is_empty() && only_en.is_empty(), "only in de.ftl: {only_de:?}; only in en.ftl: {only_en:?}");
    }

    #[test]
    fn translation_files_have_no_duplicate_or_empty_entries() {
        for (name, src) in [("de", DE), ("en", EN)] {
            let mut seen = std::collections::HashSet::new();
            for line in src.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
                let (k, v) = line.split_once('=').unwrap_or_else(|| panic!("{name}: not a key = value line: {line}"));
                assert!(seen.insert(k.trim()), "{name}: duplicate key {}", k.trim());
                assert!(!v.trim().is_empty(), "{name}: empty value for {}", k.trim());
            }
        }
    }

    #[test]
    fn every_key_the_code_uses_exists() {
        let de = parse_ftl(DE);
        let sources = [
            include_str!("mod.rs"),
            include_str!("session.rs"),
            include_str!("auth.rs"),
            include_str!("users.rs"),
            include_str!("contacts.rs"),
            include_str!("organizations.rs"),
            include_str!("deals.rs"),
            include_str!("tickets.rs"),
            include_str!("i18n.rs"),
            include_str!("common.rs"),
            include_str!("privacy.rs"),
            include_str!("privacy_gate.rs"),
            include_str!("privacy_requests.rs"),
            include_str!("rights.rs"),
            include_str!("consent.rs"),
        ];
        let mut missing = Vec::new();
        for src in sources {
            for (i, _) in src.match_indices(".t(\"").chain(src.match_indices(".f(\"")) {
                let rest = &src[i + 4..];
                let Some(end) = rest.find('"') else { continue };
                let key = &rest[..end];
                if key.contains('.') && !key.contains(' ') && !de.contains_key(key) {
                    missing.push(key.to_string());
                }
            }
        }
        // Keys passed around as literals ("error.not_found", "flash.saved").
        let prefixes: std::collections::HashSet<&str> = de.keys().filter_map(|k| k.split('.').next()).collect();
        for src in sources {
            for lit in src.split('"').skip(1).step_by(2) {
                let Some((prefix, rest)) = lit.split_once('.') else { continue };
                let plain = !rest.is_empty() && rest.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                if plain && prefixes.contains(prefix) && !["rs", "html"].contains(&rest) && !de.contains_key(lit) {
                    missing.push(lit.to_string());
                }
            }
        }
        assert!(missing.is_empty(), "keys used in code but missing in de.ftl: {missing:?}");
    }

    #[test]
    fn every_key_the_templates_use_exists() {
        let de = parse_ftl(DE);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut missing = Vec::new();
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = entry.path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let src = std::fs::read_to_string(&p).unwrap_or_default();
                for pat in [".t(\"", ".f(\""] {
                    for (i, _) in src.match_indices(pat) {
                        let rest = &src[i + pat.len()..];
                        let Some(end) = rest.find('"') else { continue };
                        let key = &rest[..end];
                        if !de.contains_key(key) {
                            missing.push(format!("{}: {key}", p.display()));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys used in templates but missing: {missing:?}");
    }

    #[test]
    fn the_browser_language_is_negotiated() {
        assert_eq!(negotiate(None), Lang::De);
        assert_eq!(negotiate(Some("")), Lang::De);
        assert_eq!(negotiate(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(negotiate(Some("de-DE,de;q=0.9,en;q=0.8")), Lang::De);
        assert_eq!(negotiate(Some("fr-FR,fr;q=0.9,en;q=0.8,de;q=0.7")), Lang::En);
        assert_eq!(negotiate(Some("fr, it")), Lang::De);
        assert_eq!(negotiate(Some("en;q=0.2, de;q=0.5")), Lang::De);
        assert_eq!(negotiate(Some("de;q=0, en")), Lang::En);
        assert_eq!(negotiate(Some("EN-gb")), Lang::En);
        assert_eq!(negotiate(Some("*")), Lang::De);
    }

    #[test]
    fn known_domain_messages_are_translated_and_unknown_ones_kept() {
        assert_eq!(message(Lang::De, "is required"), "ist erforderlich");
        assert_eq!(message(Lang::De, "'nope' is not a valid email address"), t(Lang::De, "val.email"));
        assert_eq!(message(Lang::De, "must be at most 100 characters"), "höchstens 100 Zeichen");
        assert_eq!(message(Lang::En, "is required"), "is required");
        assert_eq!(message(Lang::De, "something new"), "something new");
    }

    #[test]
    fn formatting_fills_the_placeholder() {
        let tr = Tr::new(Lang::En);
        assert_eq!(tr.f("login.rate_limited", 30), "Too many attempts. Please try again in 30 seconds.");
        assert_eq!(tr.v("ticket_status", "in_progress"), "In progress");
        assert_eq!(tr.v("ticket_status", "unknown"), "unknown");
    }
}
