//! Contact import from CSV and vCard files, and the CSV export that reads back in.
//!
//! A file becomes [`ImportRow`]s here, exactly once: the bytes are decoded (UTF-8, UTF-16 or
//! the Windows-1252 of a German Excel), CSV headers are matched by name in German or English
//! without any mapping file, and vCards are read by [`crate::vcard`]. [`validate_rows`] then
//! turns the rows into drafts and names every problem by the row a user sees in a spreadsheet.

use crate::contact::{AddressInput, ContactDraft, ContactInput, ContactKind, ContactPersonal, EmailInput, PhoneInput};
use crate::ids::OrganizationId;
use crate::organization::OrganizationInput;
use crate::search::fold;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;

/// How an import file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    Csv,
    Vcard,
}

impl ImportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Vcard => "vcard",
        }
    }
}

/// One contact read from a file, not yet validated. `row` is what the user sees: the line
/// number in a CSV file (the header is line 1), or the line of `BEGIN:VCARD` in a vCard file.
#[derive(Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub row: usize,
    pub contact: ContactInput,
    /// The organization named in the row; the caller resolves it to an id.
    pub organization_name: Option<String>,
}

/// Personal data: `Debug` shows the row number only.
impl fmt::Debug for ImportRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImportRow {{ row: {}, <redacted> }}", self.row)
    }
}

/// A problem with one row of an import file. `field` is the column in the words of our own
/// CSV export (`email`, `email_2`, `street`…), `*` for the row as a whole, or a vCard property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub message: String,
}

impl RowError {
    pub fn new(row: usize, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { row, field: field.into(), message: message.into() }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field == "*" {
            write!(f, "row {}: {}", self.row, self.message)
        } else {
            write!(f, "row {}, field {}: {}", self.row, self.field, self.message)
        }
    }
}

/// Problems with the file as a whole: nothing of it can be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not a text file; export the contacts as CSV or vCard (an Excel workbook must first be saved as CSV)")]
    NotText,
    #[error("the file has no column for {missing}; columns found: {found}")]
    MissingColumns { missing: String, found: String },
    #[error("the file could not be read as CSV (line {row}): {message}")]
    Csv { row: usize, message: String },
    #[error("the file could not be read as vCard (line {line}): {message}")]
    Vcard { line: usize, message: String },
    #[error("the file holds more than {max} contacts; split it into smaller files")]
    TooManyRows { max: usize },
}

/// Contacts one file may hold.
pub const MAX_IMPORT_ROWS: usize = 2_000_000;

/// A file read into rows. `errors` are rows that could not be read at all (they are not in
/// `rows`); `ignored_columns` are CSV headers (or vCard properties) that map to no field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedImport {
    pub format: ImportFormat,
    /// "UTF-8", "UTF-16LE", "UTF-16BE" or "windows-1252".
    pub encoding: &'static str,
    /// The CSV delimiter found; `None` for vCard.
    pub delimiter: Option<u8>,
    pub rows: Vec<ImportRow>,
    pub errors: Vec<RowError>,
    pub ignored_columns: Vec<String>,
}

/// A row that validated.
///
/// `draft.organization_id` is always `None`: the caller resolves `organization_name` to an
/// organization and then sets `draft.organization_id` and `draft.kind = ContactKind::B2b`.
/// A row with an organization and no kind therefore validates as B2C here and becomes B2B
/// at save time; a row that says `b2b` is validated against a placeholder organization and
/// keeps `kind == B2b`. A row that explicitly says `b2c` keeps no `organization_name`, so the
/// caller never links it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRow {
    pub row: usize,
    pub draft: ContactDraft,
    pub organization_name: Option<String>,
}

/// vCard when the name ends in `.vcf`/`.vcard` or the content starts with `BEGIN:VCARD`; else CSV.
pub fn detect_format(bytes: &[u8], file_name: &str) -> ImportFormat {
    match decode(bytes) {
        Ok((text, _)) => detect_in_text(&text, file_name),
        Err(_) => detect_in_text("", file_name),
    }
}

fn detect_in_text(text: &str, file_name: &str) -> ImportFormat {
    let ext = file_name.rsplit_once('.').map(|(_, e)| e.trim().to_ascii_lowercase());
    let head = text.trim_start();
    let vcard_content = head.get(..11).is_some_and(|h| h.eq_ignore_ascii_case("BEGIN:VCARD"));
    if matches!(ext.as_deref(), Some("vcf" | "vcard")) || vcard_content {
        ImportFormat::Vcard
    } else {
        ImportFormat::Csv
    }
}

/// Reads a whole import file. Rows that cannot be read land in `errors`; only a file that
/// cannot be read at all is an [`ImportError`].
pub fn parse_import(bytes: &[u8], file_name: &str) -> Result<ParsedImport, ImportError> {
    let mut rows = Vec::new();
    let mut parsed = parse_import_streaming(bytes, file_name, &mut |r| rows.push(r))?;
    parsed.rows = rows;
    Ok(parsed)
}

