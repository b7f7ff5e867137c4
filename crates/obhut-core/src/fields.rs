//! The field catalog: every personal field of every record type, with its data category
//! (fideslang-style names, as the purpose registry uses them) and whether it is sensitive.
//! A field is justified by the active purposes whose data categories cover its category;
//! storing a value in a field no active purpose justifies is refused (data minimization,
//! Art. 5(1)(c)).

use crate::contact::ContactPersonal;
use crate::purpose::Purpose;
use serde::Serialize;

/// One personal field of a record type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FieldDef {
    pub record_type: &'static str,
    /// The field's name as the API and the audit trail name it.
    pub name: &'static str,
    /// Its data category, e.g. `user.contact.email`.
    pub category: &'static str,
    /// Sensitive fields get field rules of their own in the default policies (guests don't
    /// see them).
    pub sensitive: bool,
}

const fn f(record_type: &'static str, name: &'static str, category: &'static str, sensitive: bool) -> FieldDef {
    FieldDef { record_type, name, category, sensitive }
}

/// Every personal field Obhut stores. Activities and tickets hold free text about a contact
/// (`user.content`); deal titles and organization data are not personal data of a subject.
pub const CATALOG: &[FieldDef] = &[
    f("contact", "salutation", "user.name", false),
    f("contact", "title", "user.name", false),
    f("contact", "given_name", "user.name", false),
    f("contact", "family_name", "user.name", false),
    f("contact", "emails", "user.contact.email", false),
    f("contact", "phones", "user.contact.phone_number", false),
    f("contact", "addresses", "user.contact.address", false),
    f("contact", "job_title", "user.job_title", false),
    f("contact", "birthday", "user.demographic.date_of_birth", true),
    f("contact", "notes", "user.content.private", true),
    f("activity", "subject", "user.content", false),
    f("activity", "body", "user.content", false),
    f("ticket", "subject", "user.content", false),
    f("ticket", "description", "user.content", false),
    f("task", "title", "user.content", false),
    f("task", "notes", "user.content", false),
];

/// The catalog's entries for one record type.
pub fn fields_of(record_type: &str) -> impl Iterator<Item = &'static FieldDef> + '_ {
    CATALOG.iter().filter(move |d| d.record_type == record_type)
}

pub fn field(record_type: &str, name: &str) -> Option<&'static FieldDef> {
    CATALOG.iter().find(|d| d.record_type == record_type && d.name == name)
}

/// Whether a purpose's declared category covers a field's: the same, or a parent of it
/// (`user.contact` covers `user.contact.email`).
pub fn covers(declared: &str, category: &str) -> bool {
    category == declared || (category.starts_with(declared) && category.as_bytes().get(declared.len()) == Some(&b'.'))
}

/// The keys of the active purposes that justify storing a field.
pub fn justifying<'a>(def: &FieldDef, purposes: &'a [Purpose]) -> Vec<&'a str> {
    purposes.iter().filter(|p| p.active && p.data_categories.iter().any(|c| covers(c, def.category))).map(|p| p.key.as_str()).collect()
}

/// The fields of a contact that hold a value, by catalog name.
pub fn contact_fields_present(p: &ContactPersonal) -> Vec<&'static str> {
    let mut v = Vec::new();
    let mut add = |cond: bool, n: &'static str| {
        if cond {
            v.push(n);
        }
    };
    add(p.salutation.is_some(), "salutation");
    add(p.title.is_some(), "title");
    add(p.given_name.is_some(), "given_name");
    add(p.family_name.is_some(), "family_name");
    add(!p.emails.is_empty(), "emails");
    add(!p.phones.is_empty(), "phones");
    add(!p.addresses.is_empty(), "addresses");
    add(p.job_title.is_some(), "job_title");
    add(p.birthday.is_some(), "birthday");
    add(p.notes.is_some(), "notes");
    v
}

