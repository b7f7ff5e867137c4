//! The contact CSV export, which reads back in, guarded against formula injection.

use crate::contact::{ContactKind, ContactPersonal};

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
pub(super) fn needs_guard(v: &str) -> bool {
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
