//! A contact as every surface hands it out (the API's JSON, the CLI's `--json`, the JSON
//! export): the decrypted record in plain serializable shapes, times in RFC 3339.

use crate::fmt::rfc3339;
use obhut_core::contact::ContactKind;
use obhut_core::ids::ContactId;
use obhut_store::contacts::ContactRecord;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct EmailOut {
    pub address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The purposes this address was collected for, where they differ from the contact's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub purposes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneOut {
    /// E.164.
    pub number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The purposes this number was collected for, where they differ from the contact's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub purposes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddressOut {
    #[schema(required = true)]
    pub label: Option<String>,
    #[schema(required = true)]
    pub street: Option<String>,
    #[schema(required = true)]
    pub postal_code: Option<String>,
    #[schema(required = true)]
    pub city: Option<String>,
    #[schema(required = true)]
    pub country: Option<String>,
    /// The purposes this address was collected for, where they differ from the contact's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub purposes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OriginOut {
    /// api, ui, cli, import or demo.
    pub source: String,
    #[schema(required = true)]
    pub detail: Option<String>,
    #[schema(required = true)]
    pub import_run_id: Option<String>,
}

/// A contact as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactOut {
    pub id: ContactId,
    pub kind: ContactKind,
    #[schema(required = true)]
    pub salutation: Option<String>,
    #[schema(required = true)]
    pub title: Option<String>,
    #[schema(required = true)]
    pub given_name: Option<String>,
    #[schema(required = true)]
    pub family_name: Option<String>,
    pub display_name: String,
    /// The primary email.
    #[schema(required = true)]
    pub email: Option<String>,
    /// The primary phone (E.164).
    #[schema(required = true)]
    pub phone: Option<String>,
    pub emails: Vec<EmailOut>,
    pub phones: Vec<PhoneOut>,
    pub addresses: Vec<AddressOut>,
    #[schema(required = true)]
    pub organization_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    #[schema(required = true)]
    pub job_title: Option<String>,
    #[schema(required = true)]
    pub birthday: Option<String>,
    #[schema(required = true)]
    pub language: Option<String>,
    #[schema(required = true)]
    pub owner_id: Option<String>,
    pub tags: Vec<String>,
    #[schema(required = true)]
    pub notes: Option<String>,
    /// `standard` or `hr`: the record class the gate's policies restrict.
    pub record_class: String,
    #[schema(required = true)]
    pub team: Option<String>,
    /// The purposes the contact's data was collected for (its collection context).
    pub purposes: Vec<String>,
    pub origin: OriginOut,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

impl ContactOut {
    pub fn from_record(r: &ContactRecord, organization_name: Option<&str>) -> Self {
        let p = &r.personal;
        Self {
            id: r.id,
            kind: r.kind,
            salutation: p.salutation.clone(),
            title: p.title.clone(),
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
            display_name: p.display_name(),
            email: p.primary_email().map(|e| e.to_string()),
            phone: p.primary_phone().map(|e| e.to_string()),
            emails: p
                .emails
                .iter()
                .map(|e| EmailOut { address: e.address.to_string(), label: e.label.clone(), purposes: e.purposes.clone() })
                .collect(),
            phones: p
                .phones
                .iter()
                .map(|e| PhoneOut { number: e.number.to_string(), label: e.label.clone(), purposes: e.purposes.clone() })
                .collect(),
            addresses: p
                .addresses
                .iter()
                .map(|a| AddressOut {
                    label: a.label.clone(),
                    street: a.street.clone(),
                    postal_code: a.postal_code.clone(),
                    city: a.city.clone(),
                    country: a.country.clone(),
                    purposes: a.purposes.clone(),
                })
                .collect(),
            organization_id: r.organization_id.map(|o| o.to_string()),
            organization_name: organization_name.map(str::to_string).or_else(|| r.organization_name.clone()),
            job_title: p.job_title.clone(),
            birthday: p.birthday.map(|b| b.to_string()),
            language: r.language.clone(),
            owner_id: r.owner_id.map(|o| o.to_string()),
            tags: r.tags.clone(),
            notes: p.notes.clone(),
            record_class: r.record_class.as_str().into(),
            team: r.team.clone(),
            purposes: p.collection_purposes(),
            origin: OriginOut {
                source: r.origin.source.clone(),
                detail: r.origin.detail.clone(),
                import_run_id: r.origin.import_run_id.map(|i| i.to_string()),
            },
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            version: r.version,
        }
    }
}
