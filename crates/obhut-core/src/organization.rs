//! Organizations: B2B accounts. A legal person is no data subject, but a sole trader's
//! firm can be, so the contact details of an organization are sealed like a contact's.

use crate::email::EmailAddress;
use crate::ids::UserId;
use crate::phone::PhoneNumber;
use crate::text::{optional_text, required_text, tags};
use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub industry: Option<String>,
    /// VAT identification number (USt-IdNr.), e.g. DE123456789.
    #[serde(default)]
    pub vat_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub street: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub owner_id: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub notes: Option<String>,
    /// standard or hr; decides who may reach the record where it is about no contact (a
    /// record about a contact takes the contact's class).
    #[serde(default)]
    pub record_class: Option<String>,
    /// The team the record belongs to where it is about no contact; an empty string clears it.
    #[serde(default)]
    pub team: Option<String>,
}

/// The sealed part of an organization.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OrganizationSealed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl std::fmt::Debug for OrganizationSealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OrganizationSealed(<redacted>)")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganizationDraft {
    pub name: String,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub vat_id: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub owner_id: Option<UserId>,
    pub tags: Vec<String>,
    pub sealed: OrganizationSealed,
    pub record_class: crate::contact::RecordClass,
    pub team: Option<String>,
}

impl OrganizationInput {
    pub fn from_draft(d: &OrganizationDraft) -> Self {
        Self {
            name: Some(d.name.clone()),
            website: d.website.clone(),
            industry: d.industry.clone(),
            vat_id: d.vat_id.clone(),
            email: d.sealed.email.as_ref().map(|e| e.to_string()),
            phone: d.sealed.phone.as_ref().map(|p| p.to_string()),
            street: d.sealed.street.clone(),
            postal_code: d.postal_code.clone(),
            city: d.city.clone(),
            country: d.country.clone(),
            owner_id: d.owner_id.map(|o| o.to_string()),
            record_class: Some(d.record_class.as_str().into()),
            team: d.team.clone(),
            tags: Some(d.tags.clone()),
            notes: d.sealed.notes.clone(),
        }
    }

    pub fn merge(mut self, patch: OrganizationInput) -> Self {
        macro_rules! take {
            ($($f:ident),*) => { $( if patch.$f.is_some() { self.$f = patch.$f; } )* };
        }
        take!(name, website, industry, vat_id, email, phone, street, postal_code, city, country, owner_id, tags, notes, record_class, team);
        self
    }

    pub fn validate(&self) -> Result<OrganizationDraft, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = required_text(&mut e, "name", self.name.as_deref(), 200);
        let website = optional_text(&mut e, "website", self.website.as_deref(), 200, false);
        if let Some(w) = &website {
            if w.contains(char::is_whitespace) || !w.contains('.') {
                e.add("website", "must be a web address such as www.example.de");
            }
        }
        let vat_id = optional_text(&mut e, "vat_id", self.vat_id.as_deref(), 20, false).map(|v| v.replace(' ', "").to_uppercase());
        if let Some(v) = &vat_id {
            let b = v.as_bytes();
            let ok =
                v.is_ascii() && b.len() >= 4 && b[..2].iter().all(u8::is_ascii_uppercase) && b[2..].iter().all(u8::is_ascii_alphanumeric);
            if !ok {
                e.add("vat_id", "must be a VAT id such as DE123456789");
            }
        }
        let email = match self.email.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => EmailAddress::parse(s).map_err(|m| e.add("email", m)).ok(),
        };
        let phone = match self.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => PhoneNumber::parse(s).map_err(|m| e.add("phone", m)).ok(),
        };
        let country = match self.country.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(c) => crate::contact::parse_country(c).map_err(|m| e.add("country", m)).ok(),
        };
        let owner_id = match self.owner_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => UserId::parse(s).map_err(|m| e.add("owner_id", m)).ok(),
        };
        let (record_class, team) = crate::contact::class_and_team(&mut e, self.record_class.as_deref(), self.team.as_deref());
        let draft = OrganizationDraft {
            record_class,
            team,
            name,
            website,
            industry: optional_text(&mut e, "industry", self.industry.as_deref(), 100, false),
            vat_id,
            postal_code: optional_text(&mut e, "postal_code", self.postal_code.as_deref(), 20, false),
            city: optional_text(&mut e, "city", self.city.as_deref(), 100, false),
            country,
            owner_id,
            tags: tags(&mut e, "tags", self.tags.as_deref().unwrap_or_default()),
            sealed: OrganizationSealed {
                email,
                phone,
                street: optional_text(&mut e, "street", self.street.as_deref(), 200, false),
                notes: optional_text(&mut e, "notes", self.notes.as_deref(), crate::contact::MAX_NOTES, true),
            },
        };
        e.into_result(draft)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_organization_needs_a_name_and_a_plausible_vat_id() {
        let e = OrganizationInput { vat_id: Some("12".into()), ..Default::default() }.validate().err().unwrap_or_default();
        assert!(e.first_for("name").is_some());
        assert!(e.first_for("vat_id").is_some());
        let ok =
            OrganizationInput { name: Some("Muster GmbH".into()), vat_id: Some("de 123456789".into()), ..Default::default() }.validate();
        assert_eq!(ok.map(|d| d.vat_id), Ok(Some("DE123456789".into())));
        let e = OrganizationInput { name: Some("X".into()), vat_id: Some("Dé12".into()), ..Default::default() }
            .validate()
            .err()
            .unwrap_or_default();
        assert!(e.first_for("vat_id").is_some(), "a multibyte VAT id must be refused, not panic");
    }
}
