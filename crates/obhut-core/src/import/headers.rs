//! CSV headers matched by name, in German or English, as Outlook, Google Contacts, Excel
//! lists and our own export write them, without any mapping file: which column fills which
//! contact field.

use crate::contact_file::{normalize_header, ImportError};

/// The contact fields a CSV column can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Field {
    Kind,
    Salutation,
    Title,
    GivenName,
    FamilyName,
    Email,
    Phone,
    Street,
    HouseNumber,
    PostalCode,
    City,
    Country,
    Organization,
    JobTitle,
    Birthday,
    Language,
    Tags,
    Notes,
}

impl Field {
    /// Fields of a contact point or address, which a qualifier such as "geschäftlich" labels.
    fn takes_label(self) -> bool {
        matches!(self, Self::Email | Self::Phone | Self::Street | Self::HouseNumber | Self::PostalCode | Self::City | Self::Country)
    }
    /// Fields of which a row may carry several.
    fn repeats(self) -> bool {
        matches!(self, Self::Email | Self::Phone)
    }
}

/// Normalised header names (lower case, umlauts spelled out, only letters and digits):
/// German and English, as Outlook, Google Contacts, Excel lists and our own export write them.
const HEADERS: &[(&str, Field)] = {
    use Field::*;
    &[
        ("kind", Kind),
        ("typ", Kind),
        ("kundentyp", Kind),
        ("kundenart", Kind),
        ("kontakttyp", Kind),
        ("kontaktart", Kind),
        ("anrede", Salutation),
        ("salutation", Salutation),
        ("titel", Title),
        ("title", Title),
        ("akademischertitel", Title),
        ("vorname", GivenName),
        ("vornamen", GivenName),
        ("rufname", GivenName),
        ("firstname", GivenName),
        ("givenname", GivenName),
        ("forename", GivenName),
        ("prenom", GivenName),
        ("nachname", FamilyName),
        ("familienname", FamilyName),
        ("zuname", FamilyName),
        ("lastname", FamilyName),
        ("surname", FamilyName),
        ("familyname", FamilyName),
        ("email", Email),
        ("emails", Email),
        ("emailadresse", Email),
        ("emailaddress", Email),
        ("emailvalue", Email),
        ("mail", Email),
        ("mailadresse", Email),
        ("telefon", Phone),
        ("tel", Phone),
        ("telnr", Phone),
        ("telefonnr", Phone),
        ("telefonnummer", Phone),
        ("rufnummer", Phone),
        ("festnetz", Phone),
        ("fon", Phone),
        ("phone", Phone),
        ("phonenumber", Phone),
        ("phonevalue", Phone),
        ("telephone", Phone),
        ("strasse", Street),
        ("strassehausnummer", Street),
        ("strasseundhausnummer", Street),
        ("street", Street),
        ("streetaddress", Street),
        ("addressstreet", Street),
        ("adresse", Street),
        ("address", Street),
        ("anschrift", Street),
        ("hausnummer", HouseNumber),
        ("hausnr", HouseNumber),
        ("housenumber", HouseNumber),
        ("plz", PostalCode),
        ("postleitzahl", PostalCode),
        ("zip", PostalCode),
        ("zipcode", PostalCode),
        ("postalcode", PostalCode),
        ("postcode", PostalCode),
        ("addresspostalcode", PostalCode),
        ("ort", City),
        ("stadt", City),
        ("wohnort", City),
        ("city", City),
        ("town", City),
        ("addresscity", City),
        ("land", Country),
        ("landregion", Country),
        ("staat", Country),
        ("country", Country),
        ("countryregion", Country),
        ("addresscountry", Country),
        ("firma", Organization),
        ("firmenname", Organization),
        ("unternehmen", Organization),
        ("organisation", Organization),
        ("organization", Organization),
        ("organizationname", Organization),
        ("organisationname", Organization),
        ("company", Organization),
        ("companyname", Organization),
        ("arbeitgeber", Organization),
        ("position", JobTitle),
        ("funktion", JobTitle),
        ("beruf", JobTitle),
        ("berufsbezeichnung", JobTitle),
        ("jobtitle", JobTitle),
        ("organizationtitle", JobTitle),
        ("role", JobTitle),
        ("rolle", JobTitle),
        ("geburtstag", Birthday),
        ("geburtsdatum", Birthday),
        ("birthday", Birthday),
        ("birthdate", Birthday),
        ("dateofbirth", Birthday),
        ("sprache", Language),
        ("korrespondenzsprache", Language),
        ("language", Language),
        ("tags", Tags),
        ("schlagworte", Tags),
        ("schlagwoerter", Tags),
        ("stichworte", Tags),
        ("kategorien", Tags),
        ("categories", Tags),
        ("labels", Tags),
        ("notiz", Notes),
        ("notizen", Notes),
        ("bemerkung", Notes),
        ("bemerkungen", Notes),
        ("kommentar", Notes),
        ("note", Notes),
        ("notes", Notes),
        ("comment", Notes),
        ("comments", Notes),
    ]
};

