//! Reading a vCard file: each card a contact row, or the reason it is none.

use super::escape::{split_unescaped, unescape};
use super::names::{is_academic, joined, names_from_full, nonempty, one_line, split_prefixes, Names};
use super::prop::{logical_lines, Prop};
use crate::contact::{AddressInput, ContactInput, EmailInput, PhoneInput};
use crate::contact_file::{normalize_birthday, normalize_language, tidy_tag, ImportError, ImportRow, RowError, MAX_IMPORT_ROWS};
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
