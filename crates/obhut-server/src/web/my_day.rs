//! `GET /`: my day. My open tasks and follow-ups (overdue, today, this week), my open deals by
//! close date with the pipeline's weighted total, my open tickets, the records I opened last,
//! and for those who run data protection the privacy to-dos. One click from each to the record.

use super::common::{contact_names, organization_names, may_read, SALES_PURPOSE};
use super::page::{render, Ctx};
use super::session::Web;
use super::tasks::{task_rows, view_filter, TaskRow};
use crate::fmt;
use crate::gate::Resource;
use crate::services::{self, Page};
use askama::Template;
use axum::response::Response;
use obhut_core::ids::{ContactId, DealId, OrganizationId, TicketId};
use obhut_store::deals::DealFilter;
use obhut_store::tickets::TicketFilter;
use std::collections::BTreeMap;

/// One block of tasks (overdue, today, this week) with how many there are in all.
pub struct TaskBlock {
    pub key: &'static str,
    pub rows: Vec<TaskRow>,
    pub total: i64,
}

pub struct DealLine {
    pub id: String,
    pub title: String,
    pub stage: String,
    pub amount: Option<String>,
    pub close: Option<String>,
    pub overdue: bool,
}

pub struct TicketLine {
    pub id: String,
    pub number: i64,
    pub title: String,
    pub priority: &'static str,
    pub priority_label: String,
    pub status_label: String,
    pub due: Option<String>,
    pub overdue: bool,
}

pub struct Recent {
    pub href: String,
    pub label: String,
    pub kind_label: String,
}

/// For the DPO and administrators: what data protection asks of them now.
pub struct PrivacyTodos {
    pub open_requests: usize,
    pub overdue_requests: usize,
    pub due_soon_requests: usize,
}

#[derive(Template)]
#[template(path = "my_day.html")]
struct MyDayPage {
    ctx: Ctx,
    today: String,
    blocks: Vec<TaskBlock>,
    show_tasks: bool,
    deals: Option<Vec<DealLine>>,
    deals_total: i64,
    /// Weighted open pipeline per currency, formatted.
    weighted: Vec<String>,
    tickets: Option<Vec<TicketLine>>,
    tickets_total: i64,
    recent: Vec<Recent>,
    privacy: Option<PrivacyTodos>,
    /// The back link of the done switches.
    task_back: String,
}

const SHOWN: i64 = 10;

