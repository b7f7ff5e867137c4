//! Contacts: natural persons, the data subjects whose data Obhut keeps in custody.

use crate::email::EmailAddress;
use crate::ids::{OrganizationId, UserId};
use crate::phone::PhoneNumber;
use crate::text::{optional_date, optional_text, tags};
use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};
use std::fmt;

/// B2C (a private customer, a consumer under UWG) or B2B (the contact person of an organization).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum ContactKind {
    #[default]
    B2c,
    B2b,
}

impl ContactKind {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_lowercase().as_str() {
            "b2c" | "consumer" | "private" | "privat" | "privatkunde" => Ok(Self::B2c),
            "b2b" | "business" | "geschäftlich" | "firmenkunde" => Ok(Self::B2b),
            other => Err(format!("'{}' is not a contact kind: use b2c or b2b", crate::email::shorten(other))),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::B2c => "b2c",
            Self::B2b => "b2b",
        }
    }
}

/// Languages a contact can be addressed in (ISO 639-1).
pub const LANGUAGES: &[&str] = &[
    "de", "en", "fr", "it", "es", "nl", "pl", "cs", "da", "sv", "fi", "pt", "el", "hu", "ro", "bg", "hr", "sk", "sl", "et", "lv", "lt",
    "ga", "mt", "tr", "nb", "uk", "ru", "ar",
];

