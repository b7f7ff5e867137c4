//! Pieces several pages share: names of linked records, select options, and the activity
//! timeline with its form (contacts, organizations and deals all have one).

use super::page::{non_empty, see_other, Errs, Opt};
use super::session::Web;
use super::session::{sanitize_next, Posted};
use crate::fmt;
use crate::i18n::Tr;
use crate::services::{self, Page};
use axum::extract::Path;
use axum::response::Response;
use obhut_core::activity::{ActivityInput, ActivityKind};
use obhut_core::ids::{ActivityId, ContactId, OrganizationId, StageId};
use obhut_store::activities::{ActivityOwner, ActivityRecord};
use obhut_store::deals::{DealRecord, StageRecord};
use obhut_store::tickets::TicketRecord;
use serde::Deserialize;
use std::collections::HashMap;

/// Names of organizations by id, read through the service (ids it cannot read are left out).
pub async fn organization_names(web: &Web, ids: Vec<OrganizationId>) -> HashMap<OrganizationId, String> {
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(&id) {
            continue;
        }
        if let Ok(o) = services::organizations::get(&web.app, web.actor(), id).await {
            out.insert(id, o.draft.name);
        }
    }
    out
}

/// The purpose the sales screens (contacts, organizations, deals) read contacts under.
pub const SALES_PURPOSE: &str = "contract";
/// The purpose the service desk (tickets) reads contacts under.
pub const SERVICE_PURPOSE: &str = "customer_service";
/// The purpose the data subject request screens read contacts under.
pub const RIGHTS_PURPOSE: &str = obhut_core::purpose::DATA_SUBJECT_RIGHTS;

/// Display names of contacts by id, read through the service under the screen's purpose
/// (each screen declares its own: the sales screens `contract`, the service desk `customer_service`).
pub async fn contact_names(web: &Web, ids: Vec<ContactId>, purpose: &str) -> HashMap<ContactId, String> {
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(&id) {
            continue;
        }
        if let Ok(c) = services::contacts::get_for(&web.app, web.actor(), id, purpose).await {
            out.insert(id, c.personal.display_name());
        }
    }
    out
}


pub fn stage_names(stages: &[StageRecord]) -> HashMap<StageId, String> {
    stages.iter().map(|s| (s.id, s.name.clone())).collect()
}

/// One entry of an activity timeline.
#[derive(Debug)]
pub struct ActivityRow {
    pub id: String,
    pub kind: &'static str,
    pub kind_label: String,
    pub when: String,
    pub subject: String,
    pub body: Option<String>,
}

pub fn activity_rows(tr: Tr, list: Vec<ActivityRecord>) -> Vec<ActivityRow> {
    list.into_iter()
        .map(|a| ActivityRow {
            id: a.id.to_string(),
            kind: a.kind.as_str(),
            kind_label: tr.v("activity_kind", a.kind.as_str()),
            when: fmt::datetime(tr.lang, a.occurred_at),
            subject: a.text.subject,
            body: a.text.body,
        })
        .collect()
}

/// The newest 100 activities of a record, newest first.
pub async fn activities_of(web: &Web, owner: ActivityOwner) -> Result<Vec<ActivityRow>, Response> {
    match services::activities::list(&web.app, web.actor(), owner, Page::new(Some(100), None)).await {
        Ok(list) => Ok(activity_rows(web.tr(), list)),
        Err(e) => Err(web.fail(e)),
    }
}

/// The "add activity" form as typed.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ActivityForm {
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub occurred_at: String,
}

impl Default for ActivityForm {
    fn default() -> Self {
        Self { kind: "note".into(), subject: String::new(), body: String::new(), occurred_at: String::new() }
    }
}

impl ActivityForm {
    /// An empty form, dated now.
    pub fn fresh(web: &Web) -> Self {
        Self { occurred_at: fmt::input_now(web.app.now_ms()), ..Self::default() }
    }

    pub fn input(&self, owner: ActivityOwner) -> ActivityInput {
        let mut i = ActivityInput {
            kind: Some(self.kind.clone()),
            subject: Some(self.subject.clone()),
            body: Some(self.body.clone()),
            occurred_at: non_empty(&self.occurred_at).map(fmt::from_input_datetime),
            ..Default::default()
        };
        match owner {
            ActivityOwner::Contact(c) => i.contact_id = Some(c.to_string()),
            ActivityOwner::Organization(o) => i.organization_id = Some(o.to_string()),
            ActivityOwner::Deal(d) => i.deal_id = Some(d.to_string()),
        }
        i
    }
}