/// Reads an import file, handing each readable row to `sink` as soon as it is read (so a
/// caller can check and write early rows while later ones are read). The result holds
/// everything else: format, encoding, unreadable rows, ignored columns; its `rows` are empty.
/// An error can come after rows were handed out: the caller must then discard them.
pub fn parse_import_streaming(bytes: &[u8], file_name: &str, sink: &mut dyn FnMut(ImportRow)) -> Result<ParsedImport, ImportError> {
    let (text, encoding) = decode(bytes)?;
    match detect_in_text(&text, file_name) {
        ImportFormat::Vcard => {
            let v = crate::vcard::read_vcards(&text)?;
            v.rows.into_iter().for_each(&mut *sink);
            Ok(ParsedImport {
                format: ImportFormat::Vcard,
                encoding,
                delimiter: None,
                rows: Vec::new(),
                errors: v.errors,
                ignored_columns: v.ignored_properties,
            })
        }
        ImportFormat::Csv => parse_csv(&text, encoding, sink),
    }
}

// ---------------------------------------------------------------------------------------
// Decoding

/// The text of a file and the name of its encoding.
fn decode(bytes: &[u8]) -> Result<(String, &'static str), ImportError> {
    use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};
    if bytes.is_empty() {
        return Err(ImportError::Empty);
    }
    let with = |enc: &'static Encoding, b: &[u8]| (enc.decode_without_bom_handling(b).0.into_owned(), enc.name());
    let (text, name) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        with(UTF_8, rest)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        with(UTF_16LE, rest)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        with(UTF_16BE, rest)
    } else if let Some(enc) = utf16_without_bom(bytes) {
        with(enc, bytes)
    } else if bytes.contains(&0) {
        return Err(ImportError::NotText);
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        (s.to_owned(), "UTF-8")
    } else {
        // Not UTF-8: a German Excel saves "CSV (Trennzeichen-getrennt)" in Windows-1252.
        with(WINDOWS_1252, bytes)
    };
    let text = match text.strip_prefix('\u{feff}') {
        Some(t) => t.to_owned(),
        None => text,
    };
    let controls = text.chars().filter(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1a')).count();
    if text.contains('\0') || controls > text.len() / 100 + 2 {
        return Err(ImportError::NotText);
    }
    if text.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    Ok((text, name))
}

/// UTF-16 without a byte order mark, recognised by ASCII text interleaved with NUL bytes.
fn utf16_without_bom(b: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let printable = |c: u8| c == b'\t' || c == b'\n' || c == b'\r' || (0x20..0x7f).contains(&c);
    match b {
        [a, 0, c, 0, ..] if printable(*a) && printable(*c) => Some(encoding_rs::UTF_16LE),
        [0, a, 0, c, ..] if printable(*a) && printable(*c) => Some(encoding_rs::UTF_16BE),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// CSV

/// The contact fields a CSV column can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
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
struct Mapped {
    field: Field,
    label: Option<&'static str>,
    weak: bool,
}

fn normalize_header(h: &str) -> String {
    fold(h).chars().filter(char::is_ascii_alphanumeric).collect()
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
fn map_header(raw: &str) -> Option<Mapped> {
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
struct Plan {
    columns: Vec<(usize, Mapped)>,
    ignored: Vec<String>,
}

fn plan_columns(headers: &[String]) -> Result<Plan, ImportError> {
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

/// `;`, `,` or tab, whichever the header line holds most often outside quotes (`;` on a tie,
/// as a German Excel writes it).
fn sniff_delimiter(text: &str) -> u8 {
    let (mut semi, mut comma, mut tab) = (0usize, 0usize, 0usize);
    let mut in_quotes = false;
    let mut started = false;
    for c in text.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            '\n' | '\r' if !in_quotes && started => break,
            ';' if !in_quotes => semi += 1,
            ',' if !in_quotes => comma += 1,
            '\t' if !in_quotes => tab += 1,
            _ => {}
        }
        started |= !c.is_whitespace();
    }
    if semi >= comma && semi >= tab {
        b';'
    } else if tab >= comma {
        b'\t'
    } else {
        b','
    }
}

/// Excel's `sep=;` first line, which names the delimiter.
fn sep_hint(text: &str) -> Option<u8> {
    let first = text.trim_start().lines().next()?.trim_end_matches(['\r', ' ']);
    let d = first.get(..4).filter(|p| p.eq_ignore_ascii_case("sep=")).and_then(|_| first.get(4..))?;
    match d.as_bytes() {
        [b] if matches!(b, b';' | b',' | b'\t' | b'|') => Some(*b),
        _ => None,
    }
}

/// Line numbers from byte offsets. The csv crate's own line count lags behind after a CRLF
/// or a blank line, and a user must find the row in the spreadsheet, so we count ourselves.
struct Lines<'a> {
    text: &'a str,
    byte: usize,
    line: usize,
}

impl Lines<'_> {
    /// The line on which the record at this position starts (records come in file order).
    fn of(&mut self, p: Option<&csv::Position>) -> usize {
        let Some(mut start) = p.and_then(|p| usize::try_from(p.byte()).ok()) else {
            return self.line;
        };
        let bytes = self.text.as_bytes();
        // A record's position can point at the line break that ends the previous one.
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start > self.byte {
            let end = start.min(bytes.len());
            self.line += bytes.get(self.byte..end).map_or(0, |b| b.iter().filter(|c| **c == b'\n').count());
            self.byte = end;
        }
        self.line
    }
}

fn parse_csv(text: &str, encoding: &'static str, sink: &mut dyn FnMut(ImportRow)) -> Result<ParsedImport, ImportError> {
    let hint = sep_hint(text);
    let delimiter = hint.unwrap_or_else(|| sniff_delimiter(text));
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut plan: Option<(Plan, usize)> = None;
    let mut skipped_hint = hint.is_none();
    let mut rows = 0usize;
    let mut errors = Vec::new();
    let mut lines = Lines { text, byte: 0, line: 1 };
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(ImportError::Csv { row: lines.of(e.position()), message: csv_message(&e) }),
        }
        let line = lines.of(record.position());
        if record.iter().all(str::is_empty) {
            continue;
        }
        if !skipped_hint {
            skipped_hint = true;
            if record.get(0).is_some_and(|f| f.to_ascii_lowercase().starts_with("sep=")) {
                continue;
            }
        }
        let Some((plan, width)) = &plan else {
            let headers: Vec<String> = record.iter().map(str::to_string).collect();
            plan = Some((plan_columns(&headers)?, headers.len()));
            continue;
        };
        if rows + errors.len() >= MAX_IMPORT_ROWS {
            return Err(ImportError::TooManyRows { max: MAX_IMPORT_ROWS });
        }
        // A trailing delimiter (extra empty fields) is harmless; any other mismatch shifts columns.
        let extra_empty = record.len() > *width && record.iter().skip(*width).all(str::is_empty);
        if record.len() != *width && !extra_empty {
            errors.push(RowError::new(line, "*", format!("has {} fields but the header has {}", record.len(), width)));
            continue;
        }
        sink(csv_row(line, plan, &record));
        rows += 1;
    }
    if plan.is_none() {
        return Err(ImportError::Empty);
    }
    let ignored_columns = plan.map(|(p, _)| p.ignored).unwrap_or_default();
    Ok(ParsedImport { format: ImportFormat::Csv, encoding, delimiter: Some(delimiter), rows: Vec::new(), errors, ignored_columns })
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "the text is not valid UTF-8".into(),
        _ => e.to_string(),
    }
}