pub fn parse_language(s: &str) -> Result<String, String> {
    let l = s.trim().to_lowercase();
    let l = l.split(['-', '_']).next().unwrap_or("").to_string();
    if LANGUAGES.contains(&l.as_str()) {
        Ok(l)
    } else {
        Err(format!("'{}' is not a supported language code (ISO 639-1, e.g. de, en)", crate::email::shorten(s)))
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailEntry {
    pub address: EmailAddress,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The purposes this address was collected for; empty: those of the contact.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purposes: Vec<String>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneEntry {
    pub number: PhoneNumber,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The purposes this number was collected for; empty: those of the contact.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purposes: Vec<String>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PostalAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2, upper case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The purposes this address was collected for; empty: those of the contact.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purposes: Vec<String>,
}

/// The personal fields of a contact. This whole value is sealed (encrypted under the
/// contact's own key) before it reaches the database; it never is stored in plaintext.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ContactPersonal {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salutation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default)]
    pub emails: Vec<EmailEntry>,
    #[serde(default)]
    pub phones: Vec<PhoneEntry>,
    #[serde(default)]
    pub addresses: Vec<PostalAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<time::Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The purposes the contact's data was collected for (the collection context; its origin
    /// is kept beside the sealed part). Entries may name their own. Empty on contacts stored
    /// before purposes were recorded: those count as collected for [`DEFAULT_COLLECTION_PURPOSE`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collected_for: Vec<String>,
}

/// The purpose data is taken to be collected for when nobody said otherwise: serving the
/// customer it came from (Art. 6(1)(b)).
pub const DEFAULT_COLLECTION_PURPOSE: &str = "contract";

impl ContactPersonal {
    /// The contact-level collection purposes, with the default where none were recorded.
    pub fn collection_purposes(&self) -> Vec<String> {
        if self.collected_for.is_empty() {
            vec![DEFAULT_COLLECTION_PURPOSE.to_string()]
        } else {
            self.collected_for.clone()
        }
    }

    /// Only what was collected for a purpose that `serves` accepts: entries by their own
    /// purposes (or the contact's), the other fields by the contact's. Purpose binding.
    pub fn bound_to(&self, serves: impl Fn(&[String]) -> bool) -> ContactPersonal {
        let own = self.collection_purposes();
        let item_ok = |p: &[String]| if p.is_empty() { serves(&own) } else { serves(p) };
        let scalars = serves(&own);
        let keep = |v: &Option<String>| if scalars { v.clone() } else { None };
        ContactPersonal {
            salutation: keep(&self.salutation),
            title: keep(&self.title),
            given_name: keep(&self.given_name),
            family_name: keep(&self.family_name),
            emails: self.emails.iter().filter(|e| item_ok(&e.purposes)).cloned().collect(),
            phones: self.phones.iter().filter(|e| item_ok(&e.purposes)).cloned().collect(),
            addresses: self.addresses.iter().filter(|e| item_ok(&e.purposes)).cloned().collect(),
            job_title: keep(&self.job_title),
            birthday: if scalars { self.birthday } else { None },
            notes: keep(&self.notes),
            collected_for: self.collected_for.clone(),
        }
    }

    /// Every purpose named anywhere in the collection context.
    pub fn all_purposes(&self) -> Vec<String> {
        let mut v = self.collection_purposes();
        v.extend(self.emails.iter().flat_map(|e| e.purposes.iter().cloned()));
        v.extend(self.phones.iter().flat_map(|e| e.purposes.iter().cloned()));
        v.extend(self.addresses.iter().flat_map(|e| e.purposes.iter().cloned()));
        v.sort();
        v.dedup();
        v
    }

    /// "Given Family", or whichever of the two exists.
    pub fn display_name(&self) -> String {
        match (&self.given_name, &self.family_name) {
            (Some(g), Some(f)) => format!("{g} {f}"),
            (Some(g), None) => g.clone(),
            (None, Some(f)) => f.clone(),
            (None, None) => String::new(),
        }
    }
    /// "Family, Given": the key lists sort by.
    pub fn sort_name(&self) -> String {
        crate::search::fold(&format!("{} {}", self.family_name.as_deref().unwrap_or(""), self.given_name.as_deref().unwrap_or("")))
    }
    /// The key lists sort by across pages: the family name's letters (a-z, folded: "Müller"
    /// is "mueller"), a space, the given name's; its first four characters make the stored
    /// sort bucket.
    pub fn sort_key(&self) -> String {
        let letters = |s: &Option<String>| -> String {
            crate::search::fold(s.as_deref().unwrap_or("")).chars().filter(char::is_ascii_lowercase).collect()
        };
        let (f, g) = (letters(&self.family_name), letters(&self.given_name));
        match (f.is_empty(), g.is_empty()) {
            (false, false) => format!("{f} {g}"),
            (true, _) => g,
            (false, true) => f,
        }
    }
    pub fn primary_email(&self) -> Option<&EmailAddress> {
        self.emails.first().map(|e| &e.address)
    }
    pub fn primary_phone(&self) -> Option<&PhoneNumber> {
        self.phones.first().map(|p| &p.number)
    }
}

impl fmt::Debug for ContactPersonal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContactPersonal(<redacted>)")
    }
}

/// Record classes: the gate's policies restrict whole classes of records to roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum RecordClass {
    /// Customers, prospects, contact persons.
    #[default]
    Standard,
    /// Employees and applicants: only for HR (and administrators, the DPO).
    Hr,
}

/// Reads a record's class (`standard` when empty) and team (none when empty) into `e`'s
/// fields `record_class` and `team`.
pub fn class_and_team(e: &mut ValidationErrors, class: Option<&str>, team: Option<&str>) -> (RecordClass, Option<String>) {
    let record_class = RecordClass::parse(class.unwrap_or("")).unwrap_or_else(|m| {
        e.add("record_class", m);
        RecordClass::Standard
    });
    let team = match team.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(t) => crate::user::parse_team(t).map_err(|m| e.add("team", m)).ok(),
    };
    (record_class, team)
}

impl RecordClass {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_lowercase().as_str() {
            "standard" | "" => Ok(Self::Standard),
            "hr" => Ok(Self::Hr),
            other => Err(format!("'{}' is not a record class: use standard or hr", crate::email::shorten(other))),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Hr => "hr",
        }
    }
}

