//! What a contact list asks for: the filters (each a condition the database can check without
//! opening a contact) and the orders the database can sort by.

pub use crate::reach::Reach;
use obhut_core::contact::ContactKind;
use obhut_core::ids::{ContactId, OrganizationId, UserId};

/// Filters for contact lists; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    pub kind: Option<ContactKind>,
    pub organization_id: Option<OrganizationId>,
    pub owner_id: Option<UserId>,
    pub tag: Option<String>,
    pub language: Option<String>,
    /// Only these contacts (a selection in a list).
    pub ids: Option<Vec<ContactId>>,
    /// Contacts in this city: its token ([`crate::crypto::Crypto::city_token`]), set by the service.
    pub city_token: Option<String>,
    /// Created at or after / before these times (milliseconds).
    pub created_from: Option<i64>,
    pub created_before: Option<i64>,
    /// With an activity at or after this time; with none since this time (or none at all).
    pub active_since: Option<i64>,
    pub inactive_since: Option<i64>,
    /// Set by the gate, not by callers: what the actor may reach at all.
    pub reach: Reach,
}

/// Orders the database can sort by (an encrypted name it cannot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContactOrder {
    #[default]
    CreatedDesc,
    CreatedAsc,
    UpdatedDesc,
    UpdatedAsc,
    /// By the organization's name (contacts without one last), then newest first.
    OrganizationAsc,
    OrganizationDesc,
    /// By the owner's user name (contacts without one last), then newest first.
    OwnerAsc,
    OwnerDesc,
    /// By the latest activity (contacts without any last).
    ActivityDesc,
    ActivityAsc,
}

impl ContactOrder {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            Self::CreatedDesc => "c.created_at DESC, c.id DESC",
            Self::CreatedAsc => "c.created_at ASC, c.id ASC",
            Self::UpdatedDesc => "c.updated_at DESC, c.id DESC",
            Self::UpdatedAsc => "c.updated_at ASC, c.id ASC",
            Self::OrganizationAsc => "o.name_folded ASC NULLS LAST, c.created_at DESC, c.id DESC",
            Self::OrganizationDesc => "o.name_folded DESC NULLS LAST, c.created_at DESC, c.id DESC",
            Self::OwnerAsc => "(SELECT u.username FROM users u WHERE u.id = c.owner_id) ASC NULLS LAST, c.created_at DESC, c.id DESC",
            Self::OwnerDesc => "(SELECT u.username FROM users u WHERE u.id = c.owner_id) DESC NULLS LAST, c.created_at DESC, c.id DESC",
            Self::ActivityDesc => "c.last_activity_at DESC NULLS LAST, c.id DESC",
            Self::ActivityAsc => "c.last_activity_at ASC NULLS LAST, c.id ASC",
        }
    }
}

pub(crate) fn filter_sql(f: &ContactFilter, args: &mut Vec<String>) -> String {
    filter_sql_as(f, args, false)
}

/// [`filter_sql`] for a query that reads few contacts by another index (a name bucket): the tag
/// is checked contact by contact, not by listing every contact with the tag first.
pub(crate) fn filter_sql_per_contact(f: &ContactFilter, args: &mut Vec<String>) -> String {
    filter_sql_as(f, args, true)
}

fn filter_sql_as(f: &ContactFilter, args: &mut Vec<String>, per_contact: bool) -> String {
    let mut w: Vec<String> = Vec::new();
    let mut push = |cond: &str, v: String, args: &mut Vec<String>| {
        args.push(v);
        w.push(cond.replace('?', &format!("${}", args.len())));
    };
    if let Some(k) = f.kind {
        push("c.kind = ?", k.as_str().into(), args);
    }
    if let Some(o) = f.organization_id {
        push("c.organization_id = ?", o.to_string(), args);
    }
    if let Some(o) = f.owner_id {
        push("c.owner_id = ?", o.to_string(), args);
    }
    if let Some(l) = &f.language {
        push("c.language = ?", l.clone(), args);
    }
    if let Some(t) = &f.tag {
        if per_contact {
            push("EXISTS (SELECT 1 FROM contact_tags ct WHERE ct.contact_id = c.id AND ct.tag = ?)", t.clone(), args);
        } else {
            push("c.id IN (SELECT contact_id FROM contact_tags WHERE tag = ?)", t.clone(), args);
        }
    }
    if let Some(t) = &f.city_token {
        push("c.city_token = ?", t.clone(), args);
    }
    if let Some(t) = f.created_from {
        push("c.created_at >= CAST(? AS BIGINT)", t.to_string(), args);
    }
    if let Some(t) = f.created_before {
        push("c.created_at < CAST(? AS BIGINT)", t.to_string(), args);
    }
    if let Some(t) = f.active_since {
        push("c.last_activity_at >= CAST(? AS BIGINT)", t.to_string(), args);
    }
    if let Some(t) = f.inactive_since {
        push("(c.last_activity_at IS NULL OR c.last_activity_at < CAST(? AS BIGINT))", t.to_string(), args);
    }
    if let Some(ids) = &f.ids {
        // Typed ids: their text is a UUID's, nothing else.
        let list: Vec<String> = ids.iter().map(|i| format!("'{i}'")).collect();
        w.push(if list.is_empty() { "1 = 0".into() } else { format!("c.id IN ({})", list.join(", ")) });
    }
    w.extend(crate::reach::CONTACT.conditions(&f.reach, args));
    if w.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", w.join(" AND "))
    }
}

