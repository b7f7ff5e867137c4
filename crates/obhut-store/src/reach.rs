//! What the privacy gate decides a record by, for every record kind, and the part of each
//! kind an actor may reach as a condition the database applies.
//!
//! A record about a contact (a deal, ticket or activity) inherits that contact's class, team,
//! tags (a processor's scope) and restriction; its owner is its own, else the contact's. A
//! deal or ticket without a contact, and an organization, stand on their own class, team and
//! owner. The same rules are written twice, once in SQL (so that lists filter and count in the
//! database) and once in Rust (for a record about to be written): [`RecordFacts::about`] and
//! the `FactColumns` of each kind are kept together here.

use crate::db::parse_uuid;
use crate::error::{Result, StoreError};
use obhut_core::contact::RecordClass;
use obhut_core::ids::{ContactId, UserId};

/// The part of the records an actor's policies let them reach, as a filter the database
/// applies (each record handed out is still checked one by one by the gate).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// Only these record classes; `None`: any.
    pub classes: Option<Vec<RecordClass>>,
    /// Only records owned by this user or belonging to one of `teams`.
    pub owner_or_teams: Option<(UserId, Vec<String>)>,
    /// Only records carrying this tag (a processor's scope).
    pub required_tag: Option<String>,
    /// Leave out records of contacts whose processing is restricted (Art. 18): everyone but
    /// those who administer data subject rights (the DPO, administrators).
    pub hide_restricted: bool,
}

/// What the gate decides one record by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFacts {
    pub class: RecordClass,
    pub owner: Option<UserId>,
    pub team: Option<String>,
    pub tags: Vec<String>,
    /// The contact (data subject) the record is about.
    pub subject: Option<ContactId>,
    /// Processing of that contact is restricted (Art. 18).
    pub restricted: bool,
}

impl RecordFacts {
    /// A record standing on its own (no contact): its own class, owner, team and tags.
    pub fn own(class: RecordClass, owner: Option<UserId>, team: Option<String>, tags: Vec<String>) -> Self {
        Self { class, owner, team, tags, subject: None, restricted: false }
    }

    /// A record about a contact whose facts are `contact`: the contact's class, team, tags and
    /// restriction; the record's own owner, else the contact's.
    pub fn about(contact: &RecordFacts, owner: Option<UserId>) -> Self {
        Self {
            class: contact.class,
            owner: owner.or(contact.owner),
            team: contact.team.clone(),
            tags: contact.tags.clone(),
            subject: contact.subject,
            restricted: contact.restricted,
        }
    }
}

/// The facts of a record as a query yields them (`f_…` columns, see `FactColumns::select`).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct FactsRow {
    pub(crate) f_class: String,
    pub(crate) f_owner: Option<String>,
    pub(crate) f_team: Option<String>,
    pub(crate) f_tags: Option<String>,
    pub(crate) f_subject: Option<String>,
    pub(crate) f_restricted: Option<i64>,
}

impl FactsRow {
    pub(crate) fn facts(&self) -> Result<RecordFacts> {
        Ok(RecordFacts {
            class: RecordClass::parse(&self.f_class).map_err(StoreError::Corrupt)?,
            owner: self.f_owner.as_deref().map(parse_uuid).transpose()?.map(UserId),
            team: self.f_team.clone(),
            tags: self.f_tags.as_deref().unwrap_or("").split('\n').filter(|t| !t.is_empty()).map(str::to_string).collect(),
            subject: self.f_subject.as_deref().map(parse_uuid).transpose()?.map(ContactId),
            restricted: self.f_restricted.is_some(),
        })
    }
}

/// SQL expressions that yield a record's facts in one kind's query.
pub(crate) struct FactColumns {
    pub class: &'static str,
    pub owner: &'static str,
    pub team: &'static str,
    /// Newline-separated tags.
    pub tags: &'static str,
    /// The contact the record is about (NULL: none); its tags are in `contact_tags`.
    pub subject: &'static str,
    /// When processing of that contact was restricted (NULL: not restricted).
    pub restricted: &'static str,
}

impl FactColumns {
    /// The `f_…` columns of [`FactsRow`].
    pub(crate) fn select(&self) -> String {
        format!(
            "{} AS f_class, {} AS f_owner, {} AS f_team, {} AS f_tags, {} AS f_subject, {} AS f_restricted",
            self.class, self.owner, self.team, self.tags, self.subject, self.restricted
        )
    }