/// A validated contact, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactDraft {
    pub kind: ContactKind,
    /// Which class of records this is: the gate's policies restrict whole classes.
    pub record_class: RecordClass,
    /// The team the record belongs to, for team-scoped access.
    pub team: Option<String>,
    pub organization_id: Option<OrganizationId>,
    pub owner_id: Option<UserId>,
    pub language: Option<String>,
    pub tags: Vec<String>,
    pub personal: ContactPersonal,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailInput {
    pub address: String,
    #[serde(default)]
    pub label: Option<String>,
    /// Purpose keys this address is collected for; absent: those of the contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purposes: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneInput {
    pub number: String,
    #[serde(default)]
    pub label: Option<String>,
    /// Purpose keys this number is collected for; absent: those of the contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purposes: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub street: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    /// Purpose keys this address is collected for; absent: those of the contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purposes: Option<Vec<String>>,
}

/// A contact as it arrives from outside: API body, form, CSV row, vCard or CLI flags.
/// `email`/`phone` are shorthands for the first entry of `emails`/`phones`.
/// In a PATCH, an absent field stays as it is and an empty string clears it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// `b2c` (private customer) or `b2b` (contact person of an organization).
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub salutation: Option<String>,
    /// Academic title, e.g. "Dr.".
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub emails: Option<Vec<EmailInput>>,
    #[serde(default)]
    pub phones: Option<Vec<PhoneInput>>,
    #[serde(default)]
    pub addresses: Option<Vec<AddressInput>>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub organization_id: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub birthday: Option<String>,
    /// ISO 639-1, e.g. `de`.
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub owner_id: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub notes: Option<String>,
    /// `standard` (default) or `hr`.
    #[serde(default)]
    pub record_class: Option<String>,
    /// The team the record belongs to; an empty string clears it.
    #[serde(default)]
    pub team: Option<String>,
    /// The purpose keys the data is collected for (the collection context), e.g.
    /// `["contract"]`; absent on create: `contract`.
    #[serde(default)]
    pub purposes: Option<Vec<String>>,
}

pub const MAX_NAME: usize = 100;
pub const MAX_NOTES: usize = 10_000;
pub const MAX_ENTRIES: usize = 10;

impl ContactInput {
    /// The input describing an existing contact, so a patch can be laid over it.
    pub fn from_draft(d: &ContactDraft) -> Self {
        let p = &d.personal;
        let own = |v: &Vec<String>| if v.is_empty() { None } else { Some(v.clone()) };
        Self {
            kind: Some(d.kind.as_str().into()),
            salutation: p.salutation.clone(),
            title: p.title.clone(),
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
            email: None,
            phone: None,
            emails: Some(
                p.emails
                    .iter()
                    .map(|e| EmailInput { address: e.address.to_string(), label: e.label.clone(), purposes: own(&e.purposes) })
                    .collect(),
            ),
            phones: Some(
                p.phones
                    .iter()
                    .map(|e| PhoneInput { number: e.number.to_string(), label: e.label.clone(), purposes: own(&e.purposes) })
                    .collect(),
            ),
            addresses: Some(
                p.addresses
                    .iter()
                    .map(|a| AddressInput {
                        label: a.label.clone(),
                        street: a.street.clone(),
                        postal_code: a.postal_code.clone(),
                        city: a.city.clone(),
                        country: a.country.clone(),
                        purposes: own(&a.purposes),
                    })
                    .collect(),
            ),
            organization_id: d.organization_id.map(|o| o.to_string()),
            job_title: p.job_title.clone(),
            birthday: p.birthday.map(|b| b.to_string()),
            language: d.language.clone(),
            owner_id: d.owner_id.map(|o| o.to_string()),
            tags: Some(d.tags.clone()),
            notes: p.notes.clone(),
            record_class: Some(d.record_class.as_str().into()),
            team: d.team.clone(),
            purposes: own(&p.collected_for),
        }
    }

