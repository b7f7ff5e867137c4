//! Tasks and follow-ups ("Wiedervorlagen"): work to do on one record, by a date, for someone.

use crate::ids::{ContactId, DealId, OrganizationId, TicketId, UserId};
use crate::text::{optional_date, optional_text, required_text};
use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};

str_enum!(/// A to-do, or a follow-up: the sales person's "Wiedervorlage" (it needs a due date).
    TaskKind { Todo = "todo", FollowUp = "follow_up", Call = "call" });
str_enum!(/// How urgent a task is.
    TaskPriority { Low = "low", Normal = "normal", High = "high" });

/// The record a task is on; the gate decides the task exactly like it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskOn {
    Contact(ContactId),
    Organization(OrganizationId),
    Deal(DealId),
    Ticket(TicketId),
}

impl TaskOn {
    /// The record's kind, as the gate and the audit trail name it.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Contact(_) => "contact",
            Self::Organization(_) => "organization",
            Self::Deal(_) => "deal",
            Self::Ticket(_) => "ticket",
        }
    }
    pub fn id(self) -> uuid::Uuid {
        match self {
            Self::Contact(i) => i.0,
            Self::Organization(i) => i.0,
            Self::Deal(i) => i.0,
            Self::Ticket(i) => i.0,
        }
    }
}

/// The sealed text of a task, encrypted under the key of the person its record is about (else
/// of the organization).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TaskText {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl std::fmt::Debug for TaskText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TaskText(<redacted>)")
    }
}

/// A task as the API and the forms send it. On a change, absent fields stay and an empty
/// string clears `notes`, `due_on`, `remind_at` and `assignee_id`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    /// todo, follow_up (needs a due date) or call; default todo.
    #[serde(default)]
    pub kind: Option<String>,
    /// low, normal or high; default normal.
    #[serde(default)]
    pub priority: Option<String>,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub due_on: Option<String>,
    /// When to remind the assignee by mail: RFC 3339, or YYYY-MM-DDTHH:MM (UTC).
    #[serde(default)]
    pub remind_at: Option<String>,
    /// Who does it; defaults to whoever creates the task.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub assignee_id: Option<String>,
    /// The record the task is on: exactly one of contact_id, organization_id, deal_id, ticket_id.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub contact_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub organization_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub deal_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub ticket_id: Option<String>,
    /// Done (true) or open again (false).
    #[serde(default)]
    pub done: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskDraft {
    pub kind: TaskKind,
    pub priority: TaskPriority,
    pub due_on: Option<time::Date>,
    pub remind_at: Option<time::OffsetDateTime>,
    pub assignee_id: Option<UserId>,
    pub on: TaskOn,
    pub done: bool,
    pub text: TaskText,
}

fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl TaskInput {
    pub fn merge(mut self, patch: TaskInput) -> Self {
        macro_rules! take {
            ($($f:ident),*) => { $( if patch.$f.is_some() { self.$f = patch.$f; } )* };
        }
        take!(title, notes, kind, priority, due_on, remind_at, assignee_id, contact_id, organization_id, deal_id, ticket_id, done);
        self
    }

    pub fn from_draft(d: &TaskDraft) -> Self {
        let mut s = Self {
            title: Some(d.text.title.clone()),
            notes: d.text.notes.clone(),
            kind: Some(d.kind.as_str().into()),
            priority: Some(d.priority.as_str().into()),
            due_on: d.due_on.map(|x| x.to_string()),
            remind_at: d.remind_at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
            assignee_id: d.assignee_id.map(|x| x.to_string()),
            done: Some(d.done),
            ..Default::default()
        };
        let id = Some(d.on.id().to_string());
        match d.on {
            TaskOn::Contact(_) => s.contact_id = id,
            TaskOn::Organization(_) => s.organization_id = id,
            TaskOn::Deal(_) => s.deal_id = id,
            TaskOn::Ticket(_) => s.ticket_id = id,
        }
        s
    }

    pub fn validate(&self) -> Result<TaskDraft, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let title = required_text(&mut e, "title", self.title.as_deref(), 200);
        let notes = optional_text(&mut e, "notes", self.notes.as_deref(), 5_000, true);
        let kind = blank(&self.kind).map(|k| TaskKind::parse(k).map_err(|m| e.add("kind", m)).ok()).unwrap_or(Some(TaskKind::Todo));
        let priority =
            blank(&self.priority).map(|k| TaskPriority::parse(k).map_err(|m| e.add("priority", m)).ok()).unwrap_or(Some(TaskPriority::Normal));
        let due_on = optional_date(&mut e, "due_on", blank(&self.due_on));
        let remind_at = blank(&self.remind_at).and_then(|s| crate::activity::parse_datetime(s).map_err(|m| e.add("remind_at", m)).ok());
        let assignee_id = blank(&self.assignee_id).and_then(|s| UserId::parse(s).map_err(|_| e.add("assignee_id", "is not a valid id")).ok());
        let mut on = Vec::new();
        if let Some(s) = blank(&self.contact_id) {
            ContactId::parse(s).map(|i| on.push(TaskOn::Contact(i))).unwrap_or_else(|_| e.add("contact_id", "is not a valid id"));
        }
        if let Some(s) = blank(&self.organization_id) {
            OrganizationId::parse(s)
                .map(|i| on.push(TaskOn::Organization(i)))
                .unwrap_or_else(|_| e.add("organization_id", "is not a valid id"));
        }
        if let Some(s) = blank(&self.deal_id) {
            DealId::parse(s).map(|i| on.push(TaskOn::Deal(i))).unwrap_or_else(|_| e.add("deal_id", "is not a valid id"));
        }
        if let Some(s) = blank(&self.ticket_id) {
            TicketId::parse(s).map(|i| on.push(TaskOn::Ticket(i))).unwrap_or_else(|_| e.add("ticket_id", "is not a valid id"));
        }
        if on.len() > 1 {
            e.add("contact_id", "a task is on one record: give one of contact_id, organization_id, deal_id, ticket_id");
        } else if on.is_empty() && ["contact_id", "organization_id", "deal_id", "ticket_id"].iter().all(|f| e.first_for(f).is_none()) {
            e.add("contact_id", "a task is on a contact, an organization, a deal or a ticket");
        }
        if kind == Some(TaskKind::FollowUp) && due_on.is_none() && e.first_for("due_on").is_none() {
            e.add("due_on", "a follow-up needs the day it is due");
        }
        let (Some(kind), Some(priority), Some(on)) = (kind, priority, on.first().copied()) else {
            return Err(e);
        };
        e.into_result(TaskDraft {
            kind,
            priority,
            due_on,
            remind_at,
            assignee_id,
            on,
            done: self.done.unwrap_or(false),
            text: TaskText { title, notes },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_contact() -> TaskInput {
        TaskInput { title: Some("Angebot nachfassen".into()), contact_id: Some(ContactId::new().to_string()), ..Default::default() }
    }

    #[test]
    fn a_task_needs_a_title_and_exactly_one_record() {
        let e = TaskInput::default().validate().err().unwrap_or_default();
        assert!(e.first_for("title").is_some() && e.first_for("contact_id").is_some());
        let two = TaskInput { deal_id: Some(DealId::new().to_string()), ..on_contact() };
        assert_eq!(
            two.validate().err().unwrap_or_default().first_for("contact_id"),
            Some("a task is on one record: give one of contact_id, organization_id, deal_id, ticket_id")
        );
        let d = on_contact().validate().map_err(|e| format!("{e:?}"));
        assert!(matches!(d.map(|d| (d.kind, d.priority, d.done)), Ok((TaskKind::Todo, TaskPriority::Normal, false))));
    }

    #[test]
    fn a_follow_up_needs_a_due_day_and_bad_values_are_named() {
        let e = TaskInput { kind: Some("follow_up".into()), ..on_contact() }.validate().err().unwrap_or_default();
        assert_eq!(e.first_for("due_on"), Some("a follow-up needs the day it is due"));
        let e = TaskInput { priority: Some("asap".into()), due_on: Some("morgen".into()), remind_at: Some("bald".into()), ..on_contact() }
            .validate()
            .err()
            .unwrap_or_default();
        assert_eq!(e.first_for("priority"), Some("must be one of low, normal, high"));
        assert!(e.first_for("due_on").is_some() && e.first_for("remind_at").is_some());
    }

    #[test]
    fn a_draft_survives_the_round_trip_through_the_input() {
        let input = TaskInput {
            kind: Some("follow_up".into()),
            due_on: Some("2026-12-07".into()),
            remind_at: Some("2026-12-07T08:00:00Z".into()),
            notes: Some("Preis klären".into()),
            ..on_contact()
        };
        let d = input.validate().map_err(|e| format!("{e:?}"));
        let again = d.clone().map(|d| TaskInput::from_draft(&d).validate().map_err(|e| format!("{e:?}")));
        assert_eq!(d.map(Ok), again);
    }
}
