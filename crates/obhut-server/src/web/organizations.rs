//! Organizations: the list with search, the organization page with its contacts,
//! timeline, deals and tickets, and the create / edit / delete forms.

use super::common::{add_activity, with_flash, ActivityForm, DealRow, TicketRow, Timeline};
use super::failure::{OrFail, PageResult};
use super::page::{list_url, non_empty, page_number, render, render_status, see_other, ConfirmDelete, Ctx, Errs, Opt, Pager, SortHead, PAGE_SIZE};
use super::session::{Posted, Web};
use crate::error::ServiceError;
use crate::fmt;
use crate::services::organizations as service;
use crate::services::{self, Page};
use askama::Template;
use axum::extract::{Path, Query, RawQuery};
use axum::http::StatusCode;
use axum::response::Response;
use obhut_core::ids::OrganizationId;
use obhut_core::organization::OrganizationInput;
use obhut_store::activities::ActivityOwner;
use obhut_store::contacts::ContactFilter;
use obhut_store::deals::DealFilter;
use obhut_store::organizations::OrganizationRecord;
use obhut_store::tickets::TicketFilter;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OrganizationListQuery {
    q: String,
    /// A user id, or "me".
    owner: String,
    tag: String,
    city: String,
    /// A column to sort by (`-` for descending), see `ORGANIZATION_ORDERS`.
    sort: String,
    page: Option<String>,
}

/// The sortable columns' headers of the organization list.
struct OrganizationHeads {
    name: SortHead,
    industry: SortHead,
    city: SortHead,
    owner: SortHead,
}

#[derive(Debug)]
struct OrganizationRow {
    id: String,
    name: String,
    industry: Option<String>,
    city: Option<String>,
    website: Option<String>,
    tags: Vec<String>,
    owner: Option<String>,
}

#[derive(Template)]
#[template(path = "organizations/list.html")]
struct OrganizationListPage {
    ctx: Ctx,
    q: String,
    owner: String,
    tag: String,
    city: String,
    sort: String,
    owners: Vec<Opt>,
    filtered: bool,
    heads: OrganizationHeads,
    rows: Vec<OrganizationRow>,
    pager: Pager,
    views: super::views::ViewStrip,
}