    /// The conditions that keep a query within `reach`, with their values appended to `args`.
    pub(crate) fn conditions(&self, reach: &Reach, args: &mut Vec<String>) -> Vec<String> {
        let mut w = Vec::new();
        if let Some(tag) = &reach.required_tag {
            if self.subject == "NULL" {
                // Tags of a record of its own (organizations) are a newline-separated list.
                let esc = crate::db::like_escape(tag);
                let mut alts = Vec::new();
                for v in [tag.clone(), format!("{esc}\n%"), format!("%\n{esc}"), format!("%\n{esc}\n%")] {
                    args.push(v);
                    let op = if alts.is_empty() { "=".to_string() } else { "LIKE".to_string() };
                    let esc_clause = if alts.is_empty() { "" } else { " ESCAPE '\\'" };
                    alts.push(format!("{} {op} ${}{esc_clause}", self.tags, args.len()));
                }
                w.push(format!("({})", alts.join(" OR ")));
            } else {
                args.push(tag.clone());
                w.push(format!("{} IN (SELECT contact_id FROM contact_tags WHERE tag = ${})", self.subject, args.len()));
            }
        }
        if reach.hide_restricted && self.restricted != "NULL" {
            w.push(format!("{} IS NULL", self.restricted));
        }
        if let Some(classes) = &reach.classes {
            let mut ph = Vec::new();
            for c in classes {
                args.push(c.as_str().to_string());
                ph.push(format!("${}", args.len()));
            }
            w.push(if ph.is_empty() { "1 = 0".to_string() } else { format!("{} IN ({})", self.class, ph.join(", ")) });
        }
        if let Some((owner, teams)) = &reach.owner_or_teams {
            args.push(owner.to_string());
            let mut cond = format!("({} = ${}", self.owner, args.len());
            for t in teams {
                args.push(t.clone());
                cond.push_str(&format!(" OR {} = ${}", self.team, args.len()));
            }
            cond.push(')');
            w.push(cond);
        }
        w
    }
}

/// Joins conditions into a `WHERE` clause (empty when there are none).
pub(crate) fn where_sql(conds: &[String]) -> String {
    if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    }
}

/// Contacts decide by themselves.
pub(crate) const CONTACT: FactColumns = FactColumns {
    class: "c.record_class",
    owner: "c.owner_id",
    team: "c.team",
    tags: "c.tags",
    subject: "c.id",
    restricted: "c.restricted_at",
};

/// Deals (`d`) with the contact they are about (`c`).
pub(crate) const DEAL: FactColumns = FactColumns {
    class: "COALESCE(c.record_class, d.record_class)",
    owner: "COALESCE(d.owner_id, c.owner_id)",
    team: "CASE WHEN c.id IS NULL THEN d.team ELSE c.team END",
    tags: "c.tags",
    subject: "c.id",
    restricted: "c.restricted_at",
};
pub(crate) const DEAL_FROM: &str = "deals d LEFT JOIN contacts c ON c.id = d.contact_id";

/// Tickets (`t`) with the contact they are about (`c`).
pub(crate) const TICKET: FactColumns = FactColumns {
    class: "COALESCE(c.record_class, t.record_class)",
    owner: "COALESCE(t.owner_id, c.owner_id)",
    team: "CASE WHEN c.id IS NULL THEN t.team ELSE c.team END",
    tags: "c.tags",
    subject: "c.id",
    restricted: "c.restricted_at",
};
pub(crate) const TICKET_FROM: &str = "tickets t LEFT JOIN contacts c ON c.id = t.contact_id";

/// Activities (`a`): about their contact (`c`), else their deal's contact (`dc`); owned by
/// what they are filed under: the deal (`d`), else the contact, else the organization (`o`).
pub(crate) const ACTIVITY: FactColumns = FactColumns {
    class: "COALESCE(c.record_class, dc.record_class, d.record_class, o.record_class, 'standard')",
    owner: "CASE WHEN d.id IS NOT NULL THEN COALESCE(d.owner_id, dc.owner_id, c.owner_id) WHEN c.id IS NOT NULL THEN c.owner_id ELSE o.owner_id END",
    team: "CASE WHEN c.id IS NOT NULL THEN c.team WHEN dc.id IS NOT NULL THEN dc.team WHEN d.id IS NOT NULL THEN d.team ELSE o.team END",
    tags: "COALESCE(c.tags, dc.tags)",
    subject: "COALESCE(c.id, dc.id)",
    restricted: "COALESCE(c.restricted_at, dc.restricted_at)",
};
pub(crate) const ACTIVITY_FROM: &str = "activities a LEFT JOIN contacts c ON c.id = a.contact_id \
     LEFT JOIN deals d ON d.id = a.deal_id LEFT JOIN contacts dc ON dc.id = d.contact_id \
     LEFT JOIN organizations o ON o.id = a.organization_id";

