//! Translations: `i18n/de.ftl` and `i18n/en.ftl` are Fluent resources (projectfluent.org),
//! parsed once into one bundle per language. The code names a message by a dotted key
//! (`consent.title`); its Fluent id is the key with `-` for `.` (`consent-title`), as Fluent
//! ids have no dots. Variables are `$n` unless a message names its own (`dsr_report.page_of`:
//! `$page`, `$pages`); plural forms are Fluent selectors, not Rust.
//! The language is the user's setting, else the browser's `Accept-Language`, else German.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::borrow::Cow;
use std::fmt::Display;
use std::sync::OnceLock;

const DE: &str = include_str!("../i18n/de.ftl");
const EN: &str = include_str!("../i18n/en.ftl");

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

type Bundle = FluentBundle<FluentResource>;

/// The bundle of one language. The files are compiled in and a test parses them strictly, so
/// the errors tolerated here (a message Fluent cannot read is left out, shown as its key)
/// never reach a release.
fn build(lang: Lang, src: &'static str) -> Bundle {
    let resource = FluentResource::try_new(src.to_string()).unwrap_or_else(|(partial, errors)| {
        tracing::error!(lang = lang.code(), ?errors, "translation file does not parse");
        partial
    });
    let mut bundle = FluentBundle::new_concurrent(vec![lang.code().parse().unwrap_or_default()]);
    // The pages are HTML: no Unicode isolation marks around the filled-in values.
    bundle.set_use_isolating(false);
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(lang = lang.code(), ?errors, "translation file defines a message twice");
    }
    bundle
}

fn bundle(lang: Lang) -> &'static Bundle {
    static BUNDLES: OnceLock<[Bundle; 2]> = OnceLock::new();
    let [de, en] = BUNDLES.get_or_init(|| [build(Lang::De, DE), build(Lang::En, EN)]);
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

/// The Fluent id of a dotted key.
fn fluent_id(key: &str) -> Cow<'_, str> {
    if key.contains('.') {
        Cow::Owned(key.replace('.', "-"))
    } else {
        Cow::Borrowed(key)
    }
}

/// The message for `key` filled with `args`; `None` when there is no such message.
fn format(lang: Lang, key: &str, args: Option<&FluentArgs<'_>>) -> Option<Cow<'static, str>> {
    let bundle = bundle(lang);
    let pattern = bundle.get_message(&fluent_id(key))?.value()?;
    let mut errors = Vec::new();
    Some(bundle.format_pattern(pattern, args, &mut errors))
}

/// The text for `key`; the key itself when it is missing or needs variables (the tests keep
/// both from happening).
pub fn t(lang: Lang, key: &str) -> &str {
    match format(lang, key, None) {
        Some(Cow::Borrowed(s)) => s,
        _ => key,
    }
}

/// The text for `key` with its variables filled in; the key itself when it is missing.
pub fn fill<'a>(lang: Lang, key: &str, args: impl IntoIterator<Item = (&'a str, FluentValue<'a>)>) -> String {
    let mut fa = FluentArgs::new();
    for (name, value) in args {
        fa.set(name, value);
    }
    format(lang, key, Some(&fa)).map(Cow::into_owned).unwrap_or_else(|| key.to_string())
}

/// The dotted keys a translation file defines, in file order.
#[cfg(test)]
pub(crate) fn keys(lang: Lang) -> Vec<String> {
    let src = match lang {
        Lang::De => DE,
        Lang::En => EN,
    };
    src.lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter_map(|l| l.split_once(" ="))
        .map(|(id, _)| id.trim().replace('-', "."))
        .collect()
}

/// A value a message's variable takes: numbers stay numbers (for plural forms), the rest is
/// text. Templates hand over references, so references of values are values too.
pub trait Arg {
    fn fluent(&self) -> FluentValue<'static>;
}

impl<T: Arg + ?Sized> Arg for &T {
    fn fluent(&self) -> FluentValue<'static> {
        (**self).fluent()
    }
}

macro_rules! number_arg {
    ($($t:ty),*) => {$(
        impl Arg for $t {
            fn fluent(&self) -> FluentValue<'static> {
                FluentValue::from(*self)
            }
        }
    )*};
}
number_arg!(i16, i32, i64, u16, u32, u64, usize);