pub async fn my_day(web: Web) -> Response {
    let tr = web.tr();
    let app = &web.app;
    let actor = web.actor();
    let me = actor.user_id;
    let today = services::tasks::today(app);
    let show_tasks = may_read(&web, Resource::Task);
    let mut blocks = Vec::new();
    if show_tasks {
        for key in ["overdue", "today", "week"] {
            let filter = view_filter(key, me, today);
            match services::tasks::list(app, actor, &filter, Page::new(Some(SHOWN), None)).await {
                Ok((list, total)) => blocks.push(TaskBlock { key, rows: task_rows(&web, list).await, total }),
                Err(e) => return web.fail(e),
            }
        }
    }
    let (mut deals, mut deals_total, mut weighted) = (None, 0, Vec::new());
    if may_read(&web, Resource::Deal) {
        let filter = DealFilter { owner_id: me, open_only: true, by_close: true, ..Default::default() };
        let stages = services::deals::stages(app, actor).await.unwrap_or_default();
        let names = super::common::stage_names(&stages);
        match services::deals::list(app, actor, &filter, Page::new(Some(SHOWN), None)).await {
            Ok((list, total)) => {
                deals_total = total;
                deals = Some(
                    list.into_iter()
                        .map(|d| DealLine {
                            id: d.id.to_string(),
                            title: d.draft.title.clone(),
                            stage: d.draft.stage_id.and_then(|s| names.get(&s).cloned()).unwrap_or_default(),
                            amount: d.draft.amount_cents.map(|c| fmt::amount(tr.lang, c, &d.draft.currency)),
                            close: d.draft.expected_close_on.map(|x| fmt::date(tr.lang, x)),
                            overdue: d.draft.expected_close_on.is_some_and(|x| x < today),
                        })
                        .collect(),
                );
            }
            Err(e) => return web.fail(e),
        }
        let mut per_currency: BTreeMap<String, i64> = BTreeMap::new();
        for v in services::deals::forecast(app, actor, &filter).await.unwrap_or_default() {
            *per_currency.entry(v.currency).or_default() += v.weighted_cents;
        }
        weighted = per_currency.into_iter().map(|(c, cents)| fmt::amount(tr.lang, cents, &c)).collect();
    }
    let (mut tickets, mut tickets_total) = (None, 0);
    if may_read(&web, Resource::Ticket) {
        // Mine and still open, the most urgent answer first.
        let filter = TicketFilter { owner_id: me, open_only: true, by_due: true, ..Default::default() };
        let now = app.now_ms();
        match services::tickets::list(app, actor, &filter, Page::new(Some(SHOWN), None)).await {
            Ok((list, total)) => {
                tickets_total = total;
                tickets = Some(
                    list.into_iter()
                        .map(|t| TicketLine {
                            id: t.id.to_string(),
                            number: t.number,
                            title: t.draft.text.title.clone(),
                            priority: t.draft.priority.as_str(),
                            priority_label: tr.v("ticket_priority", t.draft.priority.as_str()),
                            status_label: tr.v("ticket_status", t.draft.status.as_str()),
                            due: t.due_at.map(|d| fmt::datetime(tr.lang, d)),
                            overdue: t.due_at.is_some_and(|d| d < now),
                        })
                        .collect(),
                );
            }
            Err(e) => return web.fail(e),
        }
    }
    let recent = recently_viewed(&web).await;
    let privacy = if web.ctx("").privacy {
        services::dsr::list_cases(app, actor, true, 10_000).await.ok().map(|open| PrivacyTodos {
            open_requests: open.len(),
            overdue_requests: open.iter().filter(|c| c.overdue).count(),
            due_soon_requests: open.iter().filter(|c| !c.overdue && c.days_left <= 7).count(),
        })
    } else {
        None
    };
    render(&MyDayPage {
        ctx: web.ctx("home"),
        today: fmt::date(tr.lang, today),
        blocks,
        show_tasks,
        deals,
        deals_total,
        weighted,
        tickets,
        tickets_total,
        recent,
        privacy,
        task_back: "/".into(),
    })
}

/// The records I opened last, named through the gate (what I may no longer see is left out).
async fn recently_viewed(web: &Web) -> Vec<Recent> {
    let tr = web.tr();
    let Ok(views) = services::tasks::recent_views(&web.app, web.actor(), 8).await else { return Vec::new() };
    let contacts: Vec<ContactId> = views.iter().filter(|(k, _)| k == "contact").filter_map(|(_, i)| ContactId::parse(i).ok()).collect();
    let orgs: Vec<OrganizationId> =
        views.iter().filter(|(k, _)| k == "organization").filter_map(|(_, i)| OrganizationId::parse(i).ok()).collect();
    let contact_names = contact_names(web, contacts, SALES_PURPOSE).await;
    let org_names = organization_names(web, orgs).await;
    let mut out = Vec::new();
    for (kind, id) in views {
        let label = match kind.as_str() {
            "contact" => ContactId::parse(&id).ok().and_then(|c| contact_names.get(&c).cloned()),
            "organization" => OrganizationId::parse(&id).ok().and_then(|o| org_names.get(&o).cloned()),
            "deal" => match DealId::parse(&id) {
                Ok(d) => services::deals::get(&web.app, web.actor(), d).await.ok().map(|d| d.draft.title),
                Err(_) => None,
            },
            "ticket" => match TicketId::parse(&id) {
                Ok(t) => services::tickets::get(&web.app, web.actor(), t).await.ok().map(|t| format!("#{} {}", t.number, t.draft.text.title)),
                Err(_) => None,
            },
            _ => None,
        };
        if let Some(label) = label {
            out.push(Recent { href: format!("/{kind}s/{id}"), label, kind_label: tr.t(&format!("task_on.{kind}")).to_string() });
        }
    }
    out
}