/// Tasks (`k`) are decided exactly like the record they are on: a deal (`d`), a ticket (`t`),
/// a contact or an organization (`o`), with the contact that record is about (`c`).
pub(crate) const TASK: FactColumns = FactColumns {
    class: "COALESCE(c.record_class, d.record_class, t.record_class, o.record_class, 'standard')",
    owner: "CASE WHEN d.id IS NOT NULL THEN COALESCE(d.owner_id, c.owner_id) WHEN t.id IS NOT NULL THEN COALESCE(t.owner_id, c.owner_id) \
            WHEN c.id IS NOT NULL THEN c.owner_id ELSE o.owner_id END",
    team: "CASE WHEN c.id IS NOT NULL THEN c.team WHEN d.id IS NOT NULL THEN d.team WHEN t.id IS NOT NULL THEN t.team ELSE o.team END",
    tags: "c.tags",
    subject: "c.id",
    restricted: "c.restricted_at",
};
pub(crate) const TASK_FROM: &str = "tasks k LEFT JOIN deals d ON d.id = k.deal_id LEFT JOIN tickets t ON t.id = k.ticket_id \
     LEFT JOIN organizations o ON o.id = k.organization_id LEFT JOIN contacts c ON c.id = COALESCE(k.contact_id, d.contact_id, t.contact_id)";

/// Organizations (`o`) decide by themselves; they are not about a person.
pub(crate) const ORGANIZATION: FactColumns =
    FactColumns { class: "o.record_class", owner: "o.owner_id", team: "o.team", tags: "o.tags", subject: "NULL", restricted: "NULL" };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_about_a_contact_takes_the_contacts_class_team_tags_and_restriction_but_keeps_its_owner() {
        let me = UserId::new();
        let contact = RecordFacts {
            class: RecordClass::Hr,
            owner: Some(UserId::new()),
            team: Some("nord".into()),
            tags: vec!["callcenter".into()],
            subject: Some(ContactId::new()),
            restricted: true,
        };
        let deal = RecordFacts::about(&contact, Some(me));
        assert_eq!(deal.class, RecordClass::Hr);
        assert_eq!(deal.owner, Some(me));
        assert_eq!(deal.team.as_deref(), Some("nord"));
        assert_eq!(deal.tags, contact.tags);
        assert!(deal.restricted);
        assert_eq!(RecordFacts::about(&contact, None).owner, contact.owner, "without an owner of its own, the contact's");
    }

    #[test]
    fn reach_conditions_name_every_limit_with_numbered_values() {
        let me = UserId::new();
        let reach = Reach {
            classes: Some(vec![RecordClass::Standard]),
            owner_or_teams: Some((me, vec!["nord".into()])),
            required_tag: Some("cc_1".into()),
            hide_restricted: true,
        };
        let mut args = vec!["x".to_string()];
        let w = DEAL.conditions(&reach, &mut args);
        assert_eq!(w.len(), 4);
        assert_eq!(args, vec!["x".to_string(), "cc_1".into(), "standard".into(), me.to_string(), "nord".into()]);
        assert!(w[0].contains("$2") && w[2].contains("$3") && w[3].contains("$4") && w[3].contains("$5"), "{w:?}");
        // Organizations hold their tags as a list: the tag is matched whole, with LIKE's characters escaped.
        let mut args = Vec::new();
        let w = ORGANIZATION.conditions(&Reach { required_tag: Some("cc_1".into()), hide_restricted: true, ..Reach::default() }, &mut args);
        assert_eq!(w.len(), 1, "organizations are never restricted: {w:?}");
        assert_eq!(args, vec!["cc_1".to_string(), "cc\\_1\n%".into(), "%\ncc\\_1".into(), "%\ncc\\_1\n%".into()]);
        // No class at all: nothing.
        let w = CONTACT.conditions(&Reach { classes: Some(vec![]), ..Reach::default() }, &mut Vec::new());
        assert_eq!(w, vec!["1 = 0".to_string()]);
    }
}
