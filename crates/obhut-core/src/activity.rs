//! Activities: what happened with a contact, an organization or a deal.

use crate::ids::{ContactId, DealId, OrganizationId};
use crate::text::{optional_text, required_text};
use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ActivityKind {
    Call,
    Email,
    Meeting,
    Note,
    Complaint,
    Order,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 6] = [Self::Call, Self::Email, Self::Meeting, Self::Note, Self::Complaint, Self::Order];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Email => "email",
            Self::Meeting => "meeting",
            Self::Note => "note",
            Self::Complaint => "complaint",
            Self::Order => "order",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim().to_lowercase())
            .ok_or_else(|| "must be one of call, email, meeting, note, complaint, order".to_string())
    }
}

/// The sealed text of an activity, encrypted under the key of the contact (or organization) it belongs to.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ActivityText {
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl std::fmt::Debug for ActivityText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ActivityText(<redacted>)")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    /// call, email, meeting, note, complaint or order.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    /// RFC 3339; defaults to now.
    #[serde(default)]
    pub occurred_at: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub contact_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub organization_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub deal_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityDraft {
    pub kind: ActivityKind,
    pub occurred_at: Option<time::OffsetDateTime>,
    pub contact_id: Option<ContactId>,
    pub organization_id: Option<OrganizationId>,
    pub deal_id: Option<DealId>,
    pub text: ActivityText,
}

fn parse_id<T>(e: &mut ValidationErrors, field: &str, v: Option<&str>, p: fn(&str) -> Result<T, String>) -> Option<T> {
    let v = v.map(str::trim).filter(|s| !s.is_empty())?;
    p(v).map_err(|m| e.add(field, m)).ok()
}

impl ActivityInput {
    pub fn validate(&self) -> Result<ActivityDraft, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let kind = match self.kind.as_deref() {
            None => {
                e.add("kind", "is required");
                ActivityKind::Note
            }
            Some(k) => ActivityKind::parse(k).map_err(|m| e.add("kind", m)).unwrap_or(ActivityKind::Note),
        };
        let subject = required_text(&mut e, "subject", self.subject.as_deref(), 200);
        let body = optional_text(&mut e, "body", self.body.as_deref(), 20_000, true);
        let occurred_at = match self.occurred_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => parse_datetime(s).map_err(|m| e.add("occurred_at", m)).ok(),
        };
        let contact_id = parse_id(&mut e, "contact_id", self.contact_id.as_deref(), ContactId::parse);
        let organization_id = parse_id(&mut e, "organization_id", self.organization_id.as_deref(), OrganizationId::parse);
        let deal_id = parse_id(&mut e, "deal_id", self.deal_id.as_deref(), DealId::parse);
        if contact_id.is_none() && organization_id.is_none() && deal_id.is_none() && e.is_empty() {
            e.add("contact_id", "an activity belongs to a contact, an organization or a deal");
        }
        e.into_result(ActivityDraft { kind, occurred_at, contact_id, organization_id, deal_id, text: ActivityText { subject, body } })
    }
}

/// RFC 3339, or a local `YYYY-MM-DDTHH:MM` as an HTML form sends it (read as UTC).
pub fn parse_datetime(s: &str) -> Result<time::OffsetDateTime, String> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let local = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    time::PrimitiveDateTime::parse(s, &local)
        .map(|p| p.assume_utc())
        .map_err(|_| "must be a date and time such as 2026-03-01T14:30:00Z".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_activity_needs_a_kind_a_subject_and_a_link() {
        let e = ActivityInput::default().validate().err().unwrap_or_default();
        assert!(e.first_for("kind").is_some() && e.first_for("subject").is_some());
        let e = ActivityInput { kind: Some("call".into()), subject: Some("Rückruf".into()), ..Default::default() }
            .validate()
            .err()
            .unwrap_or_default();
        assert!(e.first_for("contact_id").is_some());
    }

    #[test]
    fn form_datetimes_are_read() {
        assert!(parse_datetime("2026-03-01T14:30").is_ok());
        assert!(parse_datetime("2026-03-01T14:30:00+01:00").is_ok());
        assert!(parse_datetime("gestern").is_err());
    }
}
