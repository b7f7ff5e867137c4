//! What every page shares: the layout context, form errors, optional fields, paging,
//! rendering, the error pages and the redirect after a POST.

use crate::error::ServiceError;
use crate::i18n::{Lang, Tr};
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use obhut_core::ValidationErrors;
use obhut_store::contacts::ContactRecord;

/// What the layout needs on every page.
pub struct Ctx {
    pub tr: Tr,
    /// The signed-in user's name; `None` on the login and setup pages.
    pub user: Option<String>,
    pub csrf: String,
    /// The active entry of the top navigation.
    pub nav: &'static str,
    pub flash: Option<String>,
    /// A guest: buttons that would only end in "not allowed" are left out.
    pub read_only: bool,
    /// The gate lets this user see the privacy pages (the "Datenschutz" menu entry).
    pub privacy: bool,
}

impl Ctx {
    pub fn anonymous(lang: Lang, csrf: String, flash: Option<String>) -> Self {
        Self { tr: Tr::new(lang), user: None, csrf, nav: "", flash, read_only: true, privacy: false }
    }
}

/// The problems with a submitted form, translated and keyed by the form's own field names.
#[derive(Debug, Default)]
pub struct Errs {
    fields: Vec<(String, String)>,
    /// The first field in form order with a problem: it gets the focus.
    first: Option<String>,
    /// Problems that belong to no field shown in the form.
    pub other: Vec<String>,
}

impl Errs {
    pub fn none() -> Self {
        Self::default()
    }