/// Headers that mean a mobile phone.
const MOBILE_HEADERS: &[&str] = &[
    "mobil",
    "mobile",
    "mobiltelefon",
    "mobilephone",
    "mobilnummer",
    "mobilfunk",
    "mobilfunknummer",
    "handy",
    "handynummer",
    "cell",
    "cellphone",
];

/// Headers that only count when no clearer column is there: "Name" is the family name in a
/// German list, but Google writes it beside "Family Name" for the whole name.
const WEAK_HEADERS: &[(&str, Field)] = &[("name", Field::FamilyName)];

/// Words before or after a contact-point header that say which kind it is, as a label.
const QUALIFIERS: &[(&str, &str)] = &[
    ("geschaeftlich", "work"),
    ("geschaefts", "work"),
    ("business", "work"),
    ("work", "work"),
    ("dienstlich", "work"),
    ("dienst", "work"),
    ("buero", "work"),
    ("firmen", "work"),
    ("privat", "home"),
    ("private", "home"),
    ("home", "home"),
    ("personal", "home"),
    ("weitere", "other"),
    ("andere", "other"),
    ("other", "other"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Mapped {
    pub(super) field: Field,
    pub(super) label: Option<&'static str>,
    pub(super) weak: bool,
}

fn lookup(n: &str) -> Option<Mapped> {
    if MOBILE_HEADERS.contains(&n) {
        return Some(Mapped { field: Field::Phone, label: Some("mobile"), weak: false });
    }
    if let Some((_, f)) = HEADERS.iter().find(|(k, _)| *k == n) {
        return Some(Mapped { field: *f, label: None, weak: false });
    }
    WEAK_HEADERS.iter().find(|(k, _)| *k == n).map(|(_, f)| Mapped { field: *f, label: None, weak: true })
}

/// The field a header names: exactly, without its numbering ("E-Mail 2", "Address 1 -
/// Street"), or without a qualifier ("Telefon geschäftlich", "Home Street").
pub(super) fn map_header(raw: &str) -> Option<Mapped> {
    let n = normalize_header(raw);
    if n.is_empty() {
        return None;
    }
    if let Some(m) = lookup(&n) {
        return Some(m);
    }
    let n: String = n.chars().filter(|c| !c.is_ascii_digit()).collect();
    if let Some(m) = lookup(&n) {
        return Some(m);
    }
    for (q, label) in QUALIFIERS {
        for rest in [n.strip_prefix(q), n.strip_suffix(q)].into_iter().flatten() {
            if let Some(m) = lookup(rest).filter(|m| m.field.takes_label() && !m.weak) {
                return Some(Mapped { label: Some(m.label.unwrap_or(label)), ..m });
            }
        }
    }
    None
}

/// Which column fills which field, worked out once from the header row.
#[derive(Debug)]
pub(super) struct Plan {
    pub(super) columns: Vec<(usize, Mapped)>,
    pub(super) ignored: Vec<String>,
}

pub(super) fn plan_columns(headers: &[String]) -> Result<Plan, ImportError> {
    let mapped: Vec<Option<Mapped>> = headers.iter().map(|h| map_header(h)).collect();
    let strong: Vec<Field> = mapped.iter().flatten().filter(|m| !m.weak).map(|m| m.field).collect();
    let mut taken: Vec<(Field, Option<&'static str>)> = Vec::new();
    let mut plan = Plan { columns: Vec::new(), ignored: Vec::new() };
    for (i, (h, m)) in headers.iter().zip(mapped).enumerate() {
        let m = m.filter(|m| !(m.weak && strong.contains(&m.field)));
        match m {
            Some(m) if m.field.repeats() => plan.columns.push((i, m)),
            Some(m) => {
                // Address parts are one per label; other fields one per row: the first column wins.
                let key = (m.field, if m.field.takes_label() { m.label } else { None });
                if taken.contains(&key) {
                    plan.ignored.push(h.clone());
                } else {
                    taken.push(key);
                    plan.columns.push((i, m));
                }
            }
            None => plan.ignored.push(h.clone()),
        }
    }
    let has = |f: Field| plan.columns.iter().any(|(_, m)| m.field == f);
    if !has(Field::GivenName) && !has(Field::FamilyName) {
        let found: Vec<&str> = headers.iter().map(String::as_str).filter(|h| !h.is_empty()).collect();
        return Err(ImportError::MissingColumns {
            missing: "the given name or the family name (such as Vorname, Nachname, First Name, Last Name)".into(),
            found: if found.is_empty() { "none".into() } else { found.join(", ") },
        });
    }
    Ok(plan)
}
