//! The pipeline: the board (one column per stage, cards dragged between columns by
//! `/static/app.js`, the move form as the fallback without JavaScript), the weighted forecast
//! per stage and in total, and the same deals as a list.

use super::common::{contact_names, organization_names, stage_names, SALES_PURPOSE};
use super::deals::{load_stages, stage_options};
use super::page::{list_url, non_empty, page_number, render, see_other, Ctx, Opt, Pager, SortHead, PAGE_SIZE};
use super::session::{Posted, Web};
use crate::fmt;
use crate::services::deals as service;
use crate::services::Page;
use askama::Template;
use axum::extract::{Path, Query, RawQuery};
use axum::response::Response;
use obhut_core::deal::DealInput;
use obhut_core::ids::{DealId, StageId, UserId};
use obhut_store::deals::{DealFilter, DealRecord, StageRecord};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug)]
struct Card {
    id: String,
    title: String,
    organization: Option<String>,
    contact: Option<String>,
    owner: Option<String>,
    amount: Option<String>,
    close: Option<String>,
    close_overdue: bool,
    /// Whole days in the current stage.
    days_in_stage: i64,
    version: i64,
    stage_id: String,
    /// Why a won or lost deal went that way, in words.
    reason: Option<String>,
}

#[derive(Debug)]
struct Column {
    id: String,
    name: String,
    outcome: &'static str,
    probability: i64,
    count: i64,
    sum: Option<String>,
    weighted: Option<String>,
    cards: Vec<Card>,
}

#[derive(Template)]
#[template(path = "deals/board.html")]
struct BoardPage {
    ctx: Ctx,
    columns: Vec<Column>,
    stages: Vec<Opt>,
    /// The open pipeline weighted by each stage's probability, per currency.
    weighted_total: Vec<String>,
    open_total: Vec<String>,
    owner: String,
    views: super::views::ViewStrip,
    /// "Gewonnen: Preis 2 · …", "Verloren: …": the reasons of the closed deals.
    reasons: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "deals/list.html")]
struct ListPage {
    ctx: Ctx,
    rows: Vec<Card>,
    stages: HashMap<String, String>,
    pager: Pager,
    total: i64,
    weighted_total: Vec<String>,
    owner: String,
    stage: String,
    stage_opts: Vec<Opt>,
    views: super::views::ViewStrip,
    sort: String,
    heads: DealHeads,
}

/// The sortable columns' headers of the deal list.
struct DealHeads {
    title: SortHead,
    stage: SortHead,
    amount: SortHead,
    close: SortHead,
    owner: SortHead,
}

/// Per currency, formatted: the sums of `values` (currency, cents).
fn per_currency(lang: crate::i18n::Lang, values: impl Iterator<Item = (String, i64)>) -> Vec<String> {
    let mut m: BTreeMap<String, i64> = BTreeMap::new();
    for (c, v) in values {
        *m.entry(c).or_default() += v;
    }
    m.into_iter().map(|(c, v)| fmt::amount(lang, v, &c)).collect()
}

/// Names of users by id (owners on the cards).
async fn user_names(web: &Web) -> HashMap<UserId, String> {
    crate::services::tasks::assignees(&web.app, web.actor()).await.unwrap_or_default().into_iter().collect()
}

async fn cards(web: &Web, deals: Vec<DealRecord>) -> Vec<Card> {
    let tr = web.tr();
    let orgs = organization_names(web, deals.iter().filter_map(|d| d.draft.organization_id).collect()).await;
    let contacts = contact_names(web, deals.iter().filter_map(|d| d.draft.contact_id).collect(), SALES_PURPOSE).await;
    let users = user_names(web).await;
    let now = web.app.now_ms();
    let today = crate::services::tasks::today(&web.app);
    deals
        .into_iter()
        .map(|d| Card {
            id: d.id.to_string(),
            title: d.draft.title.clone(),
            organization: d.draft.organization_id.and_then(|o| orgs.get(&o).cloned()),
            contact: d.draft.contact_id.and_then(|c| contacts.get(&c).cloned()),
            owner: d.draft.owner_id.and_then(|u| users.get(&u).cloned()),
            amount: d.draft.amount_cents.map(|c| fmt::amount(tr.lang, c, &d.draft.currency)),
            close: d.draft.expected_close_on.map(|x| fmt::date(tr.lang, x)),
            close_overdue: d.draft.expected_close_on.is_some_and(|x| x < today),
            days_in_stage: ((now - d.stage_entered_at) / 86_400_000).max(0),
            version: d.version,
            stage_id: d.draft.stage_id.map(|s| s.to_string()).unwrap_or_default(),
            reason: d.draft.close_reason.as_deref().map(|r| tr.v("close_reason", r)),
        })
        .collect()
}