/// Removes the named contact fields' values (what a field rule does not let an actor see).
pub fn redact_contact(p: &mut ContactPersonal, hidden: &[&str]) {
    for name in hidden {
        match *name {
            "salutation" => p.salutation = None,
            "title" => p.title = None,
            "given_name" => p.given_name = None,
            "family_name" => p.family_name = None,
            "emails" => p.emails.clear(),
            "phones" => p.phones.clear(),
            "addresses" => p.addresses.clear(),
            "job_title" => p.job_title = None,
            "birthday" => p.birthday = None,
            "notes" => p.notes = None,
            _ => {}
        }
    }
}

/// What storing a contact asks of the registry: each filled field must be justified by an
/// active purpose, and by one of the purposes the contact's data is collected for.
/// Returns `(field, message)` for each field that is not.
pub fn unjustified_contact_fields(p: &ContactPersonal, purposes: &[Purpose]) -> Vec<(&'static str, String)> {
    let collected = p.all_purposes();
    let mut out = Vec::new();
    for name in contact_fields_present(p) {
        let Some(def) = field("contact", name) else { continue };
        let by = justifying(def, purposes);
        if by.is_empty() {
            out.push((
                name,
                format!(
                    "no active purpose justifies storing {} ({}): the data protection officer must add it to a purpose first",
                    name, def.category
                ),
            ));
        } else if !by.iter().any(|k| collected.iter().any(|c| c == k)) {
            out.push((
                name,
                format!(
                    "{} ({}) is not needed for the purposes this contact's data is collected for ({}); purposes that need it: {}",
                    name,
                    def.category,
                    collected.join(", "),
                    by.join(", ")
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::purpose::default_purposes;

    #[test]
    fn every_contact_field_is_catalogued() {
        let full = ContactPersonal {
            salutation: Some("x".into()),
            title: Some("x".into()),
            given_name: Some("x".into()),
            family_name: Some("x".into()),
            job_title: Some("x".into()),
            notes: Some("x".into()),
            birthday: Some(time::macros::date!(1980 - 01 - 01)),
            emails: vec![crate::contact::EmailEntry {
                address: crate::email::EmailAddress::parse("a@b.de").unwrap_or_else(|e| unreachable!("{e}")),
                label: None,
                purposes: vec![],
            }],
            ..Default::default()
        };
        for n in contact_fields_present(&full) {
            assert!(field("contact", n).is_some(), "{n} is missing in the catalog");
        }
    }

    #[test]
    fn categories_cover_their_children_only() {
        assert!(covers("user.contact", "user.contact.email"));
        assert!(covers("user.contact.email", "user.contact.email"));
        assert!(!covers("user.contact.e", "user.contact.email"));
        assert!(!covers("user.contact.email", "user.contact"));
    }

    #[test]
    fn the_default_registry_justifies_every_catalogued_field() {
        let reg = default_purposes("2026-01-01");
        for def in CATALOG {
            assert!(!justifying(def, &reg).is_empty(), "{}.{} has no purpose", def.record_type, def.name);
        }
    }

    #[test]
    fn a_field_no_active_purpose_needs_is_refused() {
        let mut reg = default_purposes("2026-01-01");
        for p in &mut reg {
            p.data_categories.retain(|c| !covers("user.demographic", c) && c != "user.demographic.date_of_birth");
        }
        let p = ContactPersonal {
            family_name: Some("Muster".into()),
            birthday: Some(time::macros::date!(1980 - 01 - 01)),
            ..Default::default()
        };
        let bad = unjustified_contact_fields(&p, &reg);
        assert_eq!(bad.iter().map(|b| b.0).collect::<Vec<_>>(), vec!["birthday"]);
    }

    #[test]
    fn a_field_outside_the_collection_purposes_is_refused() {
        let reg = default_purposes("2026-01-01");
        // Collected only for the newsletter: a phone number is not needed for it.
        let p = ContactPersonal {
            family_name: Some("Muster".into()),
            phones: vec![crate::contact::PhoneEntry {
                number: crate::phone::PhoneNumber::parse("030 1234567").unwrap_or_else(|e| unreachable!("{e}")),
                label: None,
                purposes: vec![],
            }],
            collected_for: vec!["newsletter".into()],
            ..Default::default()
        };
        let bad = unjustified_contact_fields(&p, &reg);
        assert_eq!(bad.iter().map(|b| b.0).collect::<Vec<_>>(), vec!["phones"]);
    }
}