    /// Lays `patch` over `self`: fields present in the patch win. `email`/`phone` in a patch
    /// replace the primary entry and keep the others.
    pub fn merge(mut self, patch: ContactInput) -> Self {
        macro_rules! take {
            ($($f:ident),*) => { $( if patch.$f.is_some() { self.$f = patch.$f; } )* };
        }
        take!(
            kind,
            salutation,
            title,
            given_name,
            family_name,
            emails,
            phones,
            addresses,
            organization_id,
            job_title,
            birthday,
            language,
            owner_id,
            tags,
            notes,
            record_class,
            team,
            purposes
        );
        if let Some(e) = patch.email {
            let mut list = self.emails.take().unwrap_or_default();
            if !list.is_empty() {
                list.remove(0);
            }
            if !e.trim().is_empty() {
                list.insert(0, EmailInput { address: e, label: None, purposes: None });
            }
            self.emails = Some(list);
        }
        if let Some(p) = patch.phone {
            let mut list = self.phones.take().unwrap_or_default();
            if !list.is_empty() {
                list.remove(0);
            }
            if !p.trim().is_empty() {
                list.insert(0, PhoneInput { number: p, label: None, purposes: None });
            }
            self.phones = Some(list);
        }
        self
    }

    /// Checks every field and returns the contact, or every problem at once.
    pub fn validate(&self) -> Result<ContactDraft, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let mut p = ContactPersonal {
            salutation: optional_text(&mut e, "salutation", self.salutation.as_deref(), 40, false),
            title: optional_text(&mut e, "title", self.title.as_deref(), 40, false),
            given_name: optional_text(&mut e, "given_name", self.given_name.as_deref(), MAX_NAME, false),
            family_name: optional_text(&mut e, "family_name", self.family_name.as_deref(), MAX_NAME, false),
            job_title: optional_text(&mut e, "job_title", self.job_title.as_deref(), 100, false),
            notes: optional_text(&mut e, "notes", self.notes.as_deref(), MAX_NOTES, true),
            birthday: optional_date(&mut e, "birthday", self.birthday.as_deref()),
            ..Default::default()
        };
        if p.given_name.is_none() && p.family_name.is_none() && e.first_for("given_name").is_none() && e.first_for("family_name").is_none()
        {
            e.add("family_name", "a given name or a family name is required");
        }
        if let Some(b) = p.birthday {
            if b.year() < 1900 || b > time::macros::date!(2100 - 01 - 01) {
                e.add("birthday", "must be a plausible date of birth");
            }
        }

        let mut emails: Vec<(String, EmailInput)> = Vec::new();
        if let Some(s) = &self.email {
            if !s.trim().is_empty() {
                emails.push(("email".into(), EmailInput { address: s.clone(), label: None, purposes: None }));
            }
        }
        for (i, x) in self.emails.iter().flatten().enumerate() {
            emails.push((format!("emails[{i}].address"), x.clone()));
        }
        if emails.len() > MAX_ENTRIES {
            e.add("emails", format!("at most {MAX_ENTRIES} email addresses"));
        }
        for (field, x) in emails.into_iter().take(MAX_ENTRIES) {
            match EmailAddress::parse(&x.address) {
                Ok(a) => {
                    if !p.emails.iter().any(|y| y.address.normalized() == a.normalized()) {
                        let label = optional_text(&mut e, &field, x.label.as_deref(), 40, false);
                        let purposes = purpose_keys(&mut e, &field.replace(".address", ".purposes"), x.purposes.as_deref());
                        p.emails.push(EmailEntry { address: a, label, purposes });
                    }
                }
                Err(m) => e.add(field, m),
            }
        }