pub const ACTIVITY_FIELDS: &[&str] = &["kind", "subject", "body", "occurred_at"];

pub fn activity_kinds(tr: Tr) -> Vec<Opt> {
    ActivityKind::ALL.iter().map(|k| Opt::new(k.as_str(), tr.v("activity_kind", k.as_str()))).collect()
}

/// The timeline block of a record page: rows, form, its errors and where it posts.
pub struct Timeline {
    pub rows: Vec<ActivityRow>,
    pub form: ActivityForm,
    pub errs: Errs,
    pub kinds: Vec<Opt>,
    pub action: String,
    /// Where the delete buttons come back to.
    pub back: String,
}

impl Timeline {
    pub async fn load(web: &Web, owner: ActivityOwner, back: String, typed: Option<(ActivityForm, Errs)>) -> Result<Self, Response> {
        let rows = activities_of(web, owner).await?;
        let (form, errs) = typed.unwrap_or_else(|| (ActivityForm::fresh(web), Errs::none()));
        Ok(Self { rows, form, errs, kinds: activity_kinds(web.tr()), action: format!("{back}/activities"), back })
    }
}

/// Creates the activity, or returns the form with its errors for the page to show again.
pub async fn add_activity(web: &Web, owner: ActivityOwner, form: ActivityForm) -> Result<(), Result<(ActivityForm, Errs), Response>> {
    match services::activities::create(&web.app, web.actor(), &form.input(owner)).await {
        Ok(_) => Ok(()),
        Err(crate::error::ServiceError::Validation(v)) => {
            let errs = Errs::from_validation(web.tr(), &v, &[], ACTIVITY_FIELDS);
            Err(Ok((form, errs)))
        }
        Err(e) => Err(Err(web.fail(e))),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BackForm {
    back: String,
}

/// Appends `flash=…` to a local URL.
pub fn with_flash(url: &str, flash: &str) -> String {
    let (path, fragment) = url.split_once('#').map(|(p, f)| (p, format!("#{f}"))).unwrap_or((url, String::new()));
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}flash={flash}{fragment}")
}

/// `POST /activities/{id}/delete`: back to the page the button was on.
pub async fn delete_activity(Path(id): Path<String>, Posted { web, form }: Posted<BackForm>) -> Response {
    let Ok(id) = ActivityId::parse(&id) else { return web.not_found() };
    match services::activities::delete(&web.app, web.actor(), id).await {
        Ok(()) => see_other(&with_flash(&sanitize_next(Some(&form.back)), "deleted")),
        Err(e) => web.fail(e),
    }
}

/// A ticket in a list.
#[derive(Debug)]
pub struct TicketRow {
    pub id: String,
    pub number: i64,
    pub title: String,
    pub status: &'static str,
    pub status_label: String,
    pub priority: &'static str,
    pub priority_label: String,
    pub kind_label: String,
    pub about: Option<(String, String)>,
    pub updated: String,
    /// When the next answer is due, while one is owed, and whether that time has passed.
    pub due: Option<String>,
    pub overdue: bool,
}

pub async fn ticket_rows(web: &Web, list: Vec<TicketRecord>) -> Vec<TicketRow> {
    let tr = web.tr();
    let now = web.app.now_ms();
    let contacts = contact_names(web, list.iter().filter_map(|t| t.draft.contact_id).collect(), SERVICE_PURPOSE).await;
    let orgs = organization_names(web, list.iter().filter_map(|t| t.draft.organization_id).collect()).await;
    list.into_iter()
        .map(|t| {
            let d = &t.draft;
            let about = match (d.contact_id, d.organization_id) {
                (Some(c), _) if contacts.contains_key(&c) => contacts.get(&c).map(|n| (format!("/contacts/{c}"), n.clone())),
                (_, Some(o)) => orgs.get(&o).map(|n| (format!("/organizations/{o}"), n.clone())),
                _ => None,
            };
            TicketRow {
                id: t.id.to_string(),
                number: t.number,
                title: d.text.title.clone(),
                status: d.status.as_str(),
                status_label: tr.v("ticket_status", d.status.as_str()),
                priority: d.priority.as_str(),
                priority_label: tr.v("ticket_priority", d.priority.as_str()),
                kind_label: tr.v("ticket_kind", d.kind.as_str()),
                about,
                updated: fmt::datetime(tr.lang, t.updated_at),
                due: t.due_at.map(|d| fmt::datetime(tr.lang, d)),
                overdue: t.due_at.is_some_and(|d| d < now),
            }
        })
        .collect()
}

/// A deal in a list.
#[derive(Debug)]
pub struct DealRow {
    pub id: String,
    pub title: String,
    pub stage: String,
    pub amount: Option<String>,
    pub organization: Option<(String, String)>,
    pub expected_close: Option<String>,
}

pub async fn deal_rows(web: &Web, list: Vec<DealRecord>) -> Vec<DealRow> {
    let tr = web.tr();
    let stages = match services::deals::stages(&web.app, web.actor()).await {
        Ok(s) => stage_names(&s),
        Err(_) => HashMap::new(),
    };
    let orgs = organization_names(web, list.iter().filter_map(|d| d.draft.organization_id).collect()).await;
    list.into_iter()
        .map(|d| DealRow {
            id: d.id.to_string(),
            title: d.draft.title.clone(),
            stage: d.draft.stage_id.and_then(|s| stages.get(&s).cloned()).unwrap_or_default(),
            amount: d.draft.amount_cents.map(|c| fmt::amount(tr.lang, c, &d.draft.currency)),
            organization: d.draft.organization_id.and_then(|o| orgs.get(&o).map(|n| (format!("/organizations/{o}"), n.clone()))),
            expected_close: d.draft.expected_close_on.map(|x| fmt::date(tr.lang, x)),
        })
        .collect()
}

/// The tickets of a page's section (a contact's, an organization's), the first 50: empty
/// where the reader may not see tickets at all.
pub async fn ticket_section(web: &Web, filter: obhut_store::tickets::TicketFilter) -> Result<Vec<TicketRow>, Response> {
    if !may_read(web, crate::gate::Resource::Ticket) {
        return Ok(Vec::new());
    }
    match services::tickets::list(&web.app, web.actor(), &filter, Page::new(Some(50), None)).await {
        Ok((list, _)) => Ok(ticket_rows(web, list).await),
        Err(e) => Err(web.fail(e)),
    }
}

/// The deals of a page's section, the first 50: empty where the reader may not see deals at all.
pub async fn deal_section(web: &Web, filter: obhut_store::deals::DealFilter) -> Result<Vec<DealRow>, Response> {
    if !may_read(web, crate::gate::Resource::Deal) {
        return Ok(Vec::new());
    }
    match services::deals::list(&web.app, web.actor(), &filter, Page::new(Some(50), None)).await {
        Ok((list, _)) => Ok(deal_rows(web, list).await),
        Err(e) => Err(web.fail(e)),
    }
}

/// The record classes, for a select.
pub fn class_options(tr: crate::i18n::Tr) -> Vec<Opt> {
    ["standard", "hr"].iter().map(|c| Opt::new(*c, tr.v("record_class", c))).collect()
}

/// Whether the actor may read records of a kind at all (asked silently: a page leaves out a
/// section its reader may not see, rather than failing or logging a refusal for it).
pub fn may_read(web: &Web, resource: crate::gate::Resource) -> bool {
    web.app.gate.check_kind(web.actor(), crate::gate::Action::Read, resource, "", web.app.today()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flash_is_appended_before_the_fragment() {
        assert_eq!(with_flash("/contacts/1", "deleted"), "/contacts/1?flash=deleted");
        assert_eq!(with_flash("/deals?x=1#d", "moved"), "/deals?x=1&flash=moved#d");
    }
}

/// The staff a record can be given to, as options (id, user name).
pub async fn assignee_options(web: &Web) -> Vec<super::page::Opt> {
    crate::services::tasks::assignees(&web.app, web.actor())
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(id, name)| super::page::Opt::new(id.to_string(), name))
        .collect()
}
