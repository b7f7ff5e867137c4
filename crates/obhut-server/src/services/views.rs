//! Saved views: a user's named filters and sort of a list, to open again with one click. Only
//! the list's own filter keys are kept (no paging); at most [`MAX_PER_LIST`] per list.

use super::audit_entry;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::Actor;
use obhut_store::saved_views::{self as repo, SavedView};

/// The lists that have views, with the query keys a view of each keeps.
pub const LISTS: &[(&str, &[&str])] = &[
    ("contacts", &["q", "kind", "tag", "sort", "owner", "city", "created_from", "created_to", "activity"]),
    ("organizations", &["q", "owner", "tag", "city", "sort"]),
    ("deals", &["view", "owner", "stage", "sort"]),
    ("tickets", &["q", "owner", "status", "kind", "sort"]),
];

pub const MAX_PER_LIST: usize = 30;

fn keys_of(list: &str) -> ServiceResult<&'static [&'static str]> {
    LISTS.iter().find(|(l, _)| *l == list).map(|(_, k)| *k).ok_or_else(|| ServiceError::field("list", "must be one of contacts, organizations, deals, tickets"))
}

/// The part of `query` a view of `list` keeps, in a stable order (empty values dropped).
pub fn normalize(list: &str, query: &str) -> ServiceResult<String> {
    let keys = keys_of(list)?;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes()).into_owned().collect();
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for k in keys {
        if let Some((_, v)) = pairs.iter().find(|(pk, v)| pk == k && !v.trim().is_empty()) {
            out.append_pair(k, v);
        }
    }
    Ok(out.finish())
}

fn user_of(actor: &Actor) -> ServiceResult<obhut_core::ids::UserId> {
    actor.user_id.ok_or_else(|| ServiceError::field("name", "only a signed-in user keeps views"))
}

/// The actor's views of `list`.
pub async fn list(app: &App, actor: &Actor, list: &str) -> ServiceResult<Vec<SavedView>> {
    keys_of(list)?;
    let Some(user) = actor.user_id else { return Ok(vec![]) };
    let mut conn = app.conn().await?;
    Ok(repo::list(&mut conn, &app.store.crypto, user, list).await?)
}

/// Saves the current filters of `list` under `name`.
pub async fn save(app: &App, actor: &Actor, list: &str, name: &str, query: &str) -> ServiceResult<SavedView> {
    let user = user_of(actor)?;
    let query = normalize(list, query)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(ServiceError::field("name", "is required"));
    }
    if name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(ServiceError::field("name", "must be at most 60 characters"));
    }
    let mut conn = app.conn().await?;
    let existing = repo::list(&mut conn, &app.store.crypto, user, list).await?;
    drop(conn);
    if existing.iter().any(|v| v.name == name) {
        return Err(ServiceError::field("name", "a view with this name exists"));
    }
    if existing.len() >= MAX_PER_LIST {
        return Err(ServiceError::field("name", format!("at most {MAX_PER_LIST} views per list")));
    }
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let id = repo::insert(&mut w.tx, &app.store.crypto, user, list, name, &query, now).await?;
    w.record(&[audit_entry(actor, "view.save", "saved_view", &id, None, vec![format!("list={list}")])]);
    w.commit(app).await?;
    Ok(SavedView { id, name: name.to_string(), query })
}

/// Deletes one of the actor's views.
pub async fn delete(app: &App, actor: &Actor, id: &str) -> ServiceResult<()> {
    let user = user_of(actor)?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    if !repo::delete(&mut w.tx, user, id).await? {
        return Err(ServiceError::NotFound("view"));
    }
    w.record(&[audit_entry(actor, "view.delete", "saved_view", id, None, vec![])]);
    w.commit(app).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_keeps_its_lists_filters_only() {
        assert_eq!(normalize("contacts", "?page=3&tag=vip&q=M%C3%BCller&flash=saved&sort=name").ok().as_deref(), Some("q=M%C3%BCller&tag=vip&sort=name"));
        assert_eq!(normalize("tickets", "status=&owner=me").ok().as_deref(), Some("owner=me"));
        assert!(normalize("secrets", "").is_err());
    }
}
