//! The contact list: search, filters (kind, tag, owner, city, created, last activity), every
//! orderable column sortable across all pages, paging with a total, bulk actions and saved views.

use super::contacts::kind_options;
use super::failure::{OrFail, PageResult};
use super::page::{display_name, list_url, non_empty, page_number, render_status, Ctx, Opt, Pager, SortHead, PAGE_SIZE};
use super::session::Web;
use crate::fmt;

use crate::services::contact_list::{self as service, apply_value_filters, Sort, ValueFilters};
use crate::services::Page;
use askama::Template;
use axum::extract::{Query, RawQuery};
use obhut_core::contact::ContactKind;
use obhut_store::contacts::ContactFilter;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ContactListQuery {
    q: String,
    kind: String,
    tag: String,
    sort: String,
    /// A user id, or "me".
    owner: String,
    city: String,
    /// Created from / to (`YYYY-MM-DD`).
    created_from: String,
    created_to: String,
    /// The latest activity: `7d`, `30d`, `90d` (one within so many days) or `none30`,
    /// `none90`, `none365` (none for so many days).
    activity: String,
    page: Option<String>,
}

#[derive(Debug)]
struct ContactRow {
    id: String,
    name: String,
    organization: Option<(String, String)>,
    email: Option<String>,
    phone: Option<fmt::ShownPhone>,
    tags: Vec<String>,
    kind: &'static str,
    kind_label: String,
    owner: Option<String>,
    last_activity: Option<String>,
    created: String,
}

#[derive(Template)]
#[template(path = "contacts/list.html")]
struct ContactListPage {
    ctx: Ctx,
    q: String,
    kind: String,
    tag: String,
    sort: String,
    owner: String,
    city: String,
    created_from: String,
    created_to: String,
    activity: String,
    kinds: Vec<Opt>,
    sorts: Vec<Opt>,
    activities: Vec<Opt>,
    rows: Vec<ContactRow>,
    pager: Pager,
    truncated: bool,
    filtered: bool,
    /// What an empty result was asked for, in words: the search and each filter.
    searched: String,
    /// The sortable columns' headers.
    heads: Heads,
    /// The bulk actions: who contacts can be given to, and this list's address to come back to.
    owners: Vec<Opt>,
    back: String,
    views: super::views::ViewStrip,
    /// A filter whose value could not be read, in words.
    bad_filter: Option<String>,
}

struct Heads {
    name: SortHead,
    organization: SortHead,
    owner: SortHead,
    activity: SortHead,
    created: SortHead,
}

const ACTIVITY: [&str; 6] = ["7d", "30d", "90d", "none30", "none90", "none365"];

/// The activity filter's days back and whether it asks for none since then.
fn activity_days(a: &str) -> Option<(i64, bool)> {
    match a {
        "7d" => Some((7, false)),
        "30d" => Some((30, false)),
        "90d" => Some((90, false)),
        "none30" => Some((30, true)),
        "none90" => Some((90, true)),
        "none365" => Some((365, true)),
        _ => None,
    }
}