/// One data record, read through the plan.
fn csv_row(line: usize, plan: &Plan, record: &csv::StringRecord) -> ImportRow {
    let mut c = ContactInput::default();
    let mut organization_name = None;
    let mut emails: Vec<EmailInput> = Vec::new();
    let mut phones: Vec<PhoneInput> = Vec::new();
    // Address parts by label, in the order their first column appears.
    let mut addresses: Vec<(Option<&'static str>, AddressInput, Option<String>)> = Vec::new();
    let mut tags: Vec<String> = Vec::new();
    for (i, m) in &plan.columns {
        let v = unguard(record.get(*i).unwrap_or("")).trim();
        if v.is_empty() {
            continue;
        }
        let text = Some(v.to_string());
        match m.field {
            Field::Kind => c.kind = Some(normalize_kind(v)),
            Field::Salutation => c.salutation = text,
            Field::Title => c.title = text,
            Field::GivenName => c.given_name = text,
            Field::FamilyName => c.family_name = text,
            Field::JobTitle => c.job_title = text,
            Field::Notes => c.notes = text,
            Field::Organization => organization_name = text,
            Field::Birthday => c.birthday = normalize_birthday(v),
            Field::Language => c.language = Some(normalize_language(v)),
            Field::Tags => tags.extend(split_tags(v)),
            Field::Email => {
                // A cell may hold several addresses, and Outlook writes "Name <address>".
                for part in v.split([';', ',']).map(str::trim).filter(|p| !p.is_empty()) {
                    let address = match (part.rfind('<'), part.strip_suffix('>')) {
                        (Some(open), Some(inner)) => inner.get(open + 1..).unwrap_or(part).trim(),
                        _ => part,
                    };
                    emails.push(EmailInput { address: address.to_string(), label: m.label.map(str::to_string), purposes: None });
                }
            }
            Field::Phone => {
                for part in v.split([';', ',']).map(str::trim).filter(|p| !p.is_empty()) {
                    phones.push(PhoneInput { number: part.to_string(), label: m.label.map(str::to_string), purposes: None });
                }
            }
            Field::Street | Field::HouseNumber | Field::PostalCode | Field::City | Field::Country => {
                let pos = match addresses.iter().position(|(l, _, _)| *l == m.label) {
                    Some(p) => p,
                    None => {
                        let a = AddressInput { label: m.label.map(str::to_string), ..Default::default() };
                        addresses.push((m.label, a, None));
                        addresses.len() - 1
                    }
                };
                if let Some((_, a, house)) = addresses.get_mut(pos) {
                    match m.field {
                        Field::Street => a.street = text,
                        Field::HouseNumber => *house = text,
                        Field::PostalCode => a.postal_code = text,
                        Field::City => a.city = text,
                        _ => a.country = text,
                    }
                }
            }
        }
    }
    let addresses: Vec<AddressInput> = addresses
        .into_iter()
        .map(|(_, mut a, house)| {
            if let Some(h) = house {
                a.street = Some(match a.street.take() {
                    Some(s) => format!("{s} {h}"),
                    None => h,
                });
            }
            a
        })
        .collect();
    c.emails = Some(emails).filter(|v| !v.is_empty());
    c.phones = Some(phones).filter(|v| !v.is_empty());
    c.addresses = Some(addresses).filter(|v| !v.is_empty());
    c.tags = Some(tags).filter(|v| !v.is_empty());
    ImportRow { row: line, contact: c, organization_name }
}

/// Undoes the formula guard of [`csv_export_record`]: `'=x` reads as `=x`.
fn unguard(v: &str) -> &str {
    match v.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => v,
    }
}

