//! Record pickers: wherever a form links a contact or an organization, a search field finds it
//! by name, email, phone or company through the same gated search as the lists (each contact
//! shown is a logged read under the screen's purpose). Without JavaScript it is a
//! search-then-choose step (the "Suchen" button posts the form back with the matches in a
//! select; nothing is saved); with it, `/static/picker.js` fills the select as one types from
//! `GET /pick/contacts` and `GET /pick/organizations`.

use super::page::{non_empty, Opt};
use super::session::Web;
use crate::services::{self, Page};
use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use axum::Json;
use obhut_core::ids::{ContactId, OrganizationId};
use obhut_store::contacts::ContactFilter;
use serde::{Deserialize, Serialize};

/// How many matches a picker offers.
const MATCHES: i64 = 20;

/// One picker on a form.
#[derive(Debug, Clone)]
pub struct Picker {
    /// The form field that carries the chosen id; the search is `<field>_q`.
    pub field: &'static str,
    /// contacts or organizations (the `/pick/…` path).
    pub kind: &'static str,
    /// The purpose contacts are read under ("" for organizations).
    pub purpose: &'static str,
    pub id: String,
    /// The chosen record and the matches of the search, for the select.
    pub options: Vec<Opt>,
    pub q: String,
    /// A search was made and found nothing.
    pub none_found: bool,
}

/// One match, for the select and for the type-ahead.
#[derive(Debug, Serialize)]
pub struct Match {
    pub id: String,
    pub label: String,
}

async fn contact_matches(web: &Web, q: &str, purpose: &str) -> Vec<Match> {
    let page = Page::new(Some(MATCHES), None);
    let sort = services::contact_list::Sort::Name;
    let cap = services::contact_list::PICKER_CANDIDATES;
    match services::contact_list::list_capped(&web.app, web.actor(), Some(q), &ContactFilter::default(), sort, page, purpose, cap).await {
        Ok(l) => l
            .items
            .into_iter()
            .map(|c| {
                let mut label = c.personal.display_name();
                if let Some(org) = &c.organization_name {
                    label.push_str(&format!(" · {org}"));
                }
                if let Some(e) = c.personal.primary_email() {
                    label.push_str(&format!(" · {e}"));
                }
                Match { id: c.id.to_string(), label }
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

async fn organization_matches(web: &Web, q: &str) -> Vec<Match> {
    match services::organizations::list(&web.app, web.actor(), Some(q), Page::new(Some(MATCHES), None)).await {
        Ok((list, _)) => list
            .into_iter()
            .map(|o| {
                let mut label = o.draft.name.clone();
                if let Some(city) = &o.draft.city {
                    label.push_str(&format!(" · {city}"));
                }
                Match { id: o.id.to_string(), label }
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

impl Picker {
    /// A contact picker: the chosen contact by name, and the matches of `q`.
    pub async fn contact(web: &Web, field: &'static str, id: &str, q: &str, purpose: &'static str) -> Self {
        let mut options = Vec::new();
        if let Some(c) = non_empty(id).and_then(|c| ContactId::parse(c).ok()) {
            if let Some(name) = super::common::contact_names(web, vec![c], purpose).await.remove(&c) {
                options.push(Opt::new(c.to_string(), name));
            }
        }
        let found = match non_empty(q) {
            Some(q) => Some(contact_matches(web, q, purpose).await),
            None => None,
        };
        Self::with(field, "contacts", purpose, id, q, options, found)
    }

    /// An organization picker.
    pub async fn organization(web: &Web, field: &'static str, id: &str, q: &str) -> Self {
        let mut options = Vec::new();
        if let Some(o) = non_empty(id).and_then(|o| OrganizationId::parse(o).ok()) {
            if let Some(name) = super::common::organization_names(web, vec![o]).await.remove(&o) {
                options.push(Opt::new(o.to_string(), name));
            }
        }
        let found = match non_empty(q) {
            Some(q) => Some(organization_matches(web, q).await),
            None => None,
        };
        Self::with(field, "organizations", "", id, q, options, found)
    }

    fn with(field: &'static str, kind: &'static str, purpose: &'static str, id: &str, q: &str, mut options: Vec<Opt>, found: Option<Vec<Match>>) -> Self {
        let none_found = found.as_ref().is_some_and(Vec::is_empty);
        for m in found.unwrap_or_default() {
            if !options.iter().any(|o| o.value == m.id) {
                options.push(Opt::new(m.id, m.label));
            }
        }
        Self { field, kind, purpose, id: id.trim().to_string(), options, q: q.to_string(), none_found }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PickQuery {
    q: String,
    purpose: String,
}

/// The purposes a contact picker may read under (each screen's own).
const PICK_PURPOSES: &[&str] = &[super::common::SALES_PURPOSE, super::common::SERVICE_PURPOSE, super::common::RIGHTS_PURPOSE];

/// `GET /pick/contacts?q=&purpose=`: the type-ahead's matches as JSON (each a logged read).
pub async fn pick_contacts(web: Web, Query(q): Query<PickQuery>) -> Response {
    let purpose = PICK_PURPOSES.iter().copied().find(|p| *p == q.purpose).unwrap_or(super::common::SALES_PURPOSE);
    let found = match non_empty(&q.q) {
        Some(text) if text.chars().count() >= 2 => contact_matches(&web, text, purpose).await,
        _ => Vec::new(),
    };
    Json(found).into_response()
}

/// `GET /pick/organizations?q=`.
pub async fn pick_organizations(web: Web, Query(q): Query<PickQuery>) -> Response {
    let found = match non_empty(&q.q) {
        Some(text) if !text.is_empty() => organization_matches(&web, text).await,
        _ => Vec::new(),
    };
    Json(found).into_response()
}
