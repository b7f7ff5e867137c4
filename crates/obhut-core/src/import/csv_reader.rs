//! Reading CSV: the delimiter found, records read through the column plan into rows, and
//! every row numbered as the line a user sees in the spreadsheet.

use super::csv_export::needs_guard;
use super::headers::{plan_columns, Field, Plan};
use crate::contact::{AddressInput, ContactInput, EmailInput, PhoneInput};
use crate::contact_file::{
    normalize_birthday, normalize_kind, normalize_language, split_tags, ImportError, ImportFormat, ImportRow, ParsedImport, RowError,
    MAX_IMPORT_ROWS,
};

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

pub(super) fn parse_csv(text: &str, encoding: &'static str, sink: &mut dyn FnMut(ImportRow)) -> Result<ParsedImport, ImportError> {
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

/// Undoes the formula guard of [`csv_export_record`](crate::import::csv_export_record): `'=x` reads as `=x`.
fn unguard(v: &str) -> &str {
    match v.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => v,
    }
}
