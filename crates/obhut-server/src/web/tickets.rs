//! Tickets: the list by status, the ticket page, and the create / edit / delete forms.

use super::common::{contact_names, organization_names, ticket_rows, TicketRow};
use super::failure::{OrFail, PageResult};
use super::page::{list_url, non_empty, page_number, render, render_status, see_other, ConfirmDelete, Ctx, Errs, Opt, Pager, SortHead, PAGE_SIZE};
use super::session::{Posted, Web};
use crate::error::ServiceError;
use crate::fmt;
use crate::i18n::Tr;
use crate::services::tickets as service;
use crate::services::Page;
use askama::Template;
use axum::extract::{Path, Query, RawQuery};
use axum::http::StatusCode;
use axum::response::Response;
use obhut_core::ids::TicketId;
use obhut_core::ticket::{TicketInput, TicketKind, TicketPriority, TicketStatus};
use obhut_store::tickets::{TicketFilter, TicketRecord};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TicketListQuery {
    status: String,
    kind: String,
    /// A ticket number ("42" or "#42"), else a contact's name, email or number.
    q: String,
    /// "me": only the tickets assigned to the signed-in user.
    owner: String,
    /// A column to sort by (`-` for descending), see `TICKET_ORDERS`.
    sort: String,
    page: Option<String>,
}

/// The sortable columns' headers of the ticket list.
struct TicketHeads {
    number: SortHead,
    status: SortHead,
    priority: SortHead,
    kind: SortHead,
    due: SortHead,
    updated: SortHead,
}

#[derive(Template)]
#[template(path = "tickets/list.html")]
struct TicketListPage {
    ctx: Ctx,
    status: String,
    kind: String,
    q: String,
    owner: String,
    statuses: Vec<Opt>,
    kinds: Vec<Opt>,
    rows: Vec<TicketRow>,
    pager: Pager,
    heads: TicketHeads,
    sort: String,
    views: super::views::ViewStrip,
}

/// A ticket search: "#42" or "42" is a number; anything else finds the contacts by name,
/// email or number through the gated contact search (read for customer service, logged).
async fn search_filter(web: &Web, q: &str, filter: &mut TicketFilter) -> Result<(), ServiceError> {
    let q = q.trim();
    if q.is_empty() {
        return Ok(());
    }
    if let Ok(n) = q.trim_start_matches('#').parse::<i64>() {
        filter.number = Some(n);
        return Ok(());
    }
    let page = Page::new(Some(100), None);
    let cap = crate::services::contact_list::PICKER_CANDIDATES;
    let sort = crate::services::contact_list::Sort::Name;
    let none = obhut_store::contacts::ContactFilter::default();
    let found = crate::services::contact_list::list_capped(&web.app, web.actor(), Some(q), &none, sort, page, super::common::SERVICE_PURPOSE, cap)
        .await?;
    filter.contact_ids = Some(found.items.iter().map(|c| c.id).collect());
    Ok(())
}

fn status_options(tr: Tr) -> Vec<Opt> {
    TicketStatus::ALL.iter().map(|s| Opt::new(s.as_str(), tr.v("ticket_status", s.as_str()))).collect()
}

fn priority_options(tr: Tr) -> Vec<Opt> {
    TicketPriority::ALL.iter().map(|s| Opt::new(s.as_str(), tr.v("ticket_priority", s.as_str()))).collect()
}

fn kind_options(tr: Tr) -> Vec<Opt> {
    TicketKind::ALL.iter().map(|s| Opt::new(s.as_str(), tr.v("ticket_kind", s.as_str()))).collect()
}

