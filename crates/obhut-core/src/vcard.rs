//! vCard: reading the 2.1, 3.0 and 4.0 files that phones and mail programs export, and
//! writing one contact as vCard 4.0 (RFC 6350).
//!
//! The reader is lenient in what real exports do (Android's quoted-printable 2.1, Apple's
//! `item1.` groups and `X-ABLabel`s, bare 2.1 parameters) and strict only where data would
//! be lost: a card without `END:VCARD` fails the whole file.

use crate::contact::{AddressInput, ContactInput, ContactKind, ContactPersonal, EmailInput, PhoneInput};
use crate::import::{normalize_birthday, normalize_language, tidy_tag, ImportError, ImportRow, RowError, MAX_IMPORT_ROWS};
use crate::search::fold;
use std::collections::{BTreeSet, HashMap};

/// The cards of one file: the persons in `rows`, everything else in `errors`, and the names
/// of the properties that map to no contact field (`PHOTO`, `URL`…).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VcardImport {
    pub rows: Vec<ImportRow>,
    pub errors: Vec<RowError>,
    pub ignored_properties: Vec<String>,
}

/// The contacts of a vCard file, each with the line of its `BEGIN:VCARD` as `row`. Cards that
/// are no persons are left out; [`read_vcards`] reports them.
pub fn parse_vcards(text: &str) -> Result<Vec<ImportRow>, ImportError> {
    read_vcards(text).map(|v| v.rows)
}

/// Reads every card of a vCard file.
pub fn read_vcards(text: &str) -> Result<VcardImport, ImportError> {
    let mut out = VcardImport::default();
    let mut ignored: BTreeSet<String> = BTreeSet::new();
    let mut card: Option<(usize, Vec<Prop>)> = None;
    let mut found = false;
    for (line, raw) in logical_lines(text) {
        let Some(prop) = Prop::parse(&raw) else {
            continue;
        };
        let is = |name: &str, value: &str| prop.name == name && prop.value.trim().eq_ignore_ascii_case(value);
        if is("BEGIN", "VCARD") {
            if let Some((start, _)) = card {
                return Err(ImportError::Vcard {
                    line: start,
                    message: format!("the card that begins here has no END:VCARD before the next card in line {line}"),
                });
            }
            if out.rows.len() + out.errors.len() >= MAX_IMPORT_ROWS {
                return Err(ImportError::TooManyRows { max: MAX_IMPORT_ROWS });
            }
            card = Some((line, Vec::new()));
            found = true;
        } else if is("END", "VCARD") {
            if let Some((start, props)) = card.take() {
                match read_card(start, &props, &mut ignored) {
                    Ok(row) => out.rows.push(row),
                    Err(e) => out.errors.push(e),
                }
            }
        } else if let Some((_, props)) = card.as_mut() {
            props.push(prop);
        }
    }
    if let Some((start, _)) = card {
        return Err(ImportError::Vcard { line: start, message: "the card that begins here has no END:VCARD".into() });
    }
    if !found {
        return Err(ImportError::Vcard { line: 1, message: "no BEGIN:VCARD found; this is not a vCard file".into() });
    }
    out.ignored_properties = ignored.into_iter().collect();
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Lines and properties

/// Content lines with their first physical line number: folded lines (a line break followed
/// by a space or tab) joined, and quoted-printable soft line breaks (`=` at the end) too.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let text = if text.contains('\n') { std::borrow::Cow::Borrowed(text) } else { std::borrow::Cow::Owned(text.replace('\r', "\n")) };
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut soft_break = false;
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let folded = raw.starts_with([' ', '\t']) && !out.is_empty();
        if soft_break || folded {
            if let Some((_, cur)) = out.last_mut() {
                cur.push_str(if soft_break { raw } else { raw.get(1..).unwrap_or("") });
            }
        } else if raw.trim().is_empty() {
            continue;
        } else {
            out.push((i + 1, raw.to_string()));
        }
        soft_break = false;
        if let Some((_, cur)) = out.last_mut() {
            if cur.ends_with('=') && is_quoted_printable(cur) {
                cur.pop();
                soft_break = true;
            }
        }
    }
    out
}

fn is_quoted_printable(line: &str) -> bool {
    let head = line.split(':').next().unwrap_or("");
    head.to_ascii_uppercase().contains("QUOTED-PRINTABLE")
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ParamValue {
    text: String,
    quoted: bool,
}

/// One content line: `[group.]NAME;PARAM=a,b;PARAM:value`, the value still encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Prop {
    group: Option<String>,
    name: String,
    params: Vec<(String, Vec<ParamValue>)>,
    value: String,
}

impl Prop {
    fn parse(line: &str) -> Option<Prop> {
        let name_end = line.find([';', ':'])?;
        let (group, name) = match line[..name_end].rsplit_once('.') {
            Some((g, n)) => (Some(g.trim().to_ascii_uppercase()), n),
            None => (None, &line[..name_end]),
        };
        let name = name.trim().to_ascii_uppercase();
        if name.is_empty() {
            return None;
        }
        let rest = &line[name_end..];
        let mut in_quotes = false;
        let colon = rest.char_indices().find_map(|(i, c)| {
            match c {
                '"' => in_quotes = !in_quotes,
                ':' if !in_quotes => return Some(i),
                _ => {}
            }
            None
        })?;
        let params = split_outside_quotes(&rest[..colon], ';').into_iter().filter(|p| !p.trim().is_empty()).map(parse_param).collect();
        Some(Prop { group, name, params, value: rest[colon + 1..].to_string() })
    }

