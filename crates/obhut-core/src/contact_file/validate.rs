//! Rows into contact drafts: every problem named by its row and column, and duplicates
//! inside one file pointed to their first row.

use super::row::{ImportRow, RowError};
use crate::contact::{ContactDraft, ContactKind};
use crate::ids::OrganizationId;
use crate::organization::OrganizationInput;
use std::collections::HashMap;

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

/// Validates every row; a row with any problem yields [`RowError`]s and no [`ValidRow`].
/// Beyond [`ContactInput::validate`](crate::contact::ContactInput::validate), a row whose email or phone number an earlier valid row
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