/// `GET /organizations`: by name, optionally those whose name contains `q`.
pub async fn organization_list(web: Web, Query(q): Query<OrganizationListQuery>, RawQuery(raw): RawQuery) -> PageResult {
    let page = page_number(q.page.as_deref());
    let owners = super::common::assignee_options(&web).await;
    let owner_id = match q.owner.as_str() {
        "me" => web.actor().user_id,
        o => owners.iter().find(|x| x.value == o).and_then(|x| obhut_core::ids::UserId::parse(&x.value).ok()),
    };
    let sort = Some(q.sort.clone()).filter(|k| obhut_store::db::is_order(obhut_store::organizations::ORGANIZATION_ORDERS, k));
    let filter = obhut_store::organizations::OrganizationFilter {
        q: non_empty(&q.q).map(str::to_string),
        owner_id,
        tag: non_empty(&q.tag).map(str::to_lowercase),
        city: non_empty(&q.city).map(str::to_string),
        sort: sort.clone(),
    };
    let (list, total) =
        service::list_filtered(&web.app, web.actor(), crate::gate::Action::Read, &filter, Page::new(Some(PAGE_SIZE), Some((page - 1) * PAGE_SIZE)))
            .await
            .or_fail(&web)?;
    let rows: Vec<OrganizationRow> = list
        .into_iter()
        .map(|o| {
            let city = [o.draft.postal_code.as_deref(), o.draft.city.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
            OrganizationRow {
                owner: o.draft.owner_id.and_then(|i| owners.iter().find(|x| x.value == i.to_string()).map(|x| x.label.clone())),
                id: o.id.to_string(),
                name: o.draft.name,
                industry: o.draft.industry,
                city: Some(city).filter(|c| !c.is_empty()),
                website: o.draft.website,
                tags: o.draft.tags,
            }
        })
        .collect();
    let sort = sort.unwrap_or_default();
    let filters = [("q", q.q.as_str()), ("owner", &q.owner), ("tag", &q.tag), ("city", &q.city)];
    let filtered = filters.iter().any(|(_, v)| !v.trim().is_empty());
    let pager = Pager::new(&list_url("/organizations", &[&filters[..], &[("sort", sort.as_str())]].concat()), page, rows.len(), total);
    let base = list_url("/organizations", &filters);
    let tr = web.tr();
    let shown = if sort.is_empty() { "name" } else { sort.as_str() };
    let head = |key: &str, label: &str| SortHead::new(&base, shown, key, tr.t(label).to_string(), false);
    let heads = OrganizationHeads {
        name: head("name", "organizations.name"),
        industry: head("industry", "organizations.industry"),
        city: head("city", "address.city"),
        owner: head("owner", "contacts.owner"),
    };
    let views = super::views::strip(&web, "organizations", raw.as_deref()).await;
    Ok(render(&OrganizationListPage {
        ctx: web.ctx("organizations"),
        q: q.q,
        owner: q.owner,
        tag: q.tag,
        city: q.city,
        sort,
        owners,
        filtered,
        heads,
        rows,
        pager,
        views,
    }))
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct OrganizationForm {
    name: String,
    website: String,
    industry: String,
    vat_id: String,
    email: String,
    phone: String,
    street: String,
    postal_code: String,
    city: String,
    country: String,
    tags: String,
    notes: String,
    record_class: String,
    team: String,
    version: String,
}

const ORGANIZATION_FIELDS: &[&str] = &[
    "name",
    "website",
    "industry",
    "vat_id",
    "email",
    "phone",
    "street",
    "postal_code",
    "city",
    "country",
    "tags",
    "notes",
    "record_class",
    "team",
];

impl OrganizationForm {
    fn from_record(o: &OrganizationRecord) -> Self {
        let d = &o.draft;
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            name: d.name.clone(),
            website: s(&d.website),
            industry: s(&d.industry),
            vat_id: s(&d.vat_id),
            email: d.sealed.email.as_ref().map(|e| e.to_string()).unwrap_or_default(),
            phone: d.sealed.phone.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            street: s(&d.sealed.street),
            postal_code: s(&d.postal_code),
            city: s(&d.city),
            country: s(&d.country),
            tags: d.tags.join(", "),
            notes: s(&d.sealed.notes),
            record_class: d.record_class.as_str().into(),
            team: d.team.clone().unwrap_or_default(),
            version: o.version.to_string(),
        }
    }

    fn to_input(&self) -> OrganizationInput {
        let v = |s: &String| Some(s.clone());
        OrganizationInput {
            name: v(&self.name),
            website: v(&self.website),
            industry: v(&self.industry),
            vat_id: v(&self.vat_id),
            email: v(&self.email),
            phone: v(&self.phone),
            street: v(&self.street),
            postal_code: v(&self.postal_code),
            city: v(&self.city),
            country: v(&self.country),
            owner_id: None,
            record_class: non_empty(&self.record_class).map(String::from),
            team: Some(self.team.clone()),
            tags: Some(self.tags.split(',').map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect()),
            notes: v(&self.notes),
        }
    }
}

#[derive(Template)]
#[template(path = "organizations/form.html")]
struct OrganizationFormPage {
    ctx: Ctx,
    heading: String,
    action: String,
    cancel: String,
    form: OrganizationForm,
    errs: Errs,
    classes: Vec<Opt>,
}

fn form_page(web: &Web, existing: Option<&OrganizationRecord>, form: OrganizationForm, errs: Errs) -> OrganizationFormPage {
    let tr = web.tr();
    let (heading, action, cancel) = match existing {
        Some(o) => {
            (tr.f("organizations.edit_heading", &o.draft.name), format!("/organizations/{}/edit", o.id), format!("/organizations/{}", o.id))
        }
        None => (tr.t("organizations.new").to_string(), "/organizations".into(), "/organizations".into()),
    };
    OrganizationFormPage { ctx: web.ctx("organizations"), heading, action, cancel, form, errs, classes: super::common::class_options(tr) }
}

/// `GET /organizations/new`.
pub async fn new_organization_page(web: Web) -> Response {
    render(&form_page(&web, None, OrganizationForm::default(), Errs::none()))
}

/// `POST /organizations`.
pub async fn create_organization(Posted { web, form }: Posted<OrganizationForm>) -> Response {
    match service::create(&web.app, web.actor(), &form.to_input()).await {
        Ok(o) => see_other(&format!("/organizations/{}?flash=created", o.id)),
        Err(ServiceError::Validation(v)) => {
            let errs = Errs::from_validation(web.tr(), &v, &[], ORGANIZATION_FIELDS);
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &form_page(&web, None, form, errs))
        }
        Err(e) => web.fail(e),
    }
}

