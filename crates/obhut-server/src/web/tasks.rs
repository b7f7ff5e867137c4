//! Tasks and follow-ups: the task list with its views (mine, overdue, today, this week, all,
//! done), the task page with its form, the done switch, and the task section of the record
//! pages (contacts, organizations, deals, tickets).

use super::common::{contact_names, organization_names, SALES_PURPOSE};
use super::failure::{OrFail, PageResult};
use super::page::{list_url, non_empty, page_number, render, render_status, see_other, Ctx, Errs, Opt, Pager, PAGE_SIZE};
use super::session::{sanitize_next, Posted, Web};
use crate::error::ServiceError;
use crate::fmt;
use crate::i18n::Tr;
use crate::services::tasks as service;
use crate::services::{self, Page};
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use obhut_core::ids::{ContactId, OrganizationId, TaskId, UserId};
use obhut_core::task::{TaskInput, TaskKind, TaskOn, TaskPriority};
use obhut_store::tasks::{Due, TaskFilter, TaskRecord};
use serde::Deserialize;
use std::collections::HashMap;

/// A task in a list.
#[derive(Debug)]
pub struct TaskRow {
    pub id: String,
    pub number: i64,
    pub title: String,
    pub kind: &'static str,
    pub kind_label: String,
    pub priority: &'static str,
    pub priority_label: String,
    pub due: Option<String>,
    /// overdue, today or "".
    pub due_class: &'static str,
    pub on: Option<(String, String)>,
    pub assignee: Option<String>,
    pub done: bool,
    pub version: i64,
}

/// Labels and links of the records tasks are on, each read through its service (so a
/// contact's name is a logged read under the sales purpose; what the reader may not see stays
/// without a name).
async fn record_labels(web: &Web, list: &[TaskOn]) -> HashMap<TaskOn, (String, String)> {
    let tr = web.tr();
    let mut out = HashMap::new();
    let contacts: Vec<ContactId> = list.iter().filter_map(|t| if let TaskOn::Contact(c) = t { Some(*c) } else { None }).collect();
    for (id, name) in contact_names(web, contacts, SALES_PURPOSE).await {
        out.insert(TaskOn::Contact(id), (format!("/contacts/{id}"), name));
    }
    let orgs: Vec<OrganizationId> =
        list.iter().filter_map(|t| if let TaskOn::Organization(o) = t { Some(*o) } else { None }).collect();
    for (id, name) in organization_names(web, orgs).await {
        out.insert(TaskOn::Organization(id), (format!("/organizations/{id}"), name));
    }
    for on in list {
        if out.contains_key(on) {
            continue;
        }
        match *on {
            TaskOn::Deal(id) => {
                if let Ok(d) = services::deals::get(&web.app, web.actor(), id).await {
                    out.insert(*on, (format!("/deals/{id}"), format!("{} · {}", tr.t("task_on.deal"), d.draft.title)));
                }
            }
            TaskOn::Ticket(id) => {
                if let Ok(k) = services::tickets::get(&web.app, web.actor(), id).await {
                    out.insert(*on, (format!("/tickets/{id}"), format!("#{} {}", k.number, k.draft.text.title)));
                }
            }
            _ => {}
        }
    }
    out
}

async fn assignee_names(web: &Web) -> HashMap<UserId, String> {
    service::assignees(&web.app, web.actor()).await.unwrap_or_default().into_iter().collect()
}

pub async fn task_rows(web: &Web, list: Vec<TaskRecord>) -> Vec<TaskRow> {
    let tr = web.tr();
    let labels = record_labels(web, &list.iter().map(|t| t.draft.on).collect::<Vec<_>>()).await;
    let users = assignee_names(web).await;
    let today = service::today(&web.app);
    list.into_iter()
        .map(|t| {
            let d = &t.draft;
            let due_class = match d.due_on {
                Some(x) if !d.done && x < today => "overdue",
                Some(x) if !d.done && x == today => "today",
                _ => "",
            };
            TaskRow {
                id: t.id.to_string(),
                number: t.number,
                title: d.text.title.clone(),
                kind: d.kind.as_str(),
                kind_label: tr.v("task_kind", d.kind.as_str()),
                priority: d.priority.as_str(),
                priority_label: tr.v("task_priority", d.priority.as_str()),
                due: d.due_on.map(|x| fmt::date(tr.lang, x)),
                due_class,
                on: labels.get(&d.on).cloned(),
                assignee: d.assignee_id.and_then(|u| users.get(&u).cloned()),
                done: d.done,
                version: t.version,
            }
        })
        .collect()
}

