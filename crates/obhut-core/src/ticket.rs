//! Tickets: service cases and complaints.

use crate::ids::{ContactId, OrganizationId, UserId};
use crate::text::{optional_text, required_text};
use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};

str_enum!(/// Whether a ticket is a service case or a complaint.
    TicketKind { Service = "service", Complaint = "complaint" });
str_enum!(/// Where a ticket stands.
    TicketStatus { Open = "open", InProgress = "in_progress", Waiting = "waiting", Resolved = "resolved", Closed = "closed" });
str_enum!(TicketPriority { Low = "low", Normal = "normal", High = "high", Urgent = "urgent" });

/// Sealed text of a ticket, encrypted under the key of its contact (or organization).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TicketText {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl std::fmt::Debug for TicketText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TicketText(<redacted>)")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketInput {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// service or complaint.
    #[serde(default)]
    pub kind: Option<String>,
    /// open, in_progress, waiting, resolved, closed.
    #[serde(default)]
    pub status: Option<String>,
    /// low, normal, high, urgent.
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub contact_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub organization_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub owner_id: Option<String>,
    /// standard or hr; decides who may reach the record where it is about no contact (a
    /// record about a contact takes the contact's class).
    #[serde(default)]
    pub record_class: Option<String>,
    /// The team the record belongs to where it is about no contact; an empty string clears it.
    #[serde(default)]
    pub team: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketDraft {
    pub kind: TicketKind,
    pub status: TicketStatus,
    pub priority: TicketPriority,
    pub contact_id: Option<ContactId>,
    pub organization_id: Option<OrganizationId>,
    pub owner_id: Option<UserId>,
    pub text: TicketText,
    pub record_class: crate::contact::RecordClass,
    pub team: Option<String>,
}

impl TicketInput {
    pub fn merge(mut self, patch: TicketInput) -> Self {
        macro_rules! take {
            ($($f:ident),*) => { $( if patch.$f.is_some() { self.$f = patch.$f; } )* };
        }
        take!(title, description, kind, status, priority, contact_id, organization_id, owner_id, record_class, team);
        self
    }

    pub fn from_draft(d: &TicketDraft) -> Self {
        Self {
            title: Some(d.text.title.clone()),
            description: d.text.description.clone(),
            kind: Some(d.kind.as_str().into()),
            status: Some(d.status.as_str().into()),
            priority: Some(d.priority.as_str().into()),
            contact_id: d.contact_id.map(|x| x.to_string()),
            organization_id: d.organization_id.map(|x| x.to_string()),
            owner_id: d.owner_id.map(|x| x.to_string()),
            record_class: Some(d.record_class.as_str().into()),
            team: d.team.clone(),
        }
    }

    pub fn validate(&self) -> Result<TicketDraft, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let title = required_text(&mut e, "title", self.title.as_deref(), 200);
        let description = optional_text(&mut e, "description", self.description.as_deref(), 20_000, true);
        let kind =
            self.kind.as_deref().map(|k| TicketKind::parse(k).map_err(|m| e.add("kind", m)).ok()).unwrap_or(Some(TicketKind::Service));
        let status =
            self.status.as_deref().map(|k| TicketStatus::parse(k).map_err(|m| e.add("status", m)).ok()).unwrap_or(Some(TicketStatus::Open));
        let priority = self
            .priority
            .as_deref()
            .map(|k| TicketPriority::parse(k).map_err(|m| e.add("priority", m)).ok())
            .unwrap_or(Some(TicketPriority::Normal));
        let id = |e: &mut ValidationErrors, f: &str, v: &Option<String>| -> Option<uuid::Uuid> {
            let v = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
            uuid::Uuid::parse_str(v).map_err(|_| e.add(f, "is not a valid id")).ok()
        };
        let contact_id = id(&mut e, "contact_id", &self.contact_id).map(ContactId);
        let organization_id = id(&mut e, "organization_id", &self.organization_id).map(OrganizationId);
        let owner_id = id(&mut e, "owner_id", &self.owner_id).map(UserId);
        if contact_id.is_none() && organization_id.is_none() && e.is_empty() {
            e.add("contact_id", "a ticket belongs to a contact or an organization");
        }
        let (Some(kind), Some(status), Some(priority)) = (kind, status, priority) else {
            return Err(e);
        };
        let (record_class, team) = crate::contact::class_and_team(&mut e, self.record_class.as_deref(), self.team.as_deref());
        e.into_result(TicketDraft {
            record_class,
            team,
            kind,
            status,
            priority,
            contact_id,
            organization_id,
            owner_id,
            text: TicketText { title, description },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_status_is_named() {
        let e = TicketInput {
            title: Some("Defekt".into()),
            status: Some("done".into()),
            contact_id: Some(ContactId::new().to_string()),
            ..Default::default()
        }
        .validate()
        .err()
        .unwrap_or_default();
        assert_eq!(e.first_for("status"), Some("must be one of open, in_progress, waiting, resolved, closed"));
    }
}