async fn load(web: &Web, id: &str) -> Result<OrganizationRecord, Response> {
    let Ok(id) = OrganizationId::parse(id) else { return Err(web.not_found()) };
    service::get(&web.app, web.actor(), id).await.map_err(|e| web.fail(e))
}

/// `GET /organizations/{id}/edit`.
pub async fn edit_organization_page(web: Web, Path(id): Path<String>) -> Response {
    match load(&web, &id).await {
        Ok(o) => render(&form_page(&web, Some(&o), OrganizationForm::from_record(&o), Errs::none())),
        Err(r) => r,
    }
}

/// `POST /organizations/{id}/edit`.
pub async fn update_organization(Path(id): Path<String>, Posted { web, form }: Posted<OrganizationForm>) -> Response {
    let current = match load(&web, &id).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    match service::update(&web.app, web.actor(), current.id, form.to_input(), form.version.trim().parse().ok()).await {
        Ok(o) => see_other(&format!("/organizations/{}?flash=saved", o.id)),
        Err(ServiceError::Validation(v)) => {
            let errs = Errs::from_validation(web.tr(), &v, &[], ORGANIZATION_FIELDS);
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &form_page(&web, Some(&current), form, errs))
        }
        Err(e) => web.fail(e),
    }
}

#[derive(Debug)]
struct OrganizationView {
    id: String,
    name: String,
    website: Option<String>,
    website_href: Option<String>,
    industry: Option<String>,
    vat_id: Option<String>,
    email: Option<String>,
    phone: Option<fmt::ShownPhone>,
    address: Vec<String>,
    tags: Vec<String>,
    notes: Option<String>,
}

#[derive(Debug)]
struct MemberRow {
    id: String,
    name: String,
    job_title: Option<String>,
    email: Option<String>,
    phone: Option<fmt::ShownPhone>,
}

#[derive(Template)]
#[template(path = "organizations/show.html")]
struct OrganizationPage {
    ctx: Ctx,
    o: OrganizationView,
    members: Vec<MemberRow>,
    members_total: i64,
    timeline: Timeline,
    deals: Vec<DealRow>,
    tickets: Vec<TicketRow>,
    tasks: super::tasks::TaskSection,
}