/// The open tasks of a record page's section (the first 50): empty where the reader may not
/// see tasks at all.
pub async fn task_section(web: &Web, filter: TaskFilter) -> Result<Vec<TaskRow>, Response> {
    if !super::common::may_read(web, crate::gate::Resource::Task) {
        return Ok(Vec::new());
    }
    let filter = TaskFilter { done: Some(false), ..filter };
    match service::list(&web.app, web.actor(), &filter, Page::new(Some(50), None)).await {
        Ok((list, _)) => Ok(task_rows(web, list).await),
        Err(e) => Err(web.fail(e)),
    }
}

/// What the task section of a record page needs besides its rows: the quick form's hidden
/// link and where to come back to.
pub struct TaskSection {
    pub rows: Vec<TaskRow>,
    /// `contact_id`, `organization_id`, `deal_id` or `ticket_id`.
    pub link_field: &'static str,
    pub link_id: String,
    pub back: String,
    pub kinds: Vec<Opt>,
    pub may_add: bool,
}

impl TaskSection {
    pub async fn of(web: &Web, on: TaskOn) -> Result<Self, Response> {
        let filter = match on {
            TaskOn::Contact(id) => TaskFilter { contact_id: Some(id), ..Default::default() },
            TaskOn::Organization(id) => TaskFilter { organization_id: Some(id), ..Default::default() },
            TaskOn::Deal(id) => TaskFilter { deal_id: Some(id), ..Default::default() },
            TaskOn::Ticket(id) => TaskFilter { ticket_id: Some(id), ..Default::default() },
        };
        let rows = task_section(web, filter).await?;
        let plural = match on {
            TaskOn::Contact(_) => "contacts",
            TaskOn::Organization(_) => "organizations",
            TaskOn::Deal(_) => "deals",
            TaskOn::Ticket(_) => "tickets",
        };
        let may_add = web.app.gate.check_kind(web.actor(), crate::gate::Action::Create, crate::gate::Resource::Task, "", web.app.today()).is_ok();
        Ok(Self {
            rows,
            link_field: match on {
                TaskOn::Contact(_) => "contact_id",
                TaskOn::Organization(_) => "organization_id",
                TaskOn::Deal(_) => "deal_id",
                TaskOn::Ticket(_) => "ticket_id",
            },
            link_id: on.id().to_string(),
            back: format!("/{plural}/{}", on.id()),
            kinds: kind_options(web.tr()),
            may_add,
        })
    }
}

fn kind_options(tr: Tr) -> Vec<Opt> {
    TaskKind::ALL.iter().map(|k| Opt::new(k.as_str(), tr.v("task_kind", k.as_str()))).collect()
}

fn priority_options(tr: Tr) -> Vec<Opt> {
    TaskPriority::ALL.iter().map(|k| Opt::new(k.as_str(), tr.v("task_priority", k.as_str()))).collect()
}

/// The views of the task list.
const VIEWS: &[&str] = &["open", "overdue", "today", "week", "done", "team"];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TaskListQuery {
    view: String,
    kind: String,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "tasks/list.html")]
struct TaskListPage {
    ctx: Ctx,
    view: String,
    kind: String,
    views: Vec<Opt>,
    kinds: Vec<Opt>,
    rows: Vec<TaskRow>,
    pager: Pager,
    total: i64,
    /// Where the done switch comes back to.
    back: String,
}

/// The filter of a view of the task list for `me` on `today`.
pub fn view_filter(view: &str, me: Option<UserId>, today: time::Date) -> TaskFilter {
    let week_end = today + time::Duration::days(7);
    let mine = TaskFilter { assignee_id: me, done: Some(false), ..Default::default() };
    match view {
        "overdue" => TaskFilter { due: Some((Due::Overdue, today)), ..mine },
        "today" => TaskFilter { due: Some((Due::On, today)), ..mine },
        "week" => TaskFilter { due: Some((Due::Until(week_end), today)), ..mine },
        "done" => TaskFilter { done: Some(true), ..mine },
        "team" => TaskFilter { done: Some(false), ..Default::default() },
        _ => mine,
    }
}