    fn param<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a ParamValue> + 'a {
        self.params.iter().filter(move |(k, _)| k == key).flat_map(|(_, v)| v)
    }

    fn has_param_value(&self, key: &str, value: &str) -> bool {
        self.param(key).any(|v| v.text.eq_ignore_ascii_case(value))
    }

    /// How preferred the value is: `PREF=1` (or a 2.1/3.0 `TYPE=pref`) first, none last.
    fn pref(&self) -> u32 {
        match self.param("PREF").find_map(|v| v.text.trim().parse::<u32>().ok()) {
            Some(n) => n,
            None if self.has_param_value("TYPE", "pref") => 1,
            None => u32::MAX,
        }
    }

    /// The value decoded (quoted-printable and charset) but not yet unescaped; line breaks as `\n`.
    fn decoded(&self) -> String {
        let text = if self.has_param_value("ENCODING", "QUOTED-PRINTABLE") {
            let bytes = decode_quoted_printable(&self.value);
            let charset = self.param("CHARSET").next().and_then(|c| encoding_rs::Encoding::for_label(c.text.trim().as_bytes()));
            match (charset, String::from_utf8(bytes)) {
                (None, Ok(s)) => s,
                (Some(enc), Ok(s)) if enc == encoding_rs::UTF_8 => s,
                (Some(enc), Err(e)) => enc.decode_without_bom_handling(e.as_bytes()).0.into_owned(),
                (Some(enc), Ok(s)) => enc.decode_without_bom_handling(s.as_bytes()).0.into_owned(),
                (None, Err(e)) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(e.as_bytes()).0.into_owned(),
            }
        } else if self.has_param_value("ENCODING", "BASE64") || self.has_param_value("ENCODING", "B") {
            String::new()
        } else {
            self.value.clone()
        };
        text.replace("\r\n", "\n").replace('\r', "\n")
    }

    /// A single text value, unescaped and trimmed.
    fn text(&self) -> String {
        unescape(&self.decoded()).trim().to_string()
    }

    /// The `;`-separated components of a structured value (N, ADR, ORG), unescaped and trimmed.
    fn components(&self) -> Vec<String> {
        split_unescaped(&self.decoded(), ';').iter().map(|c| unescape(c).trim().to_string()).collect()
    }

    fn component(&self, i: usize) -> String {
        self.components().get(i).cloned().unwrap_or_default()
    }
}

fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if c == '"' {
            in_quotes = !in_quotes;
        } else if c == sep && !in_quotes {
            parts.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&s[start..]);
    parts
}

/// `TYPE=work,voice`, `TYPE="a label"` or a bare vCard 2.1 parameter such as `WORK` or
/// `QUOTED-PRINTABLE`.
fn parse_param(p: &str) -> (String, Vec<ParamValue>) {
    let p = p.trim();
    let value = |v: &str| {
        let v = v.trim();
        match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(inner) => ParamValue { text: caret_decode(inner), quoted: true },
            None => ParamValue { text: caret_decode(v), quoted: false },
        }
    };
    match p.split_once('=') {
        Some((k, v)) => (k.trim().to_ascii_uppercase(), split_outside_quotes(v, ',').into_iter().map(value).collect()),
        None => {
            let upper = p.to_ascii_uppercase();
            let key = match upper.as_str() {
                "QUOTED-PRINTABLE" | "BASE64" | "8BIT" | "7BIT" => "ENCODING",
                _ => "TYPE",
            };
            (key.to_string(), vec![value(p)])
        }
    }
}