fn view(o: &OrganizationRecord) -> OrganizationView {
    let d = &o.draft;
    let city = [d.postal_code.as_deref(), d.city.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let website_href =
        d.website.as_ref().map(|w| if w.starts_with("http://") || w.starts_with("https://") { w.clone() } else { format!("https://{w}") });
    OrganizationView {
        id: o.id.to_string(),
        name: d.name.clone(),
        website: d.website.clone(),
        website_href,
        industry: d.industry.clone(),
        vat_id: d.vat_id.clone(),
        email: d.sealed.email.as_ref().map(|e| e.to_string()),
        phone: d.sealed.phone.as_ref().map(fmt::phone),
        address: [d.sealed.street.clone(), Some(city).filter(|c| !c.is_empty()), d.country.clone()].into_iter().flatten().collect(),
        tags: d.tags.clone(),
        notes: d.sealed.notes.clone(),
    }
}

async fn organization_page_with(web: &Web, id: &str, typed: Option<(ActivityForm, Errs)>) -> Response {
    let o = match load(web, id).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let status = if typed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let filter = ContactFilter { organization_id: Some(o.id), ..Default::default() };
    let (members, members_total) =
        match services::contact_list::list(&web.app, web.actor(), None, &filter, services::contact_list::Sort::Name, Page::new(Some(200), None))
            .await
        {
            Ok(l) => (
                l.items
                    .into_iter()
                    .map(|c| MemberRow {
                        id: c.id.to_string(),
                        name: c.personal.display_name(),
                        job_title: c.personal.job_title.clone(),
                        email: c.personal.primary_email().map(|e| e.to_string()),
                        phone: c.personal.primary_phone().map(fmt::phone),
                    })
                    .collect(),
                l.total,
            ),
            Err(e) => return web.fail(e),
        };
    let timeline = match Timeline::load(web, ActivityOwner::Organization(o.id), format!("/organizations/{}", o.id), typed).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let deals = match super::common::deal_section(web, DealFilter { organization_id: Some(o.id), ..Default::default() }).await {
        Ok(rows) => rows,
        Err(r) => return r,
    };
    let tickets = match super::common::ticket_section(web, TicketFilter { organization_id: Some(o.id), ..Default::default() }).await {
        Ok(rows) => rows,
        Err(r) => return r,
    };
    let tasks = match super::tasks::TaskSection::of(web, obhut_core::task::TaskOn::Organization(o.id)).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    render_status(
        status,
        &OrganizationPage { ctx: web.ctx("organizations"), o: view(&o), members, members_total, timeline, deals, tickets, tasks },
    )
}

/// `GET /organizations/{id}`.
pub async fn organization_page(web: Web, Path(id): Path<String>) -> Response {
    let page = organization_page_with(&web, &id, None).await;
    if page.status().is_success() {
        crate::services::tasks::note_view(&web.app, web.actor(), "organization", id);
    }
    page
}

/// `POST /organizations/{id}/activities`.
pub async fn add_organization_activity(Path(id): Path<String>, Posted { web, form }: Posted<ActivityForm>) -> Response {
    let Ok(oid) = OrganizationId::parse(&id) else { return web.not_found() };
    match add_activity(&web, ActivityOwner::Organization(oid), form).await {
        Ok(()) => see_other(&with_flash(&format!("/organizations/{oid}#activities"), "activity")),
        Err(Ok(typed)) => organization_page_with(&web, &id, Some(typed)).await,
        Err(Err(r)) => r,
    }
}

/// `GET /organizations/{id}/delete`.
pub async fn delete_organization_page(web: Web, Path(id): Path<String>) -> Response {
    let o = match load(&web, &id).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let tr = web.tr();
    render(&ConfirmDelete {
        ctx: web.ctx("organizations"),
        heading: tr.f("organizations.delete_heading", &o.draft.name),
        question: tr.t("organizations.delete_question").to_string(),
        action: format!("/organizations/{}/delete", o.id),
        cancel: format!("/organizations/{}", o.id),
    })
}

/// `POST /organizations/{id}/delete`.
pub async fn delete_organization(Path(id): Path<String>, Posted { web, .. }: Posted<super::auth::Empty>) -> Response {
    let Ok(id) = OrganizationId::parse(&id) else { return web.not_found() };
    match service::delete(&web.app, web.actor(), id).await {
        Ok(()) => see_other("/organizations?flash=deleted"),
        Err(e) => web.fail(e),
    }
}