/// `GET /deals`: one column per stage (up to 200 cards each, with the stage's count, sum and
/// weighted sum), or `?view=list`: every deal in a table, paged.
pub async fn pipeline_board(web: Web, Query(q): Query<BoardQuery>, RawQuery(raw): RawQuery) -> Response {
    let tr = web.tr();
    let mine = DealFilter { owner_id: if q.owner == "me" { web.actor().user_id } else { None }, ..Default::default() };
    let views = super::views::strip(&web, "deals", raw.as_deref()).await;
    let stages = match load_stages(&web).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let forecast = match service::forecast(&web.app, web.actor(), &mine).await {
        Ok(f) => f,
        Err(e) => return web.fail(e),
    };
    let open: Vec<StageId> = stages.iter().filter(|s| s.outcome.as_str() == "open").map(|s| s.id).collect();
    let weighted_total =
        per_currency(tr.lang, forecast.iter().filter(|v| open.contains(&v.stage_id)).map(|v| (v.currency.clone(), v.weighted_cents)));
    if q.view == "list" {
        return list_view(&web, &stages, &q, weighted_total, views).await;
    }
    let open_total =
        per_currency(tr.lang, forecast.iter().filter(|v| open.contains(&v.stage_id)).map(|v| (v.currency.clone(), v.amount_cents)));
    let mut columns = Vec::new();
    for s in stages.iter() {
        let list = service::list(&web.app, web.actor(), &DealFilter { stage_id: Some(s.id), ..mine.clone() }, Page::new(Some(200), None)).await;
        let (deals, count) = match list {
            Ok(x) => x,
            Err(e) => return web.fail(e),
        };
        let of_stage: Vec<_> = forecast.iter().filter(|v| v.stage_id == s.id).collect();
        let sum = per_currency(tr.lang, of_stage.iter().map(|v| (v.currency.clone(), v.amount_cents)));
        let weighted = per_currency(tr.lang, of_stage.iter().map(|v| (v.currency.clone(), v.weighted_cents)));
        columns.push(Column {
            id: s.id.to_string(),
            name: s.name.clone(),
            outcome: s.outcome.as_str(),
            probability: s.probability,
            count,
            sum: (!sum.is_empty()).then(|| sum.join(" · ")),
            weighted: (!weighted.is_empty() && s.outcome.as_str() == "open").then(|| weighted.join(" · ")),
            cards: cards(&web, deals).await,
        });
    }
    let reasons = reason_summary(&web, &mine).await;
    render(&BoardPage { ctx: web.ctx("deals"), columns, stages: stage_options(&stages), weighted_total, open_total, owner: q.owner, views, reasons })
}

/// The reasons of the won and lost deals, per outcome, most frequent first.
async fn reason_summary(web: &Web, filter: &DealFilter) -> Vec<(String, String)> {
    let tr = web.tr();
    let counts = service::close_reasons(&web.app, web.actor(), filter).await.unwrap_or_default();
    let mut out: Vec<(String, String)> = Vec::new();
    for outcome in ["won", "lost"] {
        let parts: Vec<String> =
            counts.iter().filter(|(o, _, _)| o == outcome).map(|(_, r, n)| format!("{} {n}", tr.v("close_reason", r))).collect();
        if !parts.is_empty() {
            out.push((tr.v("outcome", outcome), parts.join(" · ")));
        }
    }
    out
}

async fn list_view(web: &Web, stages: &[StageRecord], q: &BoardQuery, weighted_total: Vec<String>, views: super::views::ViewStrip) -> Response {
    let page = page_number(q.page.as_deref());
    let filter = DealFilter {
        by_close: true,
        owner_id: if q.owner == "me" { web.actor().user_id } else { None },
        stage_id: non_empty(&q.stage).and_then(|s| StageId::parse(s).ok()),
        sort: Some(q.sort.clone()).filter(|k| obhut_store::db::is_order(obhut_store::deals::DEAL_ORDERS, k)),
        ..Default::default()
    };
    let sort = filter.sort.clone().unwrap_or_default();
    let (deals, total) = match service::list(&web.app, web.actor(), &filter, Page::new(Some(PAGE_SIZE), Some((page - 1) * PAGE_SIZE))).await {
        Ok(x) => x,
        Err(e) => return web.fail(e),
    };
    let rows = cards(web, deals).await;
    let filters = [("view", "list"), ("owner", q.owner.as_str()), ("stage", &q.stage)];
    let pager = Pager::new(&list_url("/deals", &[&filters[..], &[("sort", sort.as_str())]].concat()), page, rows.len(), total);
    let base = list_url("/deals", &filters);
    let tr = web.tr();
    // Without a column chosen, the list goes by expected close.
    let shown = if sort.is_empty() { "close" } else { sort.as_str() };
    let head = |key: &str, label: &str, desc_first: bool| SortHead::new(&base, shown, key, tr.t(label).to_string(), desc_first);
    let heads = DealHeads {
        title: head("title", "deals.deal_title", false),
        stage: head("stage", "deals.stage", false),
        amount: head("amount", "deals.amount", true),
        close: head("close", "deals.expected_close", false),
        owner: head("owner", "deals.owner", false),
    };
    let stage_opts = stage_options(stages);
    let stages = stage_names(stages).into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    render(&ListPage {
        ctx: web.ctx("deals"),
        rows,
        stages,
        pager,
        total,
        weighted_total,
        owner: q.owner.clone(),
        stage: q.stage.clone(),
        stage_opts,
        views,
        sort,
        heads,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BoardQuery {
    view: String,
    /// "me": only my deals.
    owner: String,
    /// The list view: only deals in this stage.
    stage: String,
    /// The list view: a column to sort by (`-` for descending), see `DEAL_ORDERS`.
    sort: String,
    page: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoveForm {
    stage_id: String,
    version: String,
}

/// `POST /deals/{id}/stage`: moves a card to another column (the drop of a drag, or the form).
pub async fn move_deal(Path(id): Path<String>, Posted { web, form }: Posted<MoveForm>) -> Response {
    let Ok(id) = DealId::parse(&id) else { return web.not_found() };
    // A move to the column the card stands in changes nothing, and says so.
    match service::get(&web.app, web.actor(), id).await {
        Ok(d) if d.draft.stage_id.is_some_and(|s| s.to_string() == form.stage_id.trim()) => {
            return see_other(&format!("/deals?flash=not_moved#deal-{id}"));
        }
        Ok(_) => {}
        Err(e) => return web.fail(e),
    }
    let patch = DealInput { stage_id: Some(form.stage_id), ..Default::default() };
    match service::update(&web.app, web.actor(), id, patch, form.version.trim().parse().ok()).await {
        Ok(d) => see_other(&format!("/deals?flash=moved#deal-{}", d.id)),
        Err(e) => web.fail(e),
    }
}