    /// `remap` renames the domain's field paths (`emails[1].address`) to form fields
    /// (`email2`); `known` lists the fields the form shows.
    pub fn from_validation(tr: Tr, e: &ValidationErrors, remap: &[(String, &'static str)], known: &[&str]) -> Self {
        let mut out = Self::none();
        for fe in &e.0 {
            let mapped = remap.iter().find(|(from, _)| *from == fe.field).map(|(_, to)| (*to).to_string());
            let field = mapped.unwrap_or_else(|| match fe.field.split(['[', '.']).next() {
                Some("tags") => "tags".to_string(),
                _ => fe.field.clone(),
            });
            let msg = tr.message(&fe.message);
            if known.contains(&field.as_str()) {
                out.add(&field, msg);
            } else {
                out.other.push(msg);
            }
        }
        out.first = known.iter().find(|k| out.get(k).is_some()).map(|k| k.to_string());
        out
    }

    pub fn add(&mut self, field: &str, msg: impl Into<String>) {
        if self.first.is_none() {
            self.first = Some(field.to_string());
        }
        if self.get(field).is_none() {
            self.fields.push((field.to_string(), msg.into()));
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    /// Whether `field` should take the focus: the first field with a problem, or, when
    /// there is none, the field the form starts at.
    pub fn focus(&self, field: &str, by_default: impl std::borrow::Borrow<bool>) -> bool {
        match &self.first {
            Some(f) => f == field,
            None => *by_default.borrow(),
        }
    }

    pub fn any(&self) -> bool {
        !self.fields.is_empty() || !self.other.is_empty()
    }
}

/// One `<option>` of a select.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
}

impl Opt {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Self {
        Self { value: value.into(), label: label.into() }
    }
}

/// Paging links for a list of `total` rows, `PAGE_SIZE` at a time.
#[derive(Debug)]
pub struct Pager {
    pub pages: i64,
    pub total: i64,
    pub from: i64,
    pub to: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// The numbered links: the first and last page and two on each side of this one; `None`
    /// stands for the gap between.
    pub links: Vec<Option<PageLink>>,
}

/// One numbered link of the pager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLink {
    pub number: i64,
    pub href: String,
    pub current: bool,
}

pub const PAGE_SIZE: i64 = 50;

impl Pager {
    /// `base` is the list's URL with its other query parameters, ending in `?` or `&`.
    pub fn new(base: &str, page: i64, shown: usize, total: i64) -> Self {
        let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
        let from = if shown == 0 { 0 } else { (page - 1) * PAGE_SIZE + 1 };
        let to = (page - 1) * PAGE_SIZE + shown as i64;
        Self {
            pages,
            total,
            from,
            to,
            prev: (page > 1).then(|| format!("{base}page={}", page - 1)),
            next: (page < pages).then(|| format!("{base}page={}", page + 1)),
            links: Self::links(base, page, pages),
        }
    }

    fn links(base: &str, page: i64, pages: i64) -> Vec<Option<PageLink>> {
        if pages <= 1 {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut last = 0;
        for n in 1..=pages {
            if n == 1 || n == pages || (n - page).abs() <= 2 {
                if n > last + 1 {
                    out.push(None);
                }
                out.push(Some(PageLink { number: n, href: format!("{base}page={n}"), current: n == page }));
                last = n;
            }
        }
        out
    }
}

/// A sortable column's header: the link that sorts the whole list by it (ascending, or the
/// other way when it already sorts so), and its `aria-sort`.
#[derive(Debug, Clone)]
pub struct SortHead {
    pub label: String,
    pub href: String,
    pub aria: &'static str,
}

impl SortHead {
    /// `base` is the list's URL without its sort, ending in `?` or `&`; `key` sorts ascending,
    /// `-key` descending; `desc_first` when a first click should sort descending (dates).
    pub fn new(base: &str, current: &str, key: &str, label: String, desc_first: bool) -> Self {
        let desc = format!("-{key}");
        let (aria, next) = if current == key {
            ("ascending", desc.clone())
        } else if current == desc {
            ("descending", key.to_string())
        } else {
            ("none", if desc_first { desc.clone() } else { key.to_string() })
        };
        Self { label, href: format!("{base}sort={}", encode(&next)), aria }
    }

    /// The arrow shown beside a sorted column's label.
    pub fn arrow(&self) -> &'static str {
        match self.aria {
            "ascending" => " ▲",
            "descending" => " ▼",
            _ => "",
        }
    }
}

/// The 1-based page number of a `page` query parameter.
pub fn page_number(p: Option<&str>) -> i64 {
    p.and_then(|p| p.trim().parse::<i64>().ok()).unwrap_or(1).clamp(1, 100_000)
}

/// Builds `path?k=v&…` from the non-empty pairs; ends in `?` or `&` so a `page=` can follow.
pub fn list_url(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut s = format!("{path}?");
    for (k, v) in pairs {
        if !v.is_empty() {
            s.push_str(&format!("{k}={}&", encode(v)));
        }
    }
    s
}

/// `Some(trimmed)` for a non-blank value.
pub fn non_empty(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

pub fn render(t: &impl Template) -> Response {
    render_status(StatusCode::OK, t)
}

pub fn render_status(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering a template");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: Ctx,
    status: u16,
    title: String,
    detail: Option<String>,
}

/// An error page with the layout of `ctx`; `detail` must hold no personal data.
pub fn error_page(ctx: Ctx, status: StatusCode, title_key: &str, detail: Option<String>) -> Response {
    let title = ctx.tr.t(title_key).to_string();
    render_status(status, &ErrorPage { ctx, status: status.as_u16(), title, detail })
}

pub fn csrf_failed_page(lang: Lang) -> Response {
    let tr = Tr::new(lang);
    error_page(Ctx::anonymous(lang, String::new(), None), StatusCode::FORBIDDEN, "error.csrf", Some(tr.t("error.csrf_detail").to_string()))
}

/// An error before anyone is signed in.
pub fn anonymous_error(lang: Lang, e: ServiceError) -> Response {
    service_error_page(Ctx::anonymous(lang, String::new(), None), e)
}

/// The page for a service error. Messages of `Forbidden` name a role and an action, never a person.
pub(super) fn service_error_page(ctx: Ctx, e: ServiceError) -> Response {
    let tr = ctx.tr;
    match e {
        ServiceError::NotFound(what) => {
            error_page(ctx, StatusCode::NOT_FOUND, "error.not_found", Some(tr.f("error.not_found_detail", tr.v("record", what))))
        }
        ServiceError::Gone(_) => error_page(ctx, StatusCode::GONE, "error.gone", Some(tr.t("error.gone_detail").to_string())),
        ServiceError::Forbidden(msg) => error_page(ctx, StatusCode::FORBIDDEN, "error.forbidden", Some(tr.message(&msg))),
        ServiceError::Restricted(_) => {
            error_page(ctx, StatusCode::FORBIDDEN, "rights.restricted_title", Some(tr.t("rights.restricted_detail").to_string()))
        }
        ServiceError::Unauthorized => Redirect::to("/login").into_response(),
        ServiceError::Validation(v) => {
            let detail = v.0.iter().map(|fe| tr.message(&fe.message)).collect::<Vec<_>>().join(" · ");
            error_page(ctx, StatusCode::BAD_REQUEST, "error.invalid", Some(detail))
        }
        ServiceError::Conflict(_) => {
            error_page(ctx, StatusCode::CONFLICT, "error.conflict", Some(tr.t("error.conflict_detail").to_string()))
        }
        ServiceError::RateLimited(secs) => {
            let mut r = error_page(ctx, StatusCode::TOO_MANY_REQUESTS, "error.rate_limited", Some(tr.f("login.rate_limited", secs)));
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
            r
        }
        ServiceError::Unavailable => error_page(ctx, StatusCode::SERVICE_UNAVAILABLE, "error.unavailable", None),
        ServiceError::Internal(msg) => {
            // Internal messages carry ids and SQL errors, never personal values.
            tracing::error!(error = %msg, "internal error in the web UI");
            error_page(ctx, StatusCode::INTERNAL_SERVER_ERROR, "error.internal", None)
        }
    }
}

/// A generic "really delete?" page posting to `action`.
#[derive(Template)]
#[template(path = "confirm_delete.html")]
pub struct ConfirmDelete {
    pub ctx: Ctx,
    pub heading: String,
    pub question: String,
    pub action: String,
    pub cancel: String,
}

/// Redirect after a successful POST (303, so the browser follows with GET).
pub fn see_other(url: &str) -> Response {
    Redirect::to(url).into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
pub(super) struct LoginPage {
    pub ctx: Ctx,
    pub next: String,
    pub username: String,
    pub error: Option<String>,
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A stored `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<time::Date> {
    time::Date::parse(s.trim(), &time::format_description::well_known::Iso8601::DATE).ok()
}

/// A stored `YYYY-MM-DD` in the user's format; other text as it is.
pub fn show_date(tr: Tr, s: &str) -> String {
    parse_date(s).map(|d| crate::fmt::date(tr.lang, d)).unwrap_or_else(|| s.to_string())
}

/// A contact's name for a page, or "unnamed".
pub fn display_name(c: &ContactRecord, tr: Tr) -> String {
    let n = c.personal.display_name();
    if n.is_empty() {
        tr.t("contacts.unnamed").to_string()
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_pager_numbers_the_first_last_and_nearby_pages() {
        let p = Pager::new("/contacts?", 7, 50, 2002);
        assert_eq!((p.pages, p.from, p.to), (41, 301, 350));
        let numbers: Vec<Option<i64>> = p.links.iter().map(|l| l.as_ref().map(|l| l.number)).collect();
        assert_eq!(numbers, vec![Some(1), None, Some(5), Some(6), Some(7), Some(8), Some(9), None, Some(41)]);
        assert!(p.links.iter().flatten().any(|l| l.current && l.number == 7 && l.href == "/contacts?page=7"));
        let near: Vec<Option<i64>> = Pager::new("/x?", 2, 50, 200).links.iter().map(|l| l.as_ref().map(|l| l.number)).collect();
        assert_eq!(near, vec![Some(1), Some(2), Some(3), Some(4)]);
        assert!(Pager::new("/x?", 1, 3, 3).links.is_empty());
    }

    use super::*;

    #[test]
    fn pager_counts_pages_and_links() {
        let p = Pager::new("/contacts?q=x&", 2, 50, 120);
        assert_eq!((p.pages, p.from, p.to), (3, 51, 100));
        assert_eq!(p.prev.as_deref(), Some("/contacts?q=x&page=1"));
        assert_eq!(p.next.as_deref(), Some("/contacts?q=x&page=3"));
        let empty = Pager::new("/contacts?", 1, 0, 0);
        assert_eq!((empty.pages, empty.from, empty.to, empty.prev, empty.next), (1, 0, 0, None, None));
    }

    #[test]
    fn sort_heads_toggle_and_say_their_state() {
        let h = SortHead::new("/deals?q=x&", "", "amount", "Betrag".into(), false);
        assert_eq!((h.aria, h.href.as_str(), h.arrow()), ("none", "/deals?q=x&sort=amount", ""));
        let h = SortHead::new("/deals?", "amount", "amount", "Betrag".into(), false);
        assert_eq!((h.aria, h.href.as_str(), h.arrow()), ("ascending", "/deals?sort=-amount", " ▲"));
        let h = SortHead::new("/deals?", "-amount", "amount", "Betrag".into(), false);
        assert_eq!((h.aria, h.href.as_str()), ("descending", "/deals?sort=amount"));
        let h = SortHead::new("/deals?", "stage", "updated", "Geändert".into(), true);
        assert_eq!((h.aria, h.href.as_str()), ("none", "/deals?sort=-updated"));
    }

    #[test]
    fn list_urls_skip_empty_values_and_encode() {
        assert_eq!(list_url("/contacts", &[("q", "Müller"), ("kind", ""), ("tag", "vip")]), "/contacts?q=M%C3%BCller&tag=vip&");
    }

    #[test]
    fn form_errors_are_renamed_translated_and_split() {
        let mut v = ValidationErrors::new();
        v.add("emails[1].address", "'x' is not a valid email address");
        v.add("tags[2]", "a tag has 1-40 letters, digits, spaces, '-', '_' or '.'");
        v.add("owner_id", "no user with this id");
        let remap = vec![("emails[1].address".to_string(), "email2")];
        let e = Errs::from_validation(Tr::new(Lang::De), &v, &remap, &["email2", "tags"]);
        assert_eq!(e.get("email2"), Some(crate::i18n::t(Lang::De, "val.email")));
        assert!(e.get("tags").is_some());
        assert_eq!(e.other, vec!["no user with this id".to_string()]);
    }
}