/// `GET /tickets`: the open ones (not resolved or closed) unless `status` says otherwise.
pub async fn ticket_list(web: Web, Query(q): Query<TicketListQuery>, RawQuery(raw): RawQuery) -> PageResult {
    let tr = web.tr();
    let status = non_empty(&q.status).and_then(|s| TicketStatus::parse(s).ok());
    let open_only = status.is_none() && q.status != "all";
    let mut filter = TicketFilter {
        status,
        kind: non_empty(&q.kind).and_then(|k| TicketKind::parse(k).ok()),
        open_only,
        owner_id: if q.owner == "me" { web.actor().user_id } else { None },
        // What is still to be answered comes most urgent first; everything else by last change.
        by_due: open_only,
        sort: Some(q.sort.clone()).filter(|k| obhut_store::db::is_order(obhut_store::tickets::TICKET_ORDERS, k)),
        ..Default::default()
    };
    search_filter(&web, &q.q, &mut filter).await.or_fail(&web)?;
    let page = page_number(q.page.as_deref());
    let (list, total) =
        service::list(&web.app, web.actor(), &filter, Page::new(Some(PAGE_SIZE), Some((page - 1) * PAGE_SIZE))).await.or_fail(&web)?;
    let rows = ticket_rows(&web, list).await;
    let sort = filter.sort.clone().unwrap_or_default();
    let filters = [("status", q.status.as_str()), ("kind", &q.kind), ("q", &q.q), ("owner", &q.owner)];
    let base = list_url("/tickets", &filters);
    let pager = Pager::new(&list_url("/tickets", &[&filters[..], &[("sort", sort.as_str())]].concat()), page, rows.len(), total);
    let head = |key: &str, label: &str, desc_first: bool| SortHead::new(&base, &sort, key, tr.t(label).to_string(), desc_first);
    let heads = TicketHeads {
        number: head("number", "tickets.number", true),
        status: head("status", "tickets.status", false),
        priority: head("priority", "tickets.priority", false),
        kind: head("kind", "tickets.kind", false),
        due: head("due", "tickets.due", false),
        updated: head("updated", "record.updated", true),
    };
    let mut statuses = vec![Opt::new("", tr.t("tickets.filter_open")), Opt::new("all", tr.t("tickets.filter_all"))];
    statuses.extend(status_options(tr));
    Ok(render(&TicketListPage {
        ctx: web.ctx("tickets"),
        status: q.status,
        kind: q.kind,
        q: q.q,
        owner: q.owner,
        statuses,
        kinds: kind_options(tr),
        rows,
        pager,
        heads,
        sort,
        views: super::views::strip(&web, "tickets", raw.as_deref()).await,
    }))
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct TicketForm {
    title: String,
    description: String,
    kind: String,
    status: String,
    priority: String,
    contact_id: String,
    organization_id: String,
    record_class: String,
    team: String,
    /// The assignee (a user id; empty: nobody).
    owner_id: String,
    version: String,
    /// The pickers' searches, and which one was asked for (then nothing is saved).
    organization_id_q: String,
    contact_id_q: String,
    pick: String,
}

const TICKET_FIELDS: &[&str] =
    &["title", "description", "kind", "status", "priority", "owner_id", "contact_id", "organization_id", "record_class", "team"];

impl TicketForm {
    fn from_record(t: &TicketRecord) -> Self {
        let d = &t.draft;
        Self {
            title: d.text.title.clone(),
            description: d.text.description.clone().unwrap_or_default(),
            kind: d.kind.as_str().into(),
            status: d.status.as_str().into(),
            priority: d.priority.as_str().into(),
            contact_id: d.contact_id.map(|c| c.to_string()).unwrap_or_default(),
            organization_id: d.organization_id.map(|o| o.to_string()).unwrap_or_default(),
            record_class: d.record_class.as_str().into(),
            team: d.team.clone().unwrap_or_default(),
            owner_id: d.owner_id.map(|u| u.to_string()).unwrap_or_default(),
            version: t.version.to_string(),
            ..Default::default()
        }
    }

    fn to_input(&self) -> TicketInput {
        let v = |s: &String| Some(s.clone());
        let choice = |s: &String| non_empty(s).map(String::from);
        TicketInput {
            title: v(&self.title),
            description: v(&self.description),
            kind: choice(&self.kind),
            status: choice(&self.status),
            priority: choice(&self.priority),
            contact_id: v(&self.contact_id),
            organization_id: v(&self.organization_id),
            owner_id: Some(self.owner_id.clone()),
            record_class: non_empty(&self.record_class).map(String::from),
            team: Some(self.team.clone()),
        }
    }
}

#[derive(Template)]
#[template(path = "tickets/form.html")]
struct TicketFormPage {
    ctx: Ctx,
    heading: String,
    action: String,
    cancel: String,
    form: TicketForm,
    errs: Errs,
    kinds: Vec<Opt>,
    statuses: Vec<Opt>,
    priorities: Vec<Opt>,
    owners: Vec<Opt>,
    contact: super::picker::Picker,
    organization: super::picker::Picker,
    classes: Vec<Opt>,
}

async fn show_form(web: &Web, existing: Option<&TicketRecord>, form: TicketForm, errs: Errs) -> Response {
    let tr = web.tr();
    let status = if errs.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let (heading, action, cancel) = match existing {
        Some(t) => (tr.f("tickets.edit_heading", t.number), format!("/tickets/{}/edit", t.id), format!("/tickets/{}", t.id)),
        None => (tr.t("tickets.new").to_string(), "/tickets".into(), "/tickets".into()),
    };
    let page = TicketFormPage {
        ctx: web.ctx("tickets"),
        heading,
        action,
        cancel,
        contact: super::picker::Picker::contact(web, "contact_id", &form.contact_id, &form.contact_id_q, super::common::SERVICE_PURPOSE).await,
        organization: super::picker::Picker::organization(web, "organization_id", &form.organization_id, &form.organization_id_q).await,
        form,
        errs,
        kinds: kind_options(tr),
        statuses: status_options(tr),
        priorities: priority_options(tr),
        owners: super::common::assignee_options(web).await,
        classes: super::common::class_options(tr),
    };
    render_status(status, &page)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewTicketQuery {
    contact_id: String,
    organization_id: String,
    kind: String,
}

/// `GET /tickets/new` (`?contact_id=`, `?organization_id=` and `?kind=complaint` preselect).
pub async fn new_ticket_page(web: Web, Query(q): Query<NewTicketQuery>) -> Response {
    let kind = if q.kind == "complaint" { "complaint" } else { "service" };
    let form = TicketForm {
        contact_id: q.contact_id,
        organization_id: q.organization_id,
        kind: kind.into(),
        status: "open".into(),
        priority: "normal".into(),
        owner_id: web.actor().user_id.map(|u| u.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    show_form(&web, None, form, Errs::none()).await
}

/// `POST /tickets`.
pub async fn create_ticket(Posted { web, form }: Posted<TicketForm>) -> Response {
    if !form.pick.is_empty() {
        return show_form(&web, None, form, Errs::none()).await;
    }
    match service::create(&web.app, web.actor(), &form.to_input()).await {
        Ok(t) => see_other(&format!("/tickets/{}?flash=created", t.id)),
        Err(ServiceError::Validation(v)) => {
            let errs = Errs::from_validation(web.tr(), &v, &[], TICKET_FIELDS);
            show_form(&web, None, form, errs).await
        }
        Err(e) => web.fail(e),
    }
}

async fn load(web: &Web, id: &str) -> Result<TicketRecord, Response> {
    let Ok(id) = TicketId::parse(id) else { return Err(web.not_found()) };
    service::get(&web.app, web.actor(), id).await.map_err(|e| web.fail(e))
}

/// `GET /tickets/{id}/edit`.
pub async fn edit_ticket_page(web: Web, Path(id): Path<String>) -> Response {
    match load(&web, &id).await {
        Ok(t) => show_form(&web, Some(&t), TicketForm::from_record(&t), Errs::none()).await,
        Err(r) => r,
    }
}

/// `POST /tickets/{id}/edit`.
pub async fn update_ticket(Path(id): Path<String>, Posted { web, form }: Posted<TicketForm>) -> Response {
    let current = match load(&web, &id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    if !form.pick.is_empty() {
        return show_form(&web, Some(&current), form, Errs::none()).await;
    }
    match service::update(&web.app, web.actor(), current.id, form.to_input(), form.version.trim().parse().ok()).await {
        Ok(t) => see_other(&format!("/tickets/{}?flash=saved", t.id)),
        Err(ServiceError::Validation(v)) => {
            let errs = Errs::from_validation(web.tr(), &v, &[], TICKET_FIELDS);
            show_form(&web, Some(&current), form, errs).await
        }
        Err(e) => web.fail(e),
    }
}

#[derive(Debug)]
struct TicketView {
    id: String,
    number: i64,
    title: String,
    description: Option<String>,
    status: &'static str,
    status_label: String,
    priority: &'static str,
    priority_label: String,
    kind_label: String,
    contact: Option<(String, String)>,
    organization: Option<(String, String)>,
    created: String,
    updated: String,
    version: i64,
    owner: Option<String>,
    team: Option<String>,
    due: Option<String>,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "tickets/show.html")]
struct TicketPage {
    ctx: Ctx,
    t: TicketView,
    statuses: Vec<Opt>,
    tasks: super::tasks::TaskSection,
    messages: Vec<super::ticket_conversation::MessageView>,
    form: super::ticket_conversation::MessageForm,
    errs: Errs,
    /// Whether the reply form is offered (the ticket is about a contact).
    can_reply: bool,
}

/// `GET /tickets/{id}`.
pub async fn ticket_page(web: Web, Path(id): Path<String>) -> Response {
    show(&web, &id, Default::default(), Errs::none()).await
}

/// The ticket page with its conversation; `form` and `errs` hold a reply or comment that was refused.
pub async fn show(web: &Web, id: &str, form: super::ticket_conversation::MessageForm, errs: Errs) -> Response {
    let tr = web.tr();
    let t = match load(&web, id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let messages = match crate::services::ticket_conversation::messages(&web.app, web.actor(), t.id, super::common::SERVICE_PURPOSE).await {
        Ok(list) => super::ticket_conversation::views(&web, list).await,
        Err(e) => return web.fail(e),
    };
    let owner = match t.draft.owner_id {
        Some(u) => crate::services::tasks::assignees(&web.app, web.actor()).await.unwrap_or_default().into_iter().find(|(id, _)| *id == u).map(|(_, n)| n),
        None => None,
    };
    let d = &t.draft;
    let contact = match d.contact_id {
        Some(c) => contact_names(&web, vec![c], super::common::SERVICE_PURPOSE).await.remove(&c).map(|n| (format!("/contacts/{c}"), n)),
        None => None,
    };
    let organization = match d.organization_id {
        Some(o) => organization_names(&web, vec![o]).await.remove(&o).map(|n| (format!("/organizations/{o}"), n)),
        None => None,
    };
    let view = TicketView {
        id: t.id.to_string(),
        number: t.number,
        title: d.text.title.clone(),
        description: d.text.description.clone(),
        status: d.status.as_str(),
        status_label: tr.v("ticket_status", d.status.as_str()),
        priority: d.priority.as_str(),
        priority_label: tr.v("ticket_priority", d.priority.as_str()),
        kind_label: tr.v("ticket_kind", d.kind.as_str()),
        contact,
        organization,
        created: fmt::datetime(tr.lang, t.created_at),
        updated: fmt::datetime(tr.lang, t.updated_at),
        version: t.version,
        owner,
        team: d.team.clone(),
        due: t.due_at.map(|x| fmt::datetime(tr.lang, x)),
        overdue: t.due_at.is_some_and(|x| x < web.app.now_ms()),
    };
    let tasks = match super::tasks::TaskSection::of(&web, obhut_core::task::TaskOn::Ticket(t.id)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    services_note_view(&web, id);
    let status = if errs.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let can_reply = d.contact_id.is_some();
    render_status(
        status,
        &TicketPage { ctx: web.ctx("tickets"), t: view, statuses: status_options(tr), tasks, messages, form, errs, can_reply },
    )
}

fn services_note_view(web: &Web, id: &str) {
    crate::services::tasks::note_view(&web.app, web.actor(), "ticket", id.to_string());
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatusForm {
    status: String,
    version: String,
}

/// `POST /tickets/{id}/status`: the quick status change on the ticket page.
pub async fn set_ticket_status(Path(id): Path<String>, Posted { web, form }: Posted<StatusForm>) -> Response {
    let Ok(id) = TicketId::parse(&id) else { return web.not_found() };
    let patch = TicketInput { status: Some(form.status), ..Default::default() };
    match service::update(&web.app, web.actor(), id, patch, form.version.trim().parse().ok()).await {
        Ok(t) => see_other(&format!("/tickets/{}?flash=saved", t.id)),
        Err(e) => web.fail(e),
    }
}

/// `GET /tickets/{id}/delete`.
pub async fn delete_ticket_page(web: Web, Path(id): Path<String>) -> Response {
    let t = match load(&web, &id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let tr = web.tr();
    render(&ConfirmDelete {
        ctx: web.ctx("tickets"),
        heading: tr.f("tickets.delete_heading", t.number),
        question: tr.t("tickets.delete_question").to_string(),
        action: format!("/tickets/{}/delete", t.id),
        cancel: format!("/tickets/{}", t.id),
    })
}

/// `POST /tickets/{id}/delete`.
pub async fn delete_ticket(Path(id): Path<String>, Posted { web, .. }: Posted<super::auth::Empty>) -> Response {
    let Ok(id) = TicketId::parse(&id) else { return web.not_found() };
    match service::delete(&web.app, web.actor(), id).await {
        Ok(()) => see_other("/tickets?flash=deleted"),
        Err(e) => web.fail(e),
    }
}

/// `POST /tickets/{id}/messages`: a reply to the customer (`kind=reply`) or an internal
/// comment (`kind=comment`). A refusal shows the page again with the text kept.
pub async fn post_message(Path(id): Path<String>, Posted { web, form }: Posted<super::ticket_conversation::MessageForm>) -> Response {
    let Ok(tid) = TicketId::parse(&id) else { return web.not_found() };
    let input = obhut_core::ticket::MessageInput { body: Some(form.body.clone()) };
    let done = match form.kind.as_str() {
        "reply" => crate::services::ticket_conversation::reply(&web.app, web.actor(), tid, &input).await.map(|_| "replied"),
        "comment" => crate::services::ticket_conversation::comment(&web.app, web.actor(), tid, &input).await.map(|_| "commented"),
        _ => Err(ServiceError::field("kind", "must be one of reply, comment")),
    };
    match done {
        Ok(flash) => see_other(&format!("/tickets/{tid}?flash={flash}#conversation")),
        Err(ServiceError::Validation(v)) => {
            let errs = super::page::Errs::from_validation(web.tr(), &v, &[], &["body"]);
            show(&web, &id, form, errs).await
        }
        Err(e) => web.fail(e),
    }
}