/// `GET /tasks`: my open tasks by due day; `view` picks overdue, today, this week, done, or
/// the open tasks of everyone the reader may see (`team`).
pub async fn task_list(web: Web, Query(q): Query<TaskListQuery>) -> PageResult {
    let tr = web.tr();
    let view = if VIEWS.contains(&q.view.as_str()) { q.view.clone() } else { "open".to_string() };
    let mut filter = view_filter(&view, web.actor().user_id, service::today(&web.app));
    filter.kind = non_empty(&q.kind).and_then(|k| TaskKind::parse(k).ok());
    let page = page_number(q.page.as_deref());
    let (list, total) =
        service::list(&web.app, web.actor(), &filter, Page::new(Some(PAGE_SIZE), Some((page - 1) * PAGE_SIZE))).await.or_fail(&web)?;
    let rows = task_rows(&web, list).await;
    let pager = Pager::new(&list_url("/tasks", &[("view", &view), ("kind", &q.kind)]), page, rows.len(), total);
    let views = VIEWS.iter().map(|v| Opt::new(*v, tr.v("task_view", v))).collect();
    let back = list_url("/tasks", &[("view", &view), ("kind", &q.kind)]);
    Ok(render(&TaskListPage { ctx: web.ctx("tasks"), view, kind: q.kind, views, kinds: kind_options(tr), rows, pager, total, back }))
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct TaskForm {
    title: String,
    notes: String,
    kind: String,
    priority: String,
    due_on: String,
    remind_at: String,
    assignee_id: String,
    contact_id: String,
    organization_id: String,
    deal_id: String,
    ticket_id: String,
    version: String,
    /// Where to go after saving (a record page's quick form).
    next: String,
}

const TASK_FIELDS: &[&str] =
    &["title", "notes", "kind", "priority", "due_on", "remind_at", "assignee_id", "contact_id", "organization_id", "deal_id", "ticket_id"];

impl TaskForm {
    fn from_record(t: &TaskRecord) -> Self {
        let i = TaskInput::from_draft(&t.draft);
        Self {
            title: i.title.unwrap_or_default(),
            notes: i.notes.unwrap_or_default(),
            kind: i.kind.unwrap_or_default(),
            priority: i.priority.unwrap_or_default(),
            due_on: i.due_on.unwrap_or_default(),
            remind_at: t.draft.remind_at.map(|r| fmt::input_datetime(obhut_core::clock::to_millis(r))).unwrap_or_default(),
            assignee_id: i.assignee_id.unwrap_or_default(),
            contact_id: i.contact_id.unwrap_or_default(),
            organization_id: i.organization_id.unwrap_or_default(),
            deal_id: i.deal_id.unwrap_or_default(),
            ticket_id: i.ticket_id.unwrap_or_default(),
            version: t.version.to_string(),
            next: String::new(),
        }
    }

    /// The record the form names (the first link that parses).
    fn on(&self) -> Option<TaskOn> {
        let id = |s: &String| non_empty(s).and_then(|s| uuid::Uuid::parse_str(s).ok());
        id(&self.contact_id)
            .map(|u| TaskOn::Contact(ContactId(u)))
            .or_else(|| id(&self.organization_id).map(|u| TaskOn::Organization(OrganizationId(u))))
            .or_else(|| id(&self.deal_id).map(|u| TaskOn::Deal(obhut_core::ids::DealId(u))))
            .or_else(|| id(&self.ticket_id).map(|u| TaskOn::Ticket(obhut_core::ids::TicketId(u))))
    }

    fn to_input(&self, links: bool) -> TaskInput {
        let v = |s: &String| Some(s.clone());
        let link = |s: &String| if links { non_empty(s).map(String::from) } else { None };
        TaskInput {
            title: v(&self.title),
            notes: v(&self.notes),
            kind: non_empty(&self.kind).map(String::from),
            priority: non_empty(&self.priority).map(String::from),
            due_on: v(&self.due_on),
            remind_at: Some(match non_empty(&self.remind_at) {
                Some(r) => fmt::from_input_datetime(r),
                None => String::new(),
            }),
            assignee_id: v(&self.assignee_id),
            contact_id: link(&self.contact_id),
            organization_id: link(&self.organization_id),
            deal_id: link(&self.deal_id),
            ticket_id: link(&self.ticket_id),
            done: None,
        }
    }
}

#[derive(Template)]
#[template(path = "tasks/form.html")]
struct TaskFormPage {
    ctx: Ctx,
    heading: String,
    action: String,
    cancel: String,
    form: TaskForm,
    errs: Errs,
    kinds: Vec<Opt>,
    priorities: Vec<Opt>,
    assignees: Vec<Opt>,
    on: Option<(String, String)>,
    task: Option<TaskRow>,
}

async fn show_form(web: &Web, existing: Option<TaskRecord>, form: TaskForm, errs: Errs) -> Response {
    let tr = web.tr();
    let status = if errs.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let on_of_form = form.on();
    let on = match existing.as_ref().map(|t| t.draft.on).or(on_of_form) {
        Some(on) => record_labels(web, &[on]).await.remove(&on),
        None => None,
    };
    let (heading, action, cancel, task) = match existing {
        Some(t) => {
            let cancel = on.as_ref().map(|(h, _)| h.clone()).unwrap_or_else(|| "/tasks".into());
            let (heading, action) = (tr.f("tasks.edit_heading", t.number), format!("/tasks/{}", t.id));
            (heading, action, cancel, task_rows(web, vec![t]).await.pop())
        }
        None => (tr.t("tasks.new").to_string(), "/tasks".into(), on.as_ref().map(|(h, _)| h.clone()).unwrap_or_else(|| "/tasks".into()), None),
    };
    let mut assignees = vec![Opt::new("", tr.t("tasks.assignee_me"))];
    assignees.extend(service::assignees(&web.app, web.actor()).await.unwrap_or_default().into_iter().map(|(id, name)| Opt::new(id.to_string(), name)));
    let page = TaskFormPage {
        ctx: web.ctx("tasks"),
        heading,
        action,
        cancel,
        form,
        errs,
        kinds: kind_options(tr),
        priorities: priority_options(tr),
        assignees,
        on,
        task,
    };
    render_status(status, &page)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewTaskQuery {
    contact_id: String,
    organization_id: String,
    deal_id: String,
    ticket_id: String,
    kind: String,
    due_on: String,
}

/// `GET /tasks/new` (`?contact_id=`, `?organization_id=`, `?deal_id=` or `?ticket_id=` names
/// the record; `?kind=follow_up` and `?due_on=` preselect).
pub async fn new_task_page(web: Web, Query(q): Query<NewTaskQuery>) -> Response {
    let kind = TaskKind::parse(&q.kind).map(|k| k.as_str()).unwrap_or("todo");
    let form = TaskForm {
        contact_id: q.contact_id,
        organization_id: q.organization_id,
        deal_id: q.deal_id,
        ticket_id: q.ticket_id,
        kind: kind.into(),
        priority: "normal".into(),
        due_on: q.due_on,
        ..Default::default()
    };
    show_form(&web, None, form, Errs::none()).await
}

fn after_save(form: &TaskForm, t: &TaskRecord, flash: &str) -> Response {
    let next = sanitize_next(non_empty(&form.next));
    if non_empty(&form.next).is_some() && next != "/" {
        see_other(&super::common::with_flash(&next, flash))
    } else {
        see_other(&format!("/tasks/{}?flash={flash}", t.id))
    }
}

/// `POST /tasks`.
pub async fn create_task(Posted { web, form }: Posted<TaskForm>) -> Response {
    match service::create(&web.app, web.actor(), &form.to_input(true)).await {
        Ok(t) => after_save(&form, &t, "created"),
        Err(ServiceError::Validation(v)) => {
            let errs = Errs::from_validation(web.tr(), &v, &[], TASK_FIELDS);
            show_form(&web, None, form, errs).await
        }
        Err(e) => web.fail(e),
    }
}

async fn load(web: &Web, id: &str) -> Result<TaskRecord, Response> {
    let Ok(id) = TaskId::parse(id) else { return Err(web.not_found()) };
    service::get(&web.app, web.actor(), id).await.map_err(|e| web.fail(e))
}

/// `GET /tasks/{id}`: the task with its form.
pub async fn task_page(web: Web, Path(id): Path<String>) -> Response {
    match load(&web, &id).await {
        Ok(t) => {
            let form = TaskForm::from_record(&t);
            show_form(&web, Some(t), form, Errs::none()).await
        }
        Err(r) => r,
    }
}

/// `POST /tasks/{id}`: saves the form.
pub async fn update_task(Path(id): Path<String>, Posted { web, form }: Posted<TaskForm>) -> Response {
    let current = match load(&web, &id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    match service::update(&web.app, web.actor(), current.id, form.to_input(false), form.version.trim().parse().ok()).await {
        Ok(t) => after_save(&form, &t, "saved"),
        Err(ServiceError::Validation(v)) => {
            let errs = Errs::from_validation(web.tr(), &v, &[], TASK_FIELDS);
            show_form(&web, Some(current), form, errs).await
        }
        Err(e) => web.fail(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneForm {
    /// "1": done, "0": open again.
    done: String,
    version: String,
    next: String,
}

/// `POST /tasks/{id}/done`: ticks a task off (or opens it again) and goes back.
pub async fn set_done(Path(id): Path<String>, Posted { web, form }: Posted<DoneForm>) -> Response {
    let Ok(id) = TaskId::parse(&id) else { return web.not_found() };
    let done = form.done != "0";
    let patch = TaskInput { done: Some(done), ..Default::default() };
    match service::update(&web.app, web.actor(), id, patch, form.version.trim().parse().ok()).await {
        Ok(t) => {
            let next = sanitize_next(non_empty(&form.next));
            let target = if non_empty(&form.next).is_some() { next } else { format!("/tasks/{}", t.id) };
            see_other(&super::common::with_flash(&target, if done { "task_done" } else { "task_reopened" }))
        }
        Err(e) => web.fail(e),
    }
}

/// `POST /tasks/{id}/delete`.
pub async fn delete_task(Path(id): Path<String>, Posted { web, .. }: Posted<super::auth::Empty>) -> Response {
    let Ok(id) = TaskId::parse(&id) else { return web.not_found() };
    match service::delete(&web.app, web.actor(), id).await {
        Ok(()) => see_other("/tasks?flash=deleted"),
        Err(e) => web.fail(e),
    }
}
