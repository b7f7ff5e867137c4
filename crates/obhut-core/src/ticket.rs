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

str_enum!(/// What a message on a ticket is: a reply mailed to the customer, the customer's answer
    /// taken in from the support mailbox, or a comment only staff see.
    MessageKind { Reply = "reply", Inbound = "inbound", Comment = "comment" });

/// The sealed part of a ticket message (under the same key as the ticket's text).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MessageText {
    pub body: String,
    /// A reply: the address it went to; an answer: the address it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// An answer: the sender's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// An answer: the names of attachments, which are not taken in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
    /// The mail's Message-ID (a reply's, or the answer's), to thread the next reply on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

impl std::fmt::Debug for MessageText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MessageText(<redacted>)")
    }
}

/// The longest message body taken (a reply, a comment, or an answer, which is cut there).
pub const MESSAGE_MAX: usize = 50_000;

/// A reply or a comment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    #[serde(default)]
    pub body: Option<String>,
}

impl MessageInput {
    pub fn validate(&self) -> Result<String, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let body = optional_text(&mut e, "body", self.body.as_deref(), MESSAGE_MAX, true);
        if body.is_none() && e.is_empty() {
            e.add("body", "is required");
        }
        e.into_result(body.unwrap_or_default())
    }
}

/// Hours until the next answer to the customer is due, per priority (the service level).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sla {
    pub urgent: i64,
    pub high: i64,
    pub normal: i64,
    pub low: i64,
}

impl Default for Sla {
    fn default() -> Self {
        Self { urgent: 4, high: 24, normal: 72, low: 168 }
    }
}

impl Sla {
    pub fn hours(&self, p: TicketPriority) -> i64 {
        match p {
            TicketPriority::Urgent => self.urgent,
            TicketPriority::High => self.high,
            TicketPriority::Normal => self.normal,
            TicketPriority::Low => self.low,
        }
    }

    /// When an answer is due for a ticket of priority `p` that needs one from `from` (ms).
    pub fn due(&self, p: TicketPriority, from: i64) -> i64 {
        from + self.hours(p) * 3_600_000
    }

    /// `urgent=4,high=24,normal=72,low=168` (any subset; the rest keep their defaults).
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut sla = Self::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("'{part}' is not priority=hours"))?;
            let p = TicketPriority::parse(k.trim())?;
            let h: i64 = v.trim().parse().map_err(|_| format!("'{}' is not a number of hours", v.trim()))?;
            if !(1..=24 * 365).contains(&h) {
                return Err(format!("{h} hours for {} is outside 1 to 8760", p.as_str()));
            }
            match p {
                TicketPriority::Urgent => sla.urgent = h,
                TicketPriority::High => sla.high = h,
                TicketPriority::Normal => sla.normal = h,
                TicketPriority::Low => sla.low = h,
            }
        }
        Ok(sla)
    }
}

/// Whether a ticket in `status` still owes the customer an answer (an SLA clock runs).
pub fn awaits_answer(status: TicketStatus) -> bool {
    matches!(status, TicketStatus::Open | TicketStatus::InProgress)
}

/// The ticket number a mail's subject names ("[Ticket #42]", as replies carry it).
pub fn number_in_subject(subject: &str) -> Option<i64> {
    let start = subject.find("[Ticket #")? + "[Ticket #".len();
    let rest = &subject[start..];
    let end = rest.find(']')?;
    rest[..end].trim().parse().ok().filter(|n: &i64| *n > 0)
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

    #[test]
    fn sla_parses_and_names_what_is_wrong() {
        assert_eq!(Sla::parse("urgent=2, low=100").map(|s| (s.urgent, s.high, s.low)), Ok((2, 24, 100)));
        assert_eq!(Sla::default().due(TicketPriority::High, 1000), 1000 + 24 * 3_600_000);
        assert!(Sla::parse("soon=2").unwrap_err().contains("must be one of"));
        assert_eq!(Sla::parse("high=x").unwrap_err(), "'x' is not a number of hours");
        assert!(Sla::parse("high=0").is_err());
    }

    #[test]
    fn ticket_number_is_read_from_a_reply_subject() {
        assert_eq!(number_in_subject("AW: Re: Drucker defekt [Ticket #42]"), Some(42));
        assert_eq!(number_in_subject("[Ticket #x]"), None);
        assert_eq!(number_in_subject("Ticket 42"), None);
    }

    #[test]
    fn empty_message_is_refused() {
        assert_eq!(MessageInput { body: Some("  ".into()) }.validate().err().unwrap_or_default().first_for("body"), Some("is required"));
        assert_eq!(MessageInput { body: Some(" Hallo ".into()) }.validate().ok().as_deref(), Some("Hallo"));
    }
}