macro_rules! text_arg {
    ($($t:ty),*) => {$(
        impl Arg for $t {
            fn fluent(&self) -> FluentValue<'static> {
                FluentValue::from(self.to_string())
            }
        }
    )*};
}
text_arg!(str, String, char);

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
    /// The text for `key` with `$n` set to `arg` (a number selects the plural form).
    pub fn f(&self, key: &str, arg: impl Arg) -> String {
        fill(self.lang, key, [("n", arg.fluent())])
    }
    /// The text for `key` with named variables.
    pub fn args<'a>(&self, key: &str, args: impl IntoIterator<Item = (&'a str, FluentValue<'a>)>) -> String {
        fill(self.lang, key, args)
    }
    /// The label of an enum value: `prefix.value`, e.g. `ticket_status.open`.
    pub fn v(&self, prefix: &str, value: impl Display) -> String {
        let key = format!("{prefix}.{value}");
        match format(self.lang, &key, None) {
            Some(s) => s.into_owned(),
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
    if let Some(refusal) = refusal(lang, msg) {
        return refusal;
    }
    let key = message_key(msg);
    match key {
        Some(("val.max_chars", n)) => fill(lang, "val.max_chars", [("n", FluentValue::from(n))]),
        Some((k, _)) => t(lang, k).to_string(),
        None => msg.to_string(),
    }
}

/// The gate's refusals ("the role guest may not create contact records: no policy permits
/// it") in the user's language, with the role, action and record kind by their labels.
fn refusal(lang: Lang, msg: &str) -> Option<String> {
    let label = |prefix: &str, v: &str| match format(lang, &format!("{prefix}.{v}"), None) {
        Some(s) => s.into_owned(),
        None => v.to_string(),
    };
    let rest = msg.strip_prefix("the role ")?;
    let (role, rest) = rest.split_once(" may not ")?;
    if let Some(field) = rest.strip_prefix("write the field ").and_then(|r| r.strip_suffix(" of this contact")) {
        return Some(fill(lang, "refusal.field", [("role", label("role", role).into()), ("field", field.to_string().into())]));
    }
    let (action, rest) = rest.split_once(' ')?;
    let (kind, rest) = rest.split_once(" records")?;
    let (class, why) = rest.split_once(": ")?;
    let class =
        class.strip_prefix(" of the class ").map(|c| fill(lang, "refusal.class", [("class", c.to_string().into())])).unwrap_or_default();
    let why = match why.strip_prefix("refused by the policy ") {
        Some(p) => fill(lang, "refusal.by_policy", [("policy", p.to_string().into())]),
        None if why == "no policy permits it" => t(lang, "refusal.no_policy").to_string(),
        None => why.to_string(),
    };
    Some(fill(
        lang,
        "refusal.record",
        [
            ("role", label("role", role).into()),
            ("action", label("gate_action", action).into()),
            ("kind", label("record", kind).into()),
            ("class", class.into()),
            ("why", why.into()),
        ],
    ))
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
        ("the ticket is about no contact, so there is nobody to write to", "val.ticket_no_contact"),
        ("the contact has no email address to write to", "val.ticket_no_email"),
        ("choose at least one contact", "val.bulk_none"),
        ("choose a user", "val.choose_user"),
        ("a view with this name exists", "val.view_exists"),
        ("only a won or lost deal has a reason", "val.reason_open"),
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

    fn key_set(lang: Lang) -> std::collections::HashSet<String> {
        keys(lang).into_iter().collect()
    }

    /// Whether `key` is used right: a plain text through `t`, a message with variables
    /// through `f` or `args`.
    fn usable(key: &str, with_args: bool) -> bool {
        let plain = t(Lang::De, key) != key && t(Lang::En, key) != key;
        let exists = format(Lang::De, key, None).is_some() && format(Lang::En, key, None).is_some();
        if with_args {
            exists
        } else {
            plain
        }
    }

    #[test]
    fn translation_files_parse_as_fluent() {
        for (lang, src) in [(Lang::De, DE), (Lang::En, EN)] {
            if let Err((_, errors)) = FluentResource::try_new(src.to_string()) {
                panic!("i18n/{}.ftl: {errors:?}", lang.code());
            }
        }
    }

    #[test]
    fn both_translation_files_have_the_same_keys() {
        let de = key_set(Lang::De);
        let en = key_set(Lang::En);
        let mut only_de: Vec<&String> = de.difference(&en).collect();
        let mut only_en: Vec<&String> = en.difference(&de).collect();
        only_de.sort();
        only_en.sort();
        assert!(de.len() > 1000, "the keys were not read: {}", de.len());
        assert!(only_de.is_empty() && only_en.is_empty(), "only in de.ftl: {only_de:?}; only in en.ftl: {only_en:?}");
    }

    #[test]
    fn translation_files_are_fluent_without_duplicate_or_empty_messages() {
        for lang in [Lang::De, Lang::En] {
            // Building the bundle parses the file and refuses a message defined twice.
            let bundle = bundle(lang);
            let mut seen = std::collections::HashSet::new();
            for key in keys(lang) {
                assert!(seen.insert(key.clone()), "{}: duplicate key {key}", lang.code());
                let message = bundle.get_message(&fluent_id(&key)).unwrap_or_else(|| panic!("{}: {key} is no message", lang.code()));
                let pattern = message.value().unwrap_or_else(|| panic!("{}: {key} has no value", lang.code()));
                let mut errors = Vec::new();
                let mut args = FluentArgs::new();
                for name in [
                    "n", "page", "pages", "due", "told", "received", "case", "status", "role", "kind", "class", "action", "why", "field",
                    "policy", "number", "record", "link",
                ] {
                    args.set(name, 2);
                }
                let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
                assert!(errors.is_empty() && !text.trim().is_empty(), "{}: {key}: {errors:?}", lang.code());
            }
        }
    }

    #[test]
    fn every_key_the_code_uses_exists() {
        let de = key_set(Lang::De);
        // Every file of the web UI, and this one.
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![src.join("i18n.rs")];
        let mut stack = vec![src.join("web")];
        while let Some(d) = stack.pop() {
            for p in std::fs::read_dir(&d).into_iter().flatten().flatten().map(|e| e.path()) {
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p);
                }
            }
        }
        let texts: Vec<String> = files.iter().map(|p| std::fs::read_to_string(p).unwrap_or_default()).collect();
        assert!(texts.len() > 15, "the web UI's files were not found under {}", src.display());
        let sources: Vec<&str> = texts.iter().map(String::as_str).collect();
        let mut missing = Vec::new();
        for src in &sources {
            for (i, _) in src.match_indices(".t(\"").chain(src.match_indices(".f(\"")) {
                let rest = &src[i + 4..];
                let Some(end) = rest.find('"') else { continue };
                let key = &rest[..end];
                if key.contains('.') && !key.contains(' ') && !usable(key, src[i..].starts_with(".f(")) {
                    missing.push(key.to_string());
                }
            }
        }
        // Keys passed around as literals ("error.not_found", "flash.saved").
        let prefixes: std::collections::HashSet<&str> = de.iter().filter_map(|k| k.split('.').next()).collect();
        for src in &sources {
            // A prefix handed to `v` ("retention.start") is no key of its own.
            let src = src.replace(".v(\"", ".v(\"=");
            for lit in src.split('"').skip(1).step_by(2) {
                let Some((prefix, rest)) = lit.split_once('.') else { continue };
                let plain = !rest.is_empty() && rest.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                if plain && prefixes.contains(prefix) && !["rs", "html"].contains(&rest) && !de.contains(lit) {
                    missing.push(lit.to_string());
                }
            }
        }
        assert!(missing.is_empty(), "keys used in code but missing in de.ftl: {missing:?}");
    }

    #[test]
    fn every_key_the_templates_use_exists() {
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
                        if !usable(key, pat == ".f(\"") {
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
    fn the_gates_refusals_are_said_in_german() {
        assert_eq!(
            message(Lang::De, "the role guest may not create contact records: no policy permits it"),
            "Die Rolle Gast darf Datensätze der Art Kontakt nicht anlegen: keine Richtlinie erlaubt es."
        );
        assert_eq!(
            message(Lang::De, "the role user may not read contact records of the class hr: refused by the policy hr-only"),
            "Die Rolle Benutzer darf Datensätze der Art Kontakt der Klasse „hr“ nicht lesen: abgelehnt durch die Richtlinie hr-only."
        );
        assert_eq!(
            message(Lang::De, "the role user may not write the field birthday of this contact"),
            "Die Rolle Benutzer darf das Feld birthday dieses Kontakts nicht schreiben."
        );
        let english = "the role guest may not create contact records: no policy permits it";
        assert_eq!(message(Lang::En, english), english);
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
        // Variables by name, and a number picks its plural form (Fluent's selectors).
        assert_eq!(tr.args("dsr_report.page_of", [("page", 2.into()), ("pages", 7.into())]), "Page 2 of 7");
        assert_eq!(tr.f("dsr_ui.count", 1), "one case");
        assert_eq!(tr.f("dsr_ui.count", 12), "12 cases");
        assert_eq!(Tr::new(Lang::De).f("dsr_ui.count", 1), "ein Fall");
        assert_eq!(Tr::new(Lang::De).f("dsr_ui.overdue_days", 3), "seit 3 Tagen überfällig");
        // A message that needs a variable is not handed out bare.
        assert_eq!(t(Lang::En, "dsr_ui.count"), "dsr_ui.count");
    }
}