        let mut phones: Vec<(String, PhoneInput)> = Vec::new();
        if let Some(s) = &self.phone {
            if !s.trim().is_empty() {
                phones.push(("phone".into(), PhoneInput { number: s.clone(), label: None, purposes: None }));
            }
        }
        for (i, x) in self.phones.iter().flatten().enumerate() {
            phones.push((format!("phones[{i}].number"), x.clone()));
        }
        if phones.len() > MAX_ENTRIES {
            e.add("phones", format!("at most {MAX_ENTRIES} phone numbers"));
        }
        for (field, x) in phones.into_iter().take(MAX_ENTRIES) {
            match PhoneNumber::parse(&x.number) {
                Ok(n) => {
                    if !p.phones.iter().any(|y| y.number == n) {
                        let label = optional_text(&mut e, &field, x.label.as_deref(), 40, false);
                        let purposes = purpose_keys(&mut e, &field.replace(".number", ".purposes"), x.purposes.as_deref());
                        p.phones.push(PhoneEntry { number: n, label, purposes });
                    }
                }
                Err(m) => e.add(field, m),
            }
        }

        let addresses = self.addresses.as_deref().unwrap_or_default();
        if addresses.len() > MAX_ENTRIES {
            e.add("addresses", format!("at most {MAX_ENTRIES} postal addresses"));
        }
        for (i, a) in addresses.iter().take(MAX_ENTRIES).enumerate() {
            let f = |n: &str| format!("addresses[{i}].{n}");
            let addr = PostalAddress {
                label: optional_text(&mut e, &f("label"), a.label.as_deref(), 40, false),
                street: optional_text(&mut e, &f("street"), a.street.as_deref(), 200, false),
                postal_code: optional_text(&mut e, &f("postal_code"), a.postal_code.as_deref(), 20, false),
                city: optional_text(&mut e, &f("city"), a.city.as_deref(), 100, false),
                country: match a.country.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
                    None => None,
                    Some(c) => match parse_country(c) {
                        Ok(c) => Some(c),
                        Err(m) => {
                            e.add(f("country"), m);
                            None
                        }
                    },
                },
                purposes: purpose_keys(&mut e, &f("purposes"), a.purposes.as_deref()),
            };
            if addr.street.is_some() || addr.city.is_some() || addr.postal_code.is_some() {
                p.addresses.push(addr);
            }
        }

        let organization_id = match self.organization_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match OrganizationId::parse(s) {
                Ok(id) => Some(id),
                Err(m) => {
                    e.add("organization_id", m);
                    None
                }
            },
        };
        let owner_id = match self.owner_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match UserId::parse(s) {
                Ok(id) => Some(id),
                Err(m) => {
                    e.add("owner_id", m);
                    None
                }
            },
        };
        let kind = match self.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None if organization_id.is_some() => ContactKind::B2b,
            None => ContactKind::B2c,
            Some(k) => match ContactKind::parse(k) {
                Ok(k) => k,
                Err(m) => {
                    e.add("kind", m);
                    ContactKind::B2c
                }
            },
        };
        if kind == ContactKind::B2b && organization_id.is_none() && e.first_for("organization_id").is_none() {
            e.add("organization_id", "a B2B contact person needs an organization");
        }
        if kind == ContactKind::B2c && organization_id.is_some() {
            e.add("kind", "a private customer (b2c) belongs to no organization; use b2b");
        }
        let language = match self.language.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(l) => match parse_language(l) {
                Ok(l) => Some(l),
                Err(m) => {
                    e.add("language", m);
                    None
                }
            },
        };
        let tags = tags(&mut e, "tags", self.tags.as_deref().unwrap_or_default());
        p.collected_for = purpose_keys(&mut e, "purposes", self.purposes.as_deref());
        let (record_class, team) = class_and_team(&mut e, self.record_class.as_deref(), self.team.as_deref());
        e.into_result(ContactDraft { kind, record_class, team, organization_id, owner_id, language, tags, personal: p })
    }
}