/// `GET /contacts`: newest first, or the hits of a search (`q`), with filters, sorting and paging.
pub async fn contact_list(web: Web, Query(q): Query<ContactListQuery>, RawQuery(raw): RawQuery) -> PageResult {
    let tr = web.tr();
    let owners = super::common::assignee_options(&web).await;
    let owner_id = match q.owner.as_str() {
        "me" => web.actor().user_id,
        o => owners.iter().find(|x| x.value == o).and_then(|x| obhut_core::ids::UserId::parse(&x.value).ok()),
    };
    let mut filter = ContactFilter {
        kind: non_empty(&q.kind).and_then(|k| ContactKind::parse(k).ok()),
        tag: non_empty(&q.tag).map(str::to_lowercase),
        owner_id,
        ..Default::default()
    };
    let since = activity_days(&q.activity).map(|(days, none)| {
        let day = (crate::services::tasks::today(&web.app) - time::Duration::days(days)).to_string();
        (day, none)
    });
    let values = ValueFilters {
        city: non_empty(&q.city),
        created_from: non_empty(&q.created_from),
        created_to: non_empty(&q.created_to),
        active_since: since.as_ref().filter(|s| !s.1).map(|s| s.0.as_str()),
        inactive_since: since.as_ref().filter(|s| s.1).map(|s| s.0.as_str()),
    };
    // A bad value (a hand-made address) leaves the value filters out and says which one it was.
    let mut bad_filter = None;
    let mut with_values = filter.clone();
    match apply_value_filters(&web.app, &mut with_values, &values) {
        Ok(()) => filter = with_values,
        Err(crate::error::ServiceError::Validation(e)) => {
            let label = match e.0.first().map(|f| f.field.as_str()) {
                Some("created_from") => tr.t("contacts.created_from"),
                Some("created_to") => tr.t("contacts.created_to"),
                Some("city") => tr.t("address.city"),
                _ => tr.t("contacts.last_activity"),
            };
            bad_filter = Some(tr.f("contacts.bad_filter", label));
        }
        Err(e) => return Err(web.failure(e)),
    }
    let sort = Sort::parse(&q.sort).unwrap_or_default();
    let page = page_number(q.page.as_deref());
    let list =
        service::list(&web.app, web.actor(), non_empty(&q.q), &filter, sort, Page::new(Some(PAGE_SIZE), Some((page - 1) * PAGE_SIZE)))
            .await
            .or_fail(&web)?;
    let orgs = super::common::organization_names(&web, list.items.iter().filter_map(|c| c.organization_id).collect()).await;
    let owner_name = |id: Option<obhut_core::ids::UserId>| id.and_then(|i| owners.iter().find(|o| o.value == i.to_string()).map(|o| o.label.clone()));
    let rows: Vec<ContactRow> = list
        .items
        .iter()
        .map(|c| ContactRow {
            id: c.id.to_string(),
            name: display_name(c, tr),
            organization: c.organization_id.and_then(|o| orgs.get(&o).map(|n| (o.to_string(), n.clone()))),
            email: c.personal.primary_email().map(|e| e.to_string()),
            phone: c.personal.primary_phone().map(fmt::phone),
            tags: c.tags.clone(),
            kind: c.kind.as_str(),
            kind_label: tr.v("contact_kind", c.kind.as_str()),
            owner: owner_name(c.owner_id),
            last_activity: c.last_activity_at.map(|t| fmt::date(tr.lang, fmt::local(t).date())),
            created: fmt::date(tr.lang, fmt::local(c.created_at).date()),
        })
        .collect();
    let filters: [(&str, &str); 8] = [
        ("q", &q.q),
        ("kind", &q.kind),
        ("tag", &q.tag),
        ("owner", &q.owner),
        ("city", &q.city),
        ("created_from", &q.created_from),
        ("created_to", &q.created_to),
        ("activity", &q.activity),
    ];
    let sort_key = sort.key();
    let mut with_sort = filters.to_vec();
    // The order stays in the pager's and the bulk form's addresses when one was chosen.
    with_sort.push(("sort", if q.sort.trim().is_empty() { "" } else { sort_key }));
    let pager = Pager::new(&list_url("/contacts", &with_sort), page, rows.len(), list.total);
    let sorts = Sort::ALL.iter().map(|s| Opt::new(s.key(), tr.t(s.label_key()))).collect();
    let filtered = filters.iter().any(|(_, v)| !v.trim().is_empty());
    let mut asked = Vec::new();
    if let Some(text) = non_empty(&q.q) {
        asked.push(tr.f("contacts.quoted", text));
    }
    if let Some(kind) = non_empty(&q.kind) {
        asked.push(format!("{}: {}", tr.t("contacts.kind"), tr.v("contact_kind", kind)));
    }
    if let Some(tag) = non_empty(&q.tag) {
        asked.push(format!("{}: {tag}", tr.t("contacts.tag")));
    }
    if let Some(o) = non_empty(&q.owner) {
        let name = if o == "me" { tr.t("tickets.mine").to_string() } else { owner_name(owner_id).unwrap_or_else(|| o.to_string()) };
        asked.push(format!("{}: {name}", tr.t("contacts.owner")));
    }
    if let Some(city) = non_empty(&q.city) {
        asked.push(format!("{}: {city}", tr.t("address.city")));
    }
    if non_empty(&q.created_from).is_some() || non_empty(&q.created_to).is_some() {
        asked.push(format!("{}: {} – {}", tr.t("contacts.created"), q.created_from.trim(), q.created_to.trim()));
    }
    if let Some(a) = non_empty(&q.activity) {
        asked.push(format!("{}: {}", tr.t("contacts.last_activity"), tr.v("contact_activity", a)));
    }
    let searched = tr.f("contacts.no_hits_for", asked.join(" · "));
    let base = list_url("/contacts", &filters);
    let head = |key: &str, label: &str, desc_first: bool| SortHead::new(&base, sort_key, key, tr.t(label).to_string(), desc_first);
    let heads = Heads {
        name: head("name", "contacts.name", false),
        organization: head("organization", "contacts.organization", false),
        owner: head("owner", "contacts.owner", false),
        activity: head("last_activity", "contacts.last_activity", true),
        created: head("created_at", "contacts.created", true),
    };
    let mut back_pairs = with_sort.clone();
    let page_s = page.to_string();
    back_pairs.push(("page", &page_s));
    let back = list_url("/contacts", &back_pairs);
    let activities = ACTIVITY.iter().map(|a| Opt::new(*a, tr.v("contact_activity", a))).collect();
    let views = super::views::strip(&web, "contacts", raw.as_deref()).await;
    let status = if bad_filter.is_some() { axum::http::StatusCode::BAD_REQUEST } else { axum::http::StatusCode::OK };
    Ok(render_status(status, &ContactListPage {
        bad_filter,
        heads,
        ctx: web.ctx("contacts"),
        q: q.q,
        kind: q.kind,
        tag: q.tag,
        sort: sort_key.to_string(),
        owner: q.owner,
        city: q.city,
        created_from: q.created_from,
        created_to: q.created_to,
        activity: q.activity,
        kinds: kind_options(tr),
        sorts,
        activities,
        rows,
        pager,
        truncated: list.truncated,
        filtered,
        searched,
        owners,
        views,
        back,
    }))
}
