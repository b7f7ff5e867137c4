//! Saved views on the lists: the strip of the user's views above a list, saving the current
//! filters under a name, deleting a view.

use super::page::see_other;
use super::session::{Posted, Web};
use crate::services::views as service;
use axum::extract::Path;
use axum::response::Response;
use serde::Deserialize;

/// The views strip of a list page.
#[derive(Debug, Default)]
pub struct ViewStrip {
    pub list: &'static str,
    /// Id, name, the list's address with the view's filters, whether it is the one shown.
    pub views: Vec<(String, String, String, bool)>,
    /// The filters shown now, as a view would keep them.
    pub current: String,
}

/// The strip for `list`, with the query the page was opened with.
pub async fn strip(web: &Web, list: &'static str, raw_query: Option<&str>) -> ViewStrip {
    let current = service::normalize(list, raw_query.unwrap_or("")).unwrap_or_default();
    let views = service::list(&web.app, web.actor(), list)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|v| {
            let href = if v.query.is_empty() { format!("/{list}") } else { format!("/{list}?{}", v.query) };
            let active = v.query == current;
            (v.id, v.name, href, active)
        })
        .collect();
    ViewStrip { list, views, current }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SaveForm {
    list: String,
    name: String,
    query: String,
}

/// `POST /views`: the current filters of a list under a name.
pub async fn save_view(Posted { web, form }: Posted<SaveForm>) -> Response {
    match service::save(&web.app, web.actor(), &form.list, &form.name, &form.query).await {
        Ok(v) => see_other(&format!("/{}?{}{}flash=view_saved", form.list, v.query, if v.query.is_empty() { "" } else { "&" })),
        Err(e) => web.fail(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    list: String,
}

/// `POST /views/{id}/delete`.
pub async fn delete_view(Path(id): Path<String>, Posted { web, form }: Posted<DeleteForm>) -> Response {
    let list = service::LISTS.iter().map(|(l, _)| *l).find(|l| *l == form.list).unwrap_or("contacts");
    match service::delete(&web.app, web.actor(), &id).await {
        Ok(()) => see_other(&format!("/{list}?flash=view_deleted")),
        Err(e) => web.fail(e),
    }
}