/// Purpose keys as given (their existence in the registry is the gate's to check): sorted,
/// without repeats.
fn purpose_keys(e: &mut ValidationErrors, field: &str, keys: Option<&[String]>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in keys.unwrap_or_default() {
        let k = k.trim();
        if k.is_empty() {
            continue;
        }
        if k.len() > 64 || !k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            e.add(field, format!("'{}' is not a purpose key", crate::email::shorten(k)));
        } else {
            out.push(k.to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// ISO 3166-1 alpha-2 country code; common German and English names of EU countries are read too.
pub fn parse_country(s: &str) -> Result<String, String> {
    let t = s.trim();
    let by_name = match t.to_lowercase().as_str() {
        "deutschland" | "germany" => Some("DE"),
        "österreich" | "oesterreich" | "austria" => Some("AT"),
        "schweiz" | "switzerland" => Some("CH"),
        "frankreich" | "france" => Some("FR"),
        "niederlande" | "netherlands" => Some("NL"),
        "belgien" | "belgium" => Some("BE"),
        "luxemburg" | "luxembourg" => Some("LU"),
        "italien" | "italy" => Some("IT"),
        "spanien" | "spain" => Some("ES"),
        "polen" | "poland" => Some("PL"),
        "dänemark" | "daenemark" | "denmark" => Some("DK"),
        "tschechien" | "czechia" | "czech republic" => Some("CZ"),
        _ => None,
    };
    if let Some(c) = by_name {
        return Ok(c.into());
    }
    if t.len() == 2 && t.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(t.to_uppercase())
    } else {
        Err(format!("'{}' is not a country code such as DE", crate::email::shorten(t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ContactInput {
        ContactInput {
            given_name: Some("Erika".into()),
            family_name: Some("Mustermann".into()),
            email: Some("erika@example.org".into()),
            phone: Some("030 1234567".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_minimal_contact_is_a_private_customer_with_primary_email_and_phone() {
        let d = input().validate().map_err(|e| e.to_string());
        let d = d
            .as_ref()
            .map(|d| (d.kind, d.personal.primary_email().map(|e| e.to_string()), d.personal.primary_phone().map(|p| p.to_string())));
        assert_eq!(d, Ok((ContactKind::B2c, Some("erika@example.org".into()), Some("+49301234567".into()))));
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut i = input();
        i.email = Some("nope".into());
        i.phone = Some("abc".into());
        i.language = Some("xx".into());
        i.given_name = Some("x".repeat(101));
        let e = i.validate().err().unwrap_or_default();
        for f in ["email", "phone", "language", "given_name"] {
            assert!(e.first_for(f).is_some(), "{f} not named in {e}");
        }
    }

    #[test]
    fn a_name_is_required() {
        let e = ContactInput { email: Some("a@b.de".into()), ..Default::default() }.validate().err().unwrap_or_default();
        assert!(e.first_for("family_name").is_some());
    }

    #[test]
    fn b2b_needs_an_organization_and_an_organization_makes_b2b() {
        let mut i = input();
        i.kind = Some("b2b".into());
        assert!(i.validate().is_err());
        let mut i = input();
        i.organization_id = Some(OrganizationId::new().to_string());
        assert_eq!(i.validate().map(|d| d.kind), Ok(ContactKind::B2b));
    }

    #[test]
    fn a_patch_replaces_the_primary_email_and_keeps_the_rest() {
        let mut base = input();
        base.emails = Some(vec![EmailInput { address: "second@example.org".into(), label: Some("work".into()), purposes: None }]);
        let d = base.validate().unwrap_or_else(|e| unreachable!("{e}"));
        let merged = ContactInput::from_draft(&d).merge(ContactInput { email: Some("new@example.org".into()), ..Default::default() });
        let d2 = merged.validate().unwrap_or_else(|e| unreachable!("{e}"));
        let list: Vec<String> = d2.personal.emails.iter().map(|e| e.address.to_string()).collect();
        assert_eq!(list, vec!["new@example.org".to_string(), "second@example.org".to_string()]);
        assert_eq!(d2.personal.given_name.as_deref(), Some("Erika"));
    }

    #[test]
    fn personal_debug_output_is_redacted() {
        let d = input().validate().unwrap_or_else(|e| unreachable!("{e}"));
        assert!(!format!("{d:?}").contains("Mustermann"));
    }
}