fn normalize_kind(v: &str) -> String {
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
fn split_tags(v: &str) -> Vec<String> {
    v.split(":::").flat_map(|p| p.split([',', '|', ';'])).map(str::trim).filter(|p| !p.starts_with('*')).filter_map(tidy_tag).collect()
}

pub(crate) fn tidy_tag(t: &str) -> Option<String> {
    let cleaned: String = t.chars().map(|c| if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.') { c } else { ' ' }).collect();
    let tag: String = cleaned.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(40).collect();
    let tag = tag.trim().to_string();
    (!tag.is_empty()).then_some(tag)
}

// ---------------------------------------------------------------------------------------
// Validation

/// Validates every row; a row with any problem yields [`RowError`]s and no [`ValidRow`].
/// Beyond [`ContactInput::validate`], a row whose email or phone number an earlier valid row
/// already has is reported as a duplicate of that row.
pub fn validate_rows(rows: &[ImportRow]) -> (Vec<ValidRow>, Vec<RowError>) {
    dedup_rows(rows.iter().map(validate_row).collect())
}

/// Checks one row on its own (no duplicate check across rows).
pub fn validate_row(r: &ImportRow) -> Result<ValidRow, Vec<RowError>> {
    let org = r.organization_name.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let kind = r.contact.kind.as_deref().and_then(|k| ContactKind::parse(k).ok());
    let mut input = r.contact.clone();
    let no_org_id = input.organization_id.as_deref().is_none_or(|s| s.trim().is_empty());
    // A B2B row gets its organization id only when saved; validate against a placeholder.
    let placeholder = kind == Some(ContactKind::B2b) && org.is_some() && no_org_id;
    if placeholder {
        input.organization_id = Some(OrganizationId(uuid::Uuid::nil()).to_string());
    }
    let mut row_errors: Vec<RowError> = Vec::new();
    let draft = match input.validate() {
        Ok(d) => Some(d),
        Err(e) => {
            row_errors.extend(e.0.into_iter().map(|f| RowError::new(r.row, friendly_field(&f.field), f.message)));
            None
        }
    };
    if let Some(name) = org {
        if let Err(e) = (OrganizationInput { name: Some(name.to_string()), ..Default::default() }).validate() {
            row_errors.extend(e.0.into_iter().map(|f| RowError::new(r.row, "organization", f.message)));
        }
    }
    let Some(mut draft) = draft.filter(|_| row_errors.is_empty()) else {
        return Err(row_errors);
    };
    if placeholder {
        draft.organization_id = None;
    }
    let organization_name = org.filter(|_| kind != Some(ContactKind::B2c)).map(str::to_string);
    Ok(ValidRow { row: r.row, draft, organization_name })
}

/// The rule for duplicates inside one file: the first row with an email or phone keeps it;
/// a later row repeating one is refused as a duplicate of that row. Generic over the key, so
/// the import service can apply it to blind index tokens instead of plain values.
#[derive(Debug)]
pub struct FirstSeen<K> {
    emails: HashMap<K, usize>,
    phones: HashMap<K, usize>,
}

impl<K: Eq + std::hash::Hash> Default for FirstSeen<K> {
    fn default() -> Self {
        Self { emails: HashMap::new(), phones: HashMap::new() }
    }
}

impl<K: Eq + std::hash::Hash> FirstSeen<K> {
    /// The errors of `row` when it repeats an earlier row's email or phone; otherwise none, and
    /// its keys are remembered for the rows after it.
    pub fn check(&mut self, row: usize, emails: Vec<K>, phones: Vec<K>) -> Vec<RowError> {
        let mut errors = Vec::new();
        if let Some(first) = emails.iter().find_map(|e| self.emails.get(e)) {
            errors.push(RowError::new(row, "email", format!("duplicate of row {first}")));
        }
        if let Some(first) = phones.iter().find_map(|p| self.phones.get(p)) {
            errors.push(RowError::new(row, "phone", format!("duplicate of row {first}")));
        }
        if errors.is_empty() {
            for e in emails {
                self.emails.entry(e).or_insert(row);
            }
            for p in phones {
                self.phones.entry(p).or_insert(row);
            }
        }
        errors
    }
}

/// Keeps the first row of each email and phone; later rows with one of them become errors.
fn dedup_rows(checked: Vec<Result<ValidRow, Vec<RowError>>>) -> (Vec<ValidRow>, Vec<RowError>) {
    let mut valid = Vec::with_capacity(checked.len());
    let mut errors = Vec::new();
    let mut seen: FirstSeen<String> = FirstSeen::default();
    for c in checked {
        let v = match c {
            Ok(v) => v,
            Err(e) => {
                errors.extend(e);
                continue;
            }
        };
        let emails = v.draft.personal.emails.iter().map(|e| e.address.normalized()).collect();
        let phones = v.draft.personal.phones.iter().map(|p| p.number.as_str().to_string()).collect();
        let row_errors = seen.check(v.row, emails, phones);
        if row_errors.is_empty() {
            valid.push(v);
        } else {
            errors.extend(row_errors);
        }
    }
    (valid, errors)
}

/// A validation field path in the words of the CSV export: `emails[1].address` is `email_2`.
fn friendly_field(f: &str) -> String {
    let indexed = |rest: &str| -> Option<(usize, String)> {
        let (i, tail) = rest.split_once(']')?;
        Some((i.parse().ok()?, tail.trim_start_matches('.').to_string()))
    };
    let numbered = |base: &str, i: usize| {
        if i == 0 {
            base.to_string()
        } else {
            format!("{base}_{}", i + 1)
        }
    };
    if let Some((i, _)) = f.strip_prefix("emails[").and_then(indexed) {
        numbered("email", i)
    } else if let Some((i, _)) = f.strip_prefix("phones[").and_then(indexed) {
        numbered("phone", i)
    } else if let Some((i, part)) = f.strip_prefix("addresses[").and_then(indexed) {
        numbered(if part.is_empty() { "address" } else { part.as_str() }, i)
    } else if f.starts_with("tags[") {
        "tags".into()
    } else if f == "organization_id" {
        "organization".into()
    } else {
        f.to_string()
    }
}

// ---------------------------------------------------------------------------------------
// CSV export

/// The columns of a contact CSV export; every one but `id` and `created_at` maps back to its
/// field on import. The last email and phone columns carry any further entries, separated
/// by `; `, so a re-import keeps them all; labels and addresses after the first are not in
/// the CSV (the vCard export keeps them).
pub const CSV_EXPORT_HEADERS: &[&str] = &[
    "id",
    "kind",
    "salutation",
    "title",
    "given_name",
    "family_name",
    "email",
    "email_2",
    "email_3",
    "phone",
    "phone_2",
    "phone_3",
    "street",
    "postal_code",
    "city",
    "country",
    "organization",
    "job_title",
    "birthday",
    "language",
    "tags",
    "notes",
    "created_at",
];

/// What a spreadsheet reads as the start of a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell that starts like a formula, possibly behind quotes of an earlier guard (so that
/// a value starting with `'=` survives the round trip too).
fn needs_guard(v: &str) -> bool {
    v.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// Prefixes `'` to a cell a spreadsheet would run as a formula (CSV injection); the import
/// strips it again.
pub fn guard(v: &str) -> String {
    if needs_guard(v) {
        format!("'{v}")
    } else {
        v.to_string()
    }
}

/// One contact as a row under [`CSV_EXPORT_HEADERS`]. Every text cell is guarded against
/// formula injection, except the phone columns: they hold validated E.164 numbers (`+`
/// and digits only), which no spreadsheet can run, and a `'` would spoil them for other tools.
pub fn csv_export_record(
    id: &str,
    kind: ContactKind,
    p: &ContactPersonal,
    organization_name: Option<&str>,
    language: Option<&str>,
    tags: &[String],
    created_at: &str,
) -> Vec<String> {
    let text = |v: &Option<String>| guard(v.as_deref().unwrap_or(""));
    let nth = |all: Vec<String>, i: usize, last: bool| -> String {
        if last {
            all.get(i..).map(|rest| rest.join("; ")).unwrap_or_default()
        } else {
            all.get(i).cloned().unwrap_or_default()
        }
    };
    let emails = || p.emails.iter().map(|e| e.address.to_string()).collect::<Vec<_>>();
    let phones = || p.phones.iter().map(|n| n.number.to_string()).collect::<Vec<_>>();
    let address = p.addresses.first();
    let part = |f: fn(&crate::contact::PostalAddress) -> &Option<String>| address.map(|a| text(f(a))).unwrap_or_default();
    vec![
        guard(id),
        kind.as_str().to_string(),
        text(&p.salutation),
        text(&p.title),
        text(&p.given_name),
        text(&p.family_name),
        guard(&nth(emails(), 0, false)),
        guard(&nth(emails(), 1, false)),
        guard(&nth(emails(), 2, true)),
        nth(phones(), 0, false),
        nth(phones(), 1, false),
        nth(phones(), 2, true),
        part(|a| &a.street),
        part(|a| &a.postal_code),
        part(|a| &a.city),
        part(|a| &a.country),
        guard(organization_name.unwrap_or("")),
        text(&p.job_title),
        p.birthday.map(|b| b.to_string()).unwrap_or_default(),
        guard(language.unwrap_or("")),
        guard(&tags.join(", ")),
        text(&p.notes),
        guard(created_at),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str) -> ParsedImport {
        parse_import(text.as_bytes(), "kontakte.csv").unwrap()
    }

    #[test]
    fn a_german_excel_file_in_windows_1252_with_semicolons_is_read() {
        let text = "Anrede;Vorname;Nachname;E-Mail;Telefon;Straße;PLZ;Ort;Firma\r\n\
                    Frau;Jürgen;Müller;j.mueller@example.com;030 1234567;Schillerstraße 5;10115;Berlin;Müller GmbH\r\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        let p = parse_import(&bytes, "Kontakte.csv").unwrap();
        assert_eq!((p.format, p.encoding, p.delimiter), (ImportFormat::Csv, "windows-1252", Some(b';')));
        assert!(p.errors.is_empty() && p.ignored_columns.is_empty(), "{:?} {:?}", p.errors, p.ignored_columns);
        let r = &p.rows[0];
        assert_eq!(r.row, 2);
        assert_eq!(r.contact.given_name.as_deref(), Some("Jürgen"));
        assert_eq!(r.contact.family_name.as_deref(), Some("Müller"));
        assert_eq!(r.contact.salutation.as_deref(), Some("Frau"));
        assert_eq!(r.organization_name.as_deref(), Some("Müller GmbH"));
        let a = &r.contact.addresses.as_ref().unwrap()[0];
        assert_eq!(
            (a.street.as_deref(), a.postal_code.as_deref(), a.city.as_deref()),
            (Some("Schillerstraße 5"), Some("10115"), Some("Berlin"))
        );
    }

    #[test]
    fn an_english_outlook_export_with_a_bom_and_commas_is_read() {
        let text = "\u{feff}Title,First Name,Middle Name,Last Name,Company,Job Title,Business Street,Business City,Business Postal Code,\
                    Business Country/Region,Home Street,Home City,Business Phone,Business Phone 2,Mobile Phone,E-mail Address,E-mail Type,\
                    E-mail 2 Address,Birthday,Categories,Notes\n\
                    Dr.,Anna,Maria,Schmidt,Schmidt & Partner,Partnerin,Hauptstraße 1,Köln,50667,Germany,Lindenweg 2,Bonn,0221 123456,,\
                    0151 23456789,anna@example.com,SMTP,anna.privat@example.org,4/12/1980,\"Kunden; VIP\",\"Zwei\nZeilen\"\n";
        let p = parse(text);
        assert_eq!((p.encoding, p.delimiter), ("UTF-8", Some(b',')));
        assert_eq!(p.ignored_columns, vec!["Middle Name".to_string(), "E-mail Type".to_string()]);
        let c = &p.rows[0].contact;
        assert_eq!(c.title.as_deref(), Some("Dr."));
        assert_eq!(c.job_title.as_deref(), Some("Partnerin"));
        assert_eq!(c.birthday.as_deref(), Some("1980-04-12"));
        assert_eq!(c.tags, Some(vec!["Kunden".to_string(), "VIP".to_string()]));
        assert_eq!(c.notes.as_deref(), Some("Zwei\nZeilen"));
        let phones: Vec<(&str, Option<&str>)> = c.phones.iter().flatten().map(|p| (p.number.as_str(), p.label.as_deref())).collect();
        assert_eq!(phones, vec![("0221 123456", Some("work")), ("0151 23456789", Some("mobile"))]);
        let emails: Vec<&str> = c.emails.iter().flatten().map(|e| e.address.as_str()).collect();
        assert_eq!(emails, vec!["anna@example.com", "anna.privat@example.org"]);
        let addresses: Vec<(Option<&str>, Option<&str>, Option<&str>)> =
            c.addresses.iter().flatten().map(|a| (a.label.as_deref(), a.city.as_deref(), a.country.as_deref())).collect();
        assert_eq!(addresses, vec![(Some("work"), Some("Köln"), Some("Germany")), (Some("home"), Some("Bonn"), None)]);
        let (valid, errors) = validate_rows(&p.rows);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(valid[0].draft.personal.addresses[0].country.as_deref(), Some("DE"));
    }

    #[test]
    fn german_outlook_and_google_headers_map() {
        for (header, field, label) in [
            ("E-Mail-Adresse", Field::Email, None),
            ("E-Mail 2: Adresse", Field::Email, None),
            ("E-mail 1 - Value", Field::Email, None),
            ("Telefon geschäftlich 2", Field::Phone, Some("work")),
            ("Telefon privat", Field::Phone, Some("home")),
            ("Handy", Field::Phone, Some("mobile")),
            ("Phone 1 - Value", Field::Phone, None),
            ("Straße geschäftlich", Field::Street, Some("work")),
            ("Postleitzahl privat", Field::PostalCode, Some("home")),
            ("Land/Region geschäftlich", Field::Country, Some("work")),
            ("Address 1 - Street", Field::Street, None),
            ("Organization 1 - Name", Field::Organization, None),
            ("Organization Title", Field::JobTitle, None),
            ("Familienname", Field::FamilyName, None),
            ("given_name", Field::GivenName, None),
            ("Geburtsdatum", Field::Birthday, None),
            ("Schlagwörter", Field::Tags, None),
            ("Kundentyp", Field::Kind, None),
        ] {
            let m = map_header(header).unwrap_or_else(|| unreachable!("{header} not mapped"));
            assert_eq!((m.field, m.label), (field, label), "{header}");
        }
        for ignored in ["Business Fax", "Weitere Vornamen", "E-Mail-Typ", "Abteilung", "id", "created_at", "Homepage"] {
            assert_eq!(map_header(ignored), None, "{ignored}");
        }
    }

    #[test]
    fn name_is_the_family_name_unless_a_clearer_column_exists() {
        let p = parse("Vorname;Name\nErika;Mustermann\n");
        assert_eq!(p.rows[0].contact.family_name.as_deref(), Some("Mustermann"));
        let p = parse("Name,Given Name,Family Name\nErika Mustermann,Erika,Mustermann\n");
        assert_eq!(p.rows[0].contact.family_name.as_deref(), Some("Mustermann"));
        assert_eq!(p.ignored_columns, vec!["Name".to_string()]);
    }

    #[test]
    fn utf16_with_a_bom_is_decoded() {
        let text = "Vorname\tNachname\r\nJürgen\tMüller\r\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let p = parse_import(&le, "export.txt").unwrap();
        assert_eq!((p.encoding, p.delimiter), ("UTF-16LE", Some(b'\t')));
        assert_eq!(p.rows[0].contact.family_name.as_deref(), Some("Müller"));
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(parse_import(&be, "export.txt").unwrap().encoding, "UTF-16BE");
    }

    #[test]
    fn row_numbers_are_spreadsheet_lines_and_count_multi_line_fields() {
        let p = parse("Vorname;Nachname;Notizen\n\nErika;Muster;\"eins\nzwei\ndrei\"\n;;\nMax;Muster;\n");
        let rows: Vec<usize> = p.rows.iter().map(|r| r.row).collect();
        assert_eq!(rows, vec![3, 7]);
    }

    #[test]
    fn a_record_with_the_wrong_number_of_fields_is_a_row_error() {
        let p = parse("Vorname;Nachname;Ort\nErika;Muster;Berlin\nMax;Muster\nEva;Muster;Bonn;;\n");
        assert_eq!(p.rows.iter().map(|r| r.row).collect::<Vec<_>>(), vec![2, 4]);
        assert_eq!(p.errors, vec![RowError::new(3, "*", "has 2 fields but the header has 3")]);
        assert_eq!(p.errors[0].to_string(), "row 3: has 2 fields but the header has 3");
    }

    #[test]
    fn a_file_without_name_columns_names_what_is_missing() {
        let e = parse_import(b"E-Mail;Telefon\na@example.com;030 123456\n", "x.csv").err();
        let Some(ImportError::MissingColumns { found, .. }) = &e else { unreachable!("{e:?}") };
        assert_eq!(found, "E-Mail, Telefon");
        assert!(e.map(|e| e.to_string()).unwrap_or_default().starts_with("the file has no column for the given name or the family name"));
    }

    #[test]
    fn whole_file_problems_are_errors() {
        assert_eq!(parse_import(b"", "x.csv"), Err(ImportError::Empty));
        assert_eq!(parse_import(b" \r\n\r\n", "x.csv"), Err(ImportError::Empty));
        assert_eq!(parse_import(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "kontakte.xlsx"), Err(ImportError::NotText));
    }

    #[test]
    fn excel_sep_line_names_the_delimiter() {
        let p = parse("sep=,\nVorname,Nachname\nErika,Muster\n");
        assert_eq!(p.delimiter, Some(b','));
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].row, 3);
    }

    #[test]
    fn formats_are_detected_by_name_and_content() {
        assert_eq!(detect_format(b"Vorname;Nachname", "a.VCF"), ImportFormat::Vcard);
        assert_eq!(detect_format(b"\xEF\xBB\xBF\r\nbegin:vcard\r\n", "upload"), ImportFormat::Vcard);
        assert_eq!(detect_format(b"Vorname;Nachname", "a.csv"), ImportFormat::Csv);
    }

    #[test]
    fn spreadsheet_values_are_normalised() {
        assert_eq!(normalize_birthday("3.10.1990").as_deref(), Some("1990-10-03"));
        assert_eq!(normalize_birthday("1990-10-03 00:00:00").as_deref(), Some("1990-10-03"));
        assert_eq!(normalize_birthday("19901003").as_deref(), Some("1990-10-03"));
        assert_eq!(normalize_birthday("0.0.00"), None);
        assert_eq!(normalize_birthday("irgendwann").as_deref(), Some("irgendwann"));
        assert_eq!(normalize_language("Deutsch"), "de");
        assert_eq!(normalize_kind("Firmenkunde"), "b2b");
        assert_eq!(split_tags("* myContacts ::: Kunden/VIP | Messe 2025"), vec!["Kunden VIP".to_string(), "Messe 2025".to_string()]);
    }

    #[test]
    fn validation_errors_name_row_and_column() {
        let p = parse("Vorname;Nachname;E-Mail;E-Mail 2\nErika;Muster;not-an-email;x@y\n");
        let (valid, errors) = validate_rows(&p.rows);
        assert!(valid.is_empty());
        assert_eq!(errors[0].to_string(), "row 2, field email: 'not-an-email' is not a valid email address");
        assert_eq!(errors[1].field, "email_2");
    }

    #[test]
    fn duplicates_inside_the_file_point_to_the_first_row() {
        let p = parse("Vorname;Nachname;E-Mail;Telefon\nA;Eins;a@example.com;030 1234567\nB;Zwei;A@EXAMPLE.COM;\nC;Drei;c@example.com;+49 30 1234567\n");
        let (valid, errors) = validate_rows(&p.rows);
        assert_eq!(valid.len(), 1);
        assert_eq!(errors, vec![RowError::new(3, "email", "duplicate of row 2"), RowError::new(4, "phone", "duplicate of row 2")]);
    }

    #[test]
    fn an_organization_without_a_kind_validates_and_is_linked_by_the_caller() {
        let p = parse("Vorname;Nachname;Firma;Typ\nErika;Muster;Muster GmbH;\nMax;Muster;Muster GmbH;b2b\nEva;Muster;;Geschäftskunde\nOtto;Muster;Muster GmbH;privat\n");
        let (valid, errors) = validate_rows(&p.rows);
        let got: Vec<(usize, ContactKind, Option<&str>, bool)> =
            valid.iter().map(|v| (v.row, v.draft.kind, v.organization_name.as_deref(), v.draft.organization_id.is_some())).collect();
        assert_eq!(
            got,
            vec![
                (2, ContactKind::B2c, Some("Muster GmbH"), false),
                (3, ContactKind::B2b, Some("Muster GmbH"), false),
                (5, ContactKind::B2c, None, false),
            ]
        );
        assert_eq!(errors, vec![RowError::new(4, "organization", "a B2B contact person needs an organization")]);
    }

    fn sample_personal() -> (ContactPersonal, Vec<String>) {
        let input = ContactInput {
            salutation: Some("Frau".into()),
            title: Some("Dr.".into()),
            given_name: Some("Jürgen".into()),
            family_name: Some("=HYPERLINK(\"x\")".into()),
            emails: Some(
                ["a@example.com", "b@example.org", "c@example.net", "d@example.com"]
                    .map(|a| EmailInput { address: a.into(), label: None, purposes: None })
                    .to_vec(),
            ),
            phones: Some(
                ["030 1234567", "0151 23456789", "089 12345678", "040 1234567"]
                    .map(|n| PhoneInput { number: n.into(), label: None, purposes: None })
                    .to_vec(),
            ),
            addresses: Some(vec![AddressInput {
                purposes: None,
                street: Some("Hauptstraße 1; Hinterhaus".into()),
                postal_code: Some("10115".into()),
                city: Some("Berlin".into()),
                country: Some("DE".into()),
                label: None,
            }]),
            job_title: Some("-Leitung".into()),
            birthday: Some("1980-02-29".into()),
            notes: Some("@home\n\"zitiert\", mit; allem".into()),
            ..Default::default()
        };
        let d = input.validate().unwrap();
        (d.personal, vec!["vip".into(), "messe 2025".into()])
    }

    fn export_csv(rows: &[Vec<String>]) -> Vec<u8> {
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        w.write_record(CSV_EXPORT_HEADERS).unwrap();
        for r in rows {
            w.write_record(r).unwrap();
        }
        w.into_inner().unwrap()
    }

    #[test]
    fn an_export_re_imports_losslessly_and_is_guarded_against_formulas() {
        let (p, tags) = sample_personal();
        let rec = csv_export_record("0190-id", ContactKind::B2b, &p, Some("@Muster GmbH"), Some("de"), &tags, "2026-01-01T00:00:00Z");
        assert_eq!(rec.len(), CSV_EXPORT_HEADERS.len());
        assert_eq!(rec[5], "'=HYPERLINK(\"x\")");
        assert_eq!(rec[9], "+49301234567");
        assert_eq!(rec[11], "+498912345678; +49401234567");
        let parsed = parse_import(&export_csv(&[rec]), "export.csv").unwrap();
        assert_eq!(parsed.ignored_columns, vec!["id".to_string(), "created_at".to_string()]);
        let (valid, errors) = validate_rows(&parsed.rows);
        assert!(errors.is_empty(), "{errors:?}");
        let v = &valid[0];
        assert_eq!(v.draft.personal, p);
        assert_eq!((v.draft.kind, v.organization_name.as_deref()), (ContactKind::B2b, Some("@Muster GmbH")));
        assert_eq!((v.draft.language.as_deref(), &v.draft.tags), (Some("de"), &tags));
    }

    proptest! {
        #[test]
        fn parse_import_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse_import(&bytes, "x.csv");
        }

        #[test]
        fn csv_text_never_panics(s in "(Vorname|Nachname|E-Mail|;|,|\"|\n|[a-zäöü@.]{0,6}){0,40}") {
            if let Ok(p) = parse_import(s.as_bytes(), "x.csv") {
                let _ = validate_rows(&p.rows);
            }
        }

        #[test]
        fn exported_names_and_notes_re_import(given in "[^\\p{C}]{1,30}", family in "[^\\p{C}]{1,30}", notes in "[^\\p{C}]{0,40}(\n[^\\p{C}]{1,20})?") {
            let input = ContactInput { given_name: Some(given), family_name: Some(family), notes: Some(notes), ..Default::default() };
            let Ok(d) = input.validate() else { return Ok(()) };
            let rec = csv_export_record("id", ContactKind::B2c, &d.personal, None, None, &[], "t");
            let parsed = parse_import(&export_csv(&[rec]), "export.csv").unwrap();
            let (valid, errors) = validate_rows(&parsed.rows);
            prop_assert!(errors.is_empty(), "{:?}", errors);
            prop_assert_eq!(&valid[0].draft.personal, &d.personal);
        }
    }
}