/// RFC 6868 parameter value escapes: `^n` newline, `^'` double quote, `^^` caret.
fn caret_decode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('^', Some('n' | 'N')) => {
                out.push('\n');
                chars.next();
            }
            ('^', Some('\'')) => {
                out.push('"');
                chars.next();
            }
            ('^', Some('^')) => {
                out.push('^');
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

fn caret_encode(s: &str) -> String {
    s.replace('^', "^^").replace("\r\n", "^n").replace(['\n', '\r'], "^n").replace('"', "^'")
}

fn decode_quoted_printable(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        match (b[i], hex(i + 1), hex(i + 2)) {
            (b'=', Some(h), Some(l)) => {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Splits at `sep` where it is not escaped by a backslash; the parts keep their escapes.
fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        let Some(cur) = parts.last_mut() else { break };
        if c == '\\' {
            cur.push(c);
            if let Some(n) = chars.next() {
                cur.push(n);
            }
        } else if c == sep {
            parts.push(String::new());
        } else {
            cur.push(c);
        }
    }
    parts
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(c @ ('\\' | ',' | ';' | ':')) => out.push(c),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let s = s.replace("\r\n", "\n");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' | '\r' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Cards

/// Labels written as a plain `TYPE`; the left side is the label we keep, the right the token.
const LABEL_TOKENS: &[(&str, &str)] = &[("work", "work"), ("home", "home"), ("mobile", "cell"), ("fax", "fax"), ("other", "other")];

/// TYPE values that say nothing a label needs.
const GENERIC_TYPES: &[&str] =
    &["pref", "internet", "voice", "x400", "msg", "text", "dom", "intl", "postal", "parcel", "main", "bbs", "modem", "isdn", "pcs"];

fn canonical_label(token: &str) -> Option<String> {
    let t = token.trim().to_lowercase();
    let known = match t.as_str() {
        "cell" | "mobile" | "iphone" | "handy" | "mobil" => "mobile",
        "work" | "business" | "arbeit" | "geschäftlich" => "work",
        "home" | "privat" | "private" => "home",
        "fax" | "workfax" | "homefax" => "fax",
        "other" | "andere" => "other",
        "" => return None,
        _ if GENERIC_TYPES.contains(&t.as_str()) => return None,
        _ => return Some(t),
    };
    Some(known.into())
}

/// The label of an EMAIL, TEL or ADR: Apple's `X-ABLabel` for the property's group, else a
/// quoted TYPE (a label of our own writing, kept as it is), else the telling TYPE token.
fn label_of(p: &Prop, group_labels: &HashMap<String, String>) -> Option<String> {
    if let Some(l) = p.group.as_ref().and_then(|g| group_labels.get(g)) {
        return Some(l.clone());
    }
    let mut tokens: Vec<String> = Vec::new();
    for v in p.param("TYPE") {
        if v.quoted && !v.text.contains(',') {
            let t = v.text.trim();
            if !t.is_empty() {
                return Some(t.to_string());
            }
        }
        tokens.extend(v.text.split(',').filter_map(canonical_label));
    }
    ["mobile", "fax", "work", "home", "other"]
        .into_iter()
        .find(|k| tokens.iter().any(|t| t == k))
        .map(str::to_string)
        .or_else(|| tokens.into_iter().next())
}

/// Apple's `_$!<Mobile>!$_` built-in labels and plain custom ones.
fn apple_label(v: &str) -> Option<String> {
    let v = v.trim();
    match v.strip_prefix("_$!<").and_then(|v| v.strip_suffix(">!$_")) {
        Some(builtin) => canonical_label(builtin),
        None => (!v.is_empty()).then(|| v.to_string()),
    }
}

/// "Dr.", "Prof.", "Dipl.-Ing.", "Mag.", "M.Sc.": an academic title rather than a salutation.
fn is_academic(word: &str) -> bool {
    let k: String = fold(word).chars().filter(char::is_ascii_alphanumeric).collect();
    ["dr", "prof", "dipl", "mag"].iter().any(|p| k.starts_with(p))
        || matches!(k.as_str(), "ing" | "phd" | "mba" | "msc" | "bsc" | "ma" | "ba" | "llm" | "meng" | "beng" | "med" | "jur" | "hc")
}

fn is_salutation(word: &str) -> bool {
    let k: String = fold(word).chars().filter(char::is_ascii_alphanumeric).collect();
    matches!(
        k.as_str(),
        "herr" | "frau" | "mr" | "mrs" | "ms" | "mx" | "miss" | "madame" | "monsieur" | "mme" | "mevrouw" | "heer" | "divers"
    )
}

/// Splits name prefixes into salutation and academic title: "Herr Dr. med." is salutation
/// "Herr" and title "Dr. med.".
fn split_prefixes(values: &[String], salutation: &mut Vec<String>, title: &mut Vec<String>) {
    for v in values {
        let words: Vec<&str> = v.split_whitespace().collect();
        let k = words.iter().position(|w| is_academic(w)).unwrap_or(words.len());
        if k > 0 {
            salutation.push(words[..k].join(" "));
        }
        if k < words.len() {
            title.push(words[k..].join(" "));
        }
    }
}

fn joined(parts: Vec<String>) -> Option<String> {
    let s = parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then_some(s)
}

/// Line breaks have no place in a name, street or job title.
fn one_line(s: &str) -> String {
    s.split(['\n', '\r']).map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(", ")
}

fn nonempty(s: String) -> Option<String> {
    (!s.trim().is_empty()).then_some(s)
}

#[derive(Default)]
struct Names {
    salutation: Vec<String>,
    title: Vec<String>,
    given: Vec<String>,
    family: Vec<String>,
}

/// A formatted name (FN) when N is missing: "Dr. Erika Maria Mustermann" or "Mustermann, Erika".
fn names_from_full(full: &str) -> Names {
    let mut n = Names::default();
    let full = one_line(full);
    if let Some((family, given)) = full.split_once(',') {
        n.family.push(family.trim().to_string());
        let words: Vec<&str> = given.split_whitespace().collect();
        let k = words.iter().position(|w| !is_salutation(w) && !is_academic(w)).unwrap_or(words.len());
        for w in &words[..k] {
            if is_academic(w) { &mut n.title } else { &mut n.salutation }.push((*w).to_string());
        }
        n.given.push(words[k..].join(" "));
        return n;
    }
    let mut words: Vec<&str> = full.split_whitespace().collect();
    while let Some(w) = words.first().copied().filter(|w| words.len() > 1 && (is_salutation(w) || is_academic(w))) {
        if is_academic(w) { &mut n.title } else { &mut n.salutation }.push(w.to_string());
        words.remove(0);
    }
    if let Some(family) = words.pop() {
        n.family.push(family.to_string());
    }
    n.given.push(words.join(" "));
    n
}

/// A BDAY as `YYYY-MM-DD`; `None` when the card knows no year (`--0412`, Apple's 1604).
fn birthday(p: &Prop) -> Option<String> {
    let v = p.text();
    let v = v.trim();
    if v.is_empty() || v.starts_with("--") {
        return None;
    }
    let omitted = p.param("X-APPLE-OMIT-YEAR").next().map(|y| y.text.clone());
    let year: String = v.chars().take(4).collect();
    if year == "1604" || omitted.as_deref() == Some(year.as_str()) {
        return None;
    }
    normalize_birthday(v)
}

/// One card as a row, or the reason it is not a contact.
fn read_card(row: usize, props: &[Prop], ignored: &mut BTreeSet<String>) -> Result<ImportRow, RowError> {
    let group_labels: HashMap<String, String> =
        props.iter().filter(|p| p.name == "X-ABLABEL").filter_map(|p| Some((p.group.clone()?, apple_label(&p.text())?))).collect();
    let mut c = ContactInput::default();
    let mut names = Names::default();
    let mut full_name = String::new();
    let mut organization: Option<String> = None;
    let mut card_kind: Option<String> = None;
    let mut company_card = false;
    let mut emails: Vec<(u32, EmailInput)> = Vec::new();
    let mut phones: Vec<(u32, PhoneInput)> = Vec::new();
    let mut addresses: Vec<(u32, AddressInput)> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut tags: Vec<String> = Vec::new();
    let mut languages: Vec<(u32, String)> = Vec::new();
    for p in props {
        match p.name.as_str() {
            "N" => {
                let raw = split_unescaped(&p.decoded(), ';');
                let part = |i: usize| raw.get(i).map(|s| one_line(&unescape(s))).unwrap_or_default();
                let list = |i: usize| -> Vec<String> {
                    raw.get(i).map(|s| split_unescaped(s, ',').iter().map(|v| one_line(&unescape(v))).collect()).unwrap_or_default()
                };
                names.family.push(part(0));
                names.given.push(part(1));
                names.given.push(part(2));
                split_prefixes(&list(3), &mut names.salutation, &mut names.title);
                names.title.extend(list(4).into_iter().filter(|s| s.split_whitespace().next().is_some_and(is_academic)));
            }
            "FN" => full_name = p.text(),
            "EMAIL" => {
                let v = p.text();
                let v = v.strip_prefix("mailto:").unwrap_or(&v).trim();
                if !v.is_empty() {
                    emails.push((p.pref(), EmailInput { address: v.to_string(), label: label_of(p, &group_labels), purposes: None }));
                }
            }
            "TEL" => {
                let v = p.text();
                let v = v.get(..4).filter(|s| s.eq_ignore_ascii_case("tel:")).map_or(v.as_str(), |_| &v[4..]);
                // A tel: URI may carry parameters such as ";ext=12" after the number.
                let v = v.split(';').next().unwrap_or("").trim();
                if !v.is_empty() {
                    phones.push((p.pref(), PhoneInput { number: v.to_string(), label: label_of(p, &group_labels), purposes: None }));
                }
            }
            "ADR" => {
                let n = p.components();
                let part = |i: usize| n.get(i).map(|s| one_line(s)).filter(|s| !s.is_empty());
                let street = match [part(2), part(1)].into_iter().flatten().collect::<Vec<_>>() {
                    v if v.is_empty() => part(0),
                    v => Some(v.join(", ")),
                };
                let a = AddressInput {
                    label: label_of(p, &group_labels),
                    street,
                    postal_code: part(5),
                    city: part(3),
                    country: part(6),
                    purposes: None,
                };
                if a.street.is_some() || a.postal_code.is_some() || a.city.is_some() {
                    addresses.push((p.pref(), a));
                }
            }
            "ORG" => organization = nonempty(one_line(&p.component(0))),
            "TITLE" => c.job_title = nonempty(one_line(&p.text())),
            "BDAY" => c.birthday = birthday(p),
            "NOTE" => notes.extend(nonempty(p.text())),
            "LANG" => languages.extend(nonempty(p.text()).map(|l| (p.pref(), normalize_language(&l)))),
            "CATEGORIES" => {
                tags.extend(split_unescaped(&p.decoded(), ',').iter().filter_map(|t| tidy_tag(&unescape(t))));
            }
            "KIND" | "X-ADDRESSBOOKSERVER-KIND" => card_kind = Some(p.text().to_lowercase()),
            "X-ABSHOWAS" => company_card |= p.text().eq_ignore_ascii_case("COMPANY"),
            "X-OBHUT-KIND" => c.kind = nonempty(p.text()),
            // Bookkeeping, and LABEL: the printed form of an ADR that is read anyway.
            "VERSION" | "PRODID" | "UID" | "REV" | "X-ABLABEL" | "X-ABADR" | "X-ABUID" | "CLIENTPIDMAP" | "LABEL" => {}
            other => {
                ignored.insert(other.to_string());
            }
        }
    }
    if names.given.iter().chain(&names.family).all(String::is_empty) {
        let n = names_from_full(&full_name);
        // A card named only by its company is the company's card.
        if full_name.trim().is_empty() || organization.as_deref().is_some_and(|o| fold(o) == fold(&full_name)) {
            company_card |= organization.is_some();
        }
        names.given = n.given;
        names.family = n.family;
        names.salutation.extend(n.salutation);
        names.title.extend(n.title);
    }
    match card_kind.as_deref() {
        None | Some("individual") if !company_card => {}
        None | Some("individual" | "org" | "organization") => {
            return Err(RowError::new(row, "KIND", "organization cards are not imported as contacts"));
        }
        Some(k) => {
            return Err(RowError::new(
                row,
                "KIND",
                format!("cards of kind '{}' are not imported as contacts; only persons are", crate::email::shorten(k)),
            ));
        }
    }
    c.salutation = joined(names.salutation);
    c.title = joined(names.title);
    c.given_name = joined(names.given);
    c.family_name = joined(names.family);
    // The preferred entry comes first: it is the primary one.
    fn ordered<T>(mut v: Vec<(u32, T)>) -> Option<Vec<T>> {
        v.sort_by_key(|(pref, _)| *pref);
        let v: Vec<T> = v.into_iter().map(|(_, x)| x).collect();
        (!v.is_empty()).then_some(v)
    }
    c.emails = ordered(emails);
    c.phones = ordered(phones);
    c.addresses = ordered(addresses);
    c.language = ordered(languages).and_then(|l| l.into_iter().next());
    c.notes = nonempty(notes.join("\n\n"));
    c.tags = (!tags.is_empty()).then_some(tags);
    Ok(ImportRow { row, contact: c, organization_name: organization })
}

// ---------------------------------------------------------------------------------------
// Writing

/// Appends one content line, folded at 75 octets without splitting a UTF-8 character.
fn push_line(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = 75;
    while rest.len() > limit {
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        // The continuation's leading space counts towards its 75 octets.
        limit = 74;
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

fn type_param(label: Option<&str>) -> String {
    match label {
        None => String::new(),
        Some(l) => match LABEL_TOKENS.iter().find(|(k, _)| *k == l) {
            Some((_, token)) => format!(";TYPE={token}"),
            None => format!(";TYPE=\"{}\"", caret_encode(l)),
        },
    }
}

/// One contact as a vCard 4.0 (RFC 6350) with CRLF line endings. B2B or B2C travels in
/// `X-OBHUT-KIND`, which [`read_vcards`] reads back; other programs ignore it.
pub fn write_vcard(
    uid: &str,
    kind: ContactKind,
    p: &ContactPersonal,
    organization_name: Option<&str>,
    language: Option<&str>,
    tags: &[String],
) -> String {
    let mut out = String::new();
    let mut line = |l: &str| push_line(&mut out, l);
    line("BEGIN:VCARD");
    line("VERSION:4.0");
    line("PRODID:-//Obhut//Obhut CRM//EN");
    line("KIND:individual");
    let uid = uid.trim();
    if uid.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("urn:")) {
        line(&format!("UID:{uid}"));
    } else {
        line(&format!("UID:urn:uuid:{uid}"));
    }
    let full = [&p.title, &p.given_name, &p.family_name].into_iter().flatten().cloned().collect::<Vec<_>>().join(" ");
    let full = if full.is_empty() { p.primary_email().map(|e| e.to_string()).unwrap_or_default() } else { full };
    line(&format!("FN:{}", escape(&full)));
    let prefixes: Vec<String> = [&p.salutation, &p.title].into_iter().flatten().map(|s| escape(s)).collect();
    let esc = |v: &Option<String>| escape(v.as_deref().unwrap_or(""));
    line(&format!("N:{};{};;{};", esc(&p.family_name), esc(&p.given_name), prefixes.join(",")));
    let pref = |i: usize, n: usize| if i == 0 && n > 1 { ";PREF=1" } else { "" };
    for (i, e) in p.emails.iter().enumerate() {
        line(&format!("EMAIL{}{}:{}", pref(i, p.emails.len()), type_param(e.label.as_deref()), escape(e.address.as_str())));
    }
    for (i, t) in p.phones.iter().enumerate() {
        line(&format!("TEL;VALUE=uri{}{}:tel:{}", pref(i, p.phones.len()), type_param(t.label.as_deref()), t.number.as_str()));
    }
    for (i, a) in p.addresses.iter().enumerate() {
        line(&format!(
            "ADR{}{}:;;{};{};;{};{}",
            pref(i, p.addresses.len()),
            type_param(a.label.as_deref()),
            esc(&a.street),
            esc(&a.city),
            esc(&a.postal_code),
            esc(&a.country)
        ));
    }
    if let Some(o) = organization_name.map(str::trim).filter(|o| !o.is_empty()) {
        line(&format!("ORG:{}", escape(o)));
    }
    if let Some(t) = &p.job_title {
        line(&format!("TITLE:{}", escape(t)));
    }
    if let Some(b) = p.birthday {
        line(&format!("BDAY:{:04}{:02}{:02}", b.year(), u8::from(b.month()), b.day()));
    }
    if let Some(n) = &p.notes {
        line(&format!("NOTE:{}", escape(n)));
    }
    if let Some(l) = language.map(str::trim).filter(|l| !l.is_empty()) {
        line(&format!("LANG:{}", escape(l)));
    }
    if !tags.is_empty() {
        line(&format!("CATEGORIES:{}", tags.iter().map(|t| escape(t)).collect::<Vec<_>>().join(",")));
    }
    line(&format!("X-OBHUT-KIND:{}", kind.as_str()));
    line("END:VCARD");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::import::{validate_rows, ValidRow};
    use proptest::prelude::*;

    fn valid(text: &str) -> Vec<ValidRow> {
        let rows = parse_vcards(text).unwrap();
        let (valid, errors) = validate_rows(&rows);
        assert!(errors.is_empty(), "{errors:?}");
        valid
    }

    fn sample() -> ContactPersonal {
        let input = ContactInput {
            salutation: Some("Herr".into()),
            title: Some("Prof. Dr.".into()),
            given_name: Some("Jürgen, genannt \"Jo\"".into()),
            family_name: Some("Müller-Lüdenscheidt; jun.".into()),
            emails: Some(vec![
                EmailInput { address: "j.mueller@example.com".into(), label: Some("work".into()), purposes: None },
                EmailInput { address: "jo@example.org".into(), label: Some("Büro; 2. Stock".into()), purposes: None },
            ]),
            phones: Some(vec![
                PhoneInput { number: "0151 23456789".into(), label: Some("mobile".into()), purposes: None },
                PhoneInput { number: "030 1234567".into(), label: None, purposes: None },
            ]),
            addresses: Some(vec![AddressInput {
                purposes: None,
                label: Some("home".into()),
                street: Some("Schillerstraße 5\\a".into()),
                postal_code: Some("10115".into()),
                city: Some("Berlin".into()),
                country: Some("DE".into()),
            }]),
            job_title: Some("Geschäftsführer, Vertrieb".into()),
            birthday: Some("1971-03-14".into()),
            notes: Some(format!("Erste Zeile\nZweite: {}", "äöü€😀".repeat(30))),
            ..Default::default()
        };
        input.validate().unwrap().personal
    }

    #[test]
    fn a_written_card_reads_back_as_the_same_contact() {
        let p = sample();
        let tags = vec!["vip".to_string(), "messe 2025".to_string()];
        let card = write_vcard("0190b5c2-0000-7000-8000-000000000001", ContactKind::B2b, &p, Some("Müller; Söhne GmbH"), Some("de"), &tags);
        assert!(card.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"));
        assert!(card.contains("UID:urn:uuid:0190b5c2-0000-7000-8000-000000000001\r\n"));
        assert!(card.contains("TEL;VALUE=uri;PREF=1;TYPE=cell:tel:+4915123456789\r\n"));
        assert!(card.contains("N:Müller-Lüdenscheidt\\; jun.;Jürgen\\, genannt \"Jo\";;Herr,Prof. Dr.;\r\n"));
        assert!(card.contains("KIND:individual\r\n"));
        let v = valid(&card);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].draft.personal, p);
        assert_eq!((v[0].draft.kind, v[0].organization_name.as_deref()), (ContactKind::B2b, Some("Müller; Söhne GmbH")));
        assert_eq!((v[0].draft.language.as_deref(), &v[0].draft.tags), (Some("de"), &tags));
    }

    #[test]
    fn folding_keeps_lines_short_and_characters_whole() {
        let card = write_vcard("x", ContactKind::B2c, &sample(), None, None, &[]);
        for l in card.split("\r\n") {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        assert!(card.lines().any(|l| l.starts_with(' ')), "nothing was folded");
    }

    const IPHONE: &str = "BEGIN:VCARD\r\n\
VERSION:3.0\r\n\
PRODID:-//Apple Inc.//iPhone OS 17.2//EN\r\n\
N:Müller;Jürgen;;Dr.;\r\n\
FN:Dr. Jürgen Müller\r\n\
ORG:Müller Maschinenbau GmbH;Vertrieb\r\n\
TITLE:Geschäftsführer\r\n\
EMAIL;type=INTERNET;type=HOME:juergen@example.org\r\n\
item1.EMAIL;type=INTERNET;type=pref:j.mueller@example.com\r\n\
item1.X-ABLabel:_$!<Other>!$_\r\n\
TEL;type=CELL;type=VOICE;type=pref:+49 151 23456789\r\n\
item2.TEL:089 12345678\r\n\
item2.X-ABLabel:Zentrale\r\n\
item3.ADR;type=WORK;type=pref:;;Leopoldstraße 12\\nHinterhaus;München;;80802;Deutschland\r\n\
item3.X-ABADR:de\r\n\
NOTE:Kennengelernt auf der Messe\\, Stand 4\\nRückruf im März\r\n\
BDAY;value=date:1971-03-14\r\n\
CATEGORIES:VIP,Messe/2025\r\n\
item4.URL;type=pref:https://example.com\r\n\
item4.X-ABLabel:_$!<HomePage>!$_\r\n\
PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0a\r\n \
 HBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIy\r\n\
END:VCARD\r\n\
BEGIN:VCARD\r\n\
VERSION:3.0\r\n\
N:;;;;\r\n\
FN:Müller Maschinenbau GmbH\r\n\
ORG:Müller Maschinenbau GmbH;\r\n\
X-ABShowAs:COMPANY\r\n\
END:VCARD\r\n\
BEGIN:VCARD\r\n\
VERSION:3.0\r\n\
N:Schmidt;Anna;;;\r\n\
BDAY;X-APPLE-OMIT-YEAR=1604:1604-05-01\r\n\
END:VCARD\r\n";

    #[test]
    fn an_iphone_export_is_read() {
        let r = read_vcards(IPHONE).unwrap();
        assert_eq!(r.errors, vec![RowError::new(24, "KIND", "organization cards are not imported as contacts")]);
        assert_eq!(r.ignored_properties, vec!["PHOTO".to_string(), "URL".to_string()]);
        assert_eq!(r.rows.iter().map(|r| r.row).collect::<Vec<_>>(), vec![1, 31]);
        let (v, errors) = validate_rows(&r.rows);
        assert!(errors.is_empty(), "{errors:?}");
        let p = &v[0].draft.personal;
        assert_eq!((p.title.as_deref(), p.given_name.as_deref(), p.family_name.as_deref()), (Some("Dr."), Some("Jürgen"), Some("Müller")));
        assert_eq!(v[0].organization_name.as_deref(), Some("Müller Maschinenbau GmbH"));
        assert_eq!(p.job_title.as_deref(), Some("Geschäftsführer"));
        let emails: Vec<(String, Option<&str>)> = p.emails.iter().map(|e| (e.address.to_string(), e.label.as_deref())).collect();
        assert_eq!(emails, vec![("j.mueller@example.com".into(), Some("other")), ("juergen@example.org".into(), Some("home"))]);
        let phones: Vec<(&str, Option<&str>)> = p.phones.iter().map(|t| (t.number.as_str(), t.label.as_deref())).collect();
        assert_eq!(phones, vec![("+4915123456789", Some("mobile")), ("+498912345678", Some("Zentrale"))]);
        let a = &p.addresses[0];
        assert_eq!(
            (a.label.as_deref(), a.street.as_deref(), a.postal_code.as_deref(), a.city.as_deref(), a.country.as_deref()),
            (Some("work"), Some("Leopoldstraße 12, Hinterhaus"), Some("80802"), Some("München"), Some("DE"))
        );
        assert_eq!(p.notes.as_deref(), Some("Kennengelernt auf der Messe, Stand 4\nRückruf im März"));
        assert_eq!(p.birthday, Some(time::macros::date!(1971 - 03 - 14)));
        assert_eq!(v[0].draft.tags, vec!["vip".to_string(), "messe 2025".to_string()]);
        assert_eq!(v[1].draft.personal.birthday, None);
    }

    const ANDROID: &str = "BEGIN:VCARD\r\n\
VERSION:2.1\r\n\
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=4D=C3=BC=6C=6C=65=72;=4A=C3=BC=72=67=65=6E;;Herr;\r\n\
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Herr =4A=C3=BC=72=67=65=6E =4D=C3=BC=6C=6C=65=72\r\n\
TEL;CELL;PREF:0151-23456789\r\n\
TEL;HOME;VOICE:+49 30 1234567\r\n\
EMAIL;HOME:juergen.mueller@example.net\r\n\
ADR;HOME;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;;Schillerstra=C3=9Fe 5;K=C3=B6ln;;50667;Deutschland\r\n\
NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:Gr=FC=DFe an die Familie=0D=0A=\r\n\
Zweite Zeile mit =C4rger\r\n\
BDAY:19800229\r\n\
X-ANDROID-CUSTOM:vnd.android.cursor.item/nickname;Jo;1;;;;;;;;;;;;;\r\n\
END:VCARD\r\n\
BEGIN:VCARD\r\n\
VERSION:2.1\r\n\
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Anna =C3=96zt=C3=BCrk\r\n\
TEL;WORK:0221 123456\r\n\
END:VCARD\r\n";

    #[test]
    fn an_old_android_export_with_quoted_printable_umlauts_is_read() {
        let r = read_vcards(ANDROID).unwrap();
        assert!(r.errors.is_empty());
        assert_eq!(r.ignored_properties, vec!["X-ANDROID-CUSTOM".to_string()]);
        assert_eq!(r.rows.iter().map(|r| r.row).collect::<Vec<_>>(), vec![1, 14]);
        let (v, errors) = validate_rows(&r.rows);
        assert!(errors.is_empty(), "{errors:?}");
        let p = &v[0].draft.personal;
        assert_eq!(
            (p.salutation.as_deref(), p.given_name.as_deref(), p.family_name.as_deref()),
            (Some("Herr"), Some("Jürgen"), Some("Müller"))
        );
        assert_eq!(
            p.phones.iter().map(|t| (t.number.as_str(), t.label.as_deref())).collect::<Vec<_>>(),
            vec![("+4915123456789", Some("mobile")), ("+49301234567", Some("home"))]
        );
        assert_eq!(p.addresses[0].street.as_deref(), Some("Schillerstraße 5"));
        assert_eq!(p.addresses[0].city.as_deref(), Some("Köln"));
        assert_eq!(p.notes.as_deref(), Some("Grüße an die Familie\nZweite Zeile mit Ärger"));
        assert_eq!(p.birthday, Some(time::macros::date!(1980 - 02 - 29)));
        let q = &v[1].draft.personal;
        assert_eq!((q.given_name.as_deref(), q.family_name.as_deref()), (Some("Anna"), Some("Öztürk")));
    }

    #[test]
    fn vcard_4_parameters_and_kinds_are_understood() {
        let text = "BEGIN:VCARD\nVERSION:4.0\nKIND:org\nFN:ACME\nEND:VCARD\n\
                    BEGIN:VCARD\nVERSION:4.0\nKIND:group\nFN:Team\nEND:VCARD\n\
                    BEGIN:VCARD\nVERSION:4.0\nFN:Mustermann\\, Erika\nLANG;PREF=2:en\nLANG;PREF=1:de-AT\n\
                    TEL;VALUE=uri;TYPE=\"voice,home\":tel:+49-30-1234567;ext=12\nEND:VCARD\n";
        let r = read_vcards(text).unwrap();
        assert_eq!(r.errors[0], RowError::new(1, "KIND", "organization cards are not imported as contacts"));
        assert_eq!(r.errors[1].row, 6);
        let c = &r.rows[0].contact;
        assert_eq!(
            (c.given_name.as_deref(), c.family_name.as_deref(), c.language.as_deref()),
            (Some("Erika"), Some("Mustermann"), Some("de-AT"))
        );
        let t = &c.phones.as_ref().unwrap()[0];
        assert_eq!((t.number.as_str(), t.label.as_deref()), ("+49-30-1234567", Some("home")));
    }

    #[test]
    fn a_missing_end_names_the_line_of_the_card() {
        let text = "BEGIN:VCARD\nVERSION:3.0\nN:A;B;;;\nEND:VCARD\n\nBEGIN:VCARD\nVERSION:3.0\nN:C;D;;;\n";
        assert_eq!(parse_vcards(text), Err(ImportError::Vcard { line: 6, message: "the card that begins here has no END:VCARD".into() }));
        let e = parse_vcards("BEGIN:VCARD\nN:A;B\nBEGIN:VCARD\nN:C;D\nEND:VCARD\n").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("the file could not be read as vCard (line 1): the card that begins here has no END:VCARD before the next card in line 3")
        );
        assert!(parse_vcards("Vorname;Nachname\n").is_err());
    }

    #[test]
    fn import_reads_vcard_files() {
        let p = crate::import::parse_import(ANDROID.as_bytes(), "kontakte.vcf").unwrap();
        assert_eq!((p.format, p.delimiter, p.rows.len()), (crate::import::ImportFormat::Vcard, None, 2));
    }

    fn personal() -> impl Strategy<Value = ContactPersonal> {
        let text = |n: usize| proptest::string::string_regex(&format!("[^\\p{{C}}]{{0,{n}}}")).unwrap();
        let label = proptest::option::of(prop_oneof![Just("work".to_string()), Just("mobile".to_string()), "[A-Za-zäöüß ;:.\"^]{1,20}"]);
        (
            (
                proptest::option::of(prop_oneof![Just("Herr"), Just("Frau"), Just("Ms."), Just("Divers")]),
                proptest::option::of(prop_oneof![Just("Dr."), Just("Prof. Dr. med."), Just("Dipl.-Ing."), Just("M.Sc.")]),
            ),
            (text(40), text(40), text(120), text(30), text(20)),
            (
                proptest::collection::vec(("[a-z0-9]{1,10}", label.clone()), 0..3),
                proptest::collection::vec((0u32..1_000_000, label.clone()), 0..3),
                label,
            ),
            ("[^\\p{C}]{0,80}(\n[^\\p{C}]{0,300})?", 1900i32..2099, 1u8..=28),
        )
            .prop_map(|((sal, title), (given, family, street, city, job), (emails, phones, alabel), (notes, year, day))| {
                let input = ContactInput {
                    salutation: sal.map(str::to_string),
                    title: title.map(str::to_string),
                    given_name: Some(given),
                    family_name: Some(format!("X{family}")),
                    emails: Some(
                        emails
                            .into_iter()
                            .enumerate()
                            .map(|(i, (l, label))| EmailInput { address: format!("{l}{i}@example.com"), label, purposes: None })
                            .collect(),
                    ),
                    phones: Some(
                        phones
                            .into_iter()
                            .map(|(n, label)| PhoneInput { number: format!("030 {}", 2_000_000 + n), label, purposes: None })
                            .collect(),
                    ),
                    addresses: Some(vec![AddressInput {
                        purposes: None,
                        label: alabel,
                        street: Some(street),
                        postal_code: Some("10115".into()),
                        city: Some(city),
                        country: Some("AT".into()),
                    }]),
                    job_title: Some(job),
                    birthday: Some(format!("{year}-03-{day:02}")),
                    notes: Some(notes),
                    ..Default::default()
                };
                input.validate().map(|d| d.personal).unwrap_or_default()
            })
    }

    proptest! {
        #[test]
        fn any_contact_round_trips_through_vcard(p in personal(), tags in proptest::collection::vec("[a-zäöü0-9 ._-]{1,20}", 0..4)) {
            prop_assume!(p.family_name.is_some());
            let tags: Vec<String> = tags.iter().filter_map(|t| tidy_tag(t)).map(|t| t.to_lowercase()).fold(Vec::new(), |mut acc, t| { if !acc.contains(&t) { acc.push(t) } acc });
            let card = write_vcard("id", ContactKind::B2c, &p, None, Some("fr"), &tags);
            for l in card.split("\r\n") {
                prop_assert!(l.len() <= 75);
            }
            let rows = parse_vcards(&card).unwrap();
            let (v, errors) = validate_rows(&rows);
            prop_assert!(errors.is_empty(), "{:?}", errors);
            prop_assert_eq!(&v[0].draft.personal, &p);
            prop_assert_eq!(&v[0].draft.tags, &tags);
        }

        #[test]
        fn reading_never_panics(s in "(BEGIN:VCARD|END:VCARD|N:|FN:|EMAIL;TYPE=\"|=C3|=\r\n|\\\\|;|:|,|\"| |\r\n|[a-zä]{0,5}){0,60}") {
            let _ = read_vcards(&s);
        }
    }
}
