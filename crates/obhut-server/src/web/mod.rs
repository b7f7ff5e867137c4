//! The web UI: server-rendered HTML in German and English, forms that work without
//! JavaScript, CSRF tokens on every POST, and the same service functions the JSON API calls.
//!
//! Handlers parse form fields into the core input types and call `services`; authorization
//! is the services' business (a guest only sees fewer buttons, for convenience). Error pages
//! never echo personal data, and nothing here logs any.

mod auth;
mod common;
mod consent;
mod consent_public;
mod contacts;
mod deals;
mod dsr_report;
pub(crate) mod fmt;
pub(crate) mod i18n;
mod organizations;
mod privacy;
mod privacy_gate;
mod privacy_requests;
mod retention;
mod rights;
mod session;
mod tickets;
mod users;

use crate::app::App;
use crate::error::ServiceError;
use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use obhut_core::ValidationErrors;

pub use i18n::{Lang, Tr};
pub use session::{sanitize_next, Posted, Web};

pub fn router() -> Router<App> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/contacts") }))
        .route("/static/app.css", get(stylesheet))
        .route("/static/favicon.svg", get(favicon))
        .route("/consent/confirm/{token}", get(consent_public::confirm_page).post(consent_public::confirm))
        .route("/consent/subscribe", get(consent_public::subscribe_page).post(consent_public::subscribe))
        .route("/consent/unsubscribe/{token}", get(consent_public::unsubscribe_page).post(consent_public::unsubscribe))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/setup", get(auth::setup_page).post(auth::setup))
        .route("/settings", get(auth::settings_page))
        .route("/settings/language", post(auth::set_language))
        .route("/settings/password", post(auth::change_password))
        .route("/settings/users", get(users::accounts_page))
        .route("/settings/users/password", post(users::reset_password))
        .route("/settings/users/tokens", post(users::create_token))
        .route("/settings/users/{username}/disable", post(users::disable_account))
        .route("/settings/users/{username}/enable", post(users::enable_account))
        .route("/settings/tokens/{id}/revoke", post(users::revoke_token))
        .route("/contacts", get(contacts::contact_list).post(contacts::create_contact))
        .route("/contacts/new", get(contacts::new_contact_page))
        .route("/contacts/{id}", get(contacts::contact_page))
        .route("/contacts/{id}/edit", get(contacts::edit_contact_page).post(contacts::update_contact))
        .route("/contacts/{id}/delete", get(contacts::delete_contact_page).post(contacts::delete_contact))
        .route("/contacts/{id}/activities", post(contacts::add_contact_activity))
        .route("/contacts/{id}/consents", post(consent::record_consent))
        .route("/contacts/{id}/consents/request", post(consent::request_consent))
        .route("/contacts/{id}/consents/withdraw", post(consent::withdraw_consent))
        .route("/contacts/{id}/consents/receipt", get(consent::consent_receipt))
        .route("/contacts/{id}/access-report", get(dsr_report::access_report_page))
        .route("/contacts/{id}/access-report.pdf", get(dsr_report::access_report_pdf))
        .route("/contacts/{id}/portability.zip", get(dsr_report::portability_zip))
        .route("/contacts/{id}/restriction", get(rights::restriction).post(rights::restrict))
        .route("/contacts/{id}/restriction/lift", post(rights::lift))
        .route("/contacts/{id}/erase", get(rights::erase_confirm).post(rights::erase))
        .route("/contacts/{id}/rectify", get(rights::rectify))
        .route("/activities/{id}/delete", post(common::delete_activity))
        .route("/organizations", get(organizations::organization_list).post(organizations::create_organization))
        .route("/organizations/new", get(organizations::new_organization_page))
        .route("/organizations/{id}", get(organizations::organization_page))
        .route("/organizations/{id}/edit", get(organizations::edit_organization_page).post(organizations::update_organization))
        .route("/organizations/{id}/delete", get(organizations::delete_organization_page).post(organizations::delete_organization))
        .route("/organizations/{id}/activities", post(organizations::add_organization_activity))
        .route("/deals", get(deals::pipeline_board).post(deals::create_deal))
        .route("/deals/new", get(deals::new_deal_page))
        .route("/deals/stages", get(deals::stages_page).post(deals::create_stage))
        .route("/deals/stages/{id}", post(deals::update_stage))
        .route("/deals/stages/{id}/delete", post(deals::delete_stage))
        .route("/deals/{id}", get(deals::deal_page))
        .route("/deals/{id}/edit", get(deals::edit_deal_page).post(deals::update_deal))
        .route("/deals/{id}/delete", get(deals::delete_deal_page).post(deals::delete_deal))
        .route("/deals/{id}/stage", post(deals::move_deal))
        .route("/deals/{id}/activities", post(deals::add_deal_activity))
        .route("/tickets", get(tickets::ticket_list).post(tickets::create_ticket))
        .route("/tickets/new", get(tickets::new_ticket_page))
        .route("/tickets/{id}", get(tickets::ticket_page))
        .route("/tickets/{id}/status", post(tickets::set_ticket_status))
        .route("/tickets/{id}/edit", get(tickets::edit_ticket_page).post(tickets::update_ticket))
        .route("/tickets/{id}/delete", get(tickets::delete_ticket_page).post(tickets::delete_ticket))
        .route("/privacy", get(privacy::privacy_overview))
        .route("/privacy/purposes", get(privacy::purpose_list))
        .route("/privacy/purposes/new", get(privacy::new_purpose_page).post(privacy::create_purpose))
        .route("/privacy/purposes/{key}", get(privacy::purpose_page))
        .route("/privacy/purposes/{key}/edit", get(privacy::edit_purpose_page).post(privacy::update_purpose))
        .route("/privacy/controller", get(privacy::controller_page).post(privacy::update_controller))
        .route("/privacy/ropa", get(privacy::ropa_page))
        .route("/privacy/ropa.md", get(privacy::ropa_markdown))
        .route("/privacy/ropa.html", get(privacy::ropa_html))
        .route("/privacy/ropa.json", get(privacy::ropa_json))
        .route("/privacy/audit", get(privacy::audit_browser))
        .route("/privacy/consent", get(consent::consent_overview))
        .route("/privacy/consent/review", post(consent::review_consents))
        .route("/privacy/consent/notices", post(consent::save_notice))
        .route("/privacy/policies", get(privacy_gate::policies_page).post(privacy_gate::post_policies))
        .route("/privacy/processors", get(privacy_gate::processor_list))
        .route("/privacy/processors/new", get(privacy_gate::new_processor_page).post(privacy_gate::create_processor))
        .route("/privacy/processors/{key}/edit", get(privacy_gate::edit_processor_page).post(privacy_gate::update_processor))
        .route("/privacy/fields", get(privacy_gate::catalog_page))
        .route("/privacy/fields/lint", post(privacy_gate::run_lint))
        .route("/privacy/users", get(privacy_gate::user_list))
        .route("/privacy/users/{username}/edit", get(privacy_gate::edit_access_page).post(privacy_gate::update_access))
        .route("/privacy/retention", get(retention::retention_page))
        .route("/privacy/retention/run", post(retention::run))
        .route("/privacy/retention/holds", post(retention::place_hold))
        .route("/privacy/retention/holds/{id}/release", post(retention::release_hold))
        .route("/privacy/requests", get(privacy_requests::request_list).post(privacy_requests::open_request))
        .route("/privacy/requests/{id}", get(privacy_requests::request_page))
        .route("/privacy/requests/{id}/identity", post(privacy_requests::verify_request))
        .route("/privacy/requests/{id}/identity/code", post(privacy_requests::send_code_request))
        .route("/privacy/requests/{id}/extension", post(privacy_requests::extend_request))
        .route("/privacy/requests/{id}/close", post(privacy_requests::close_request))
        .route("/privacy/requests/{id}/erasure", post(privacy_requests::erase_request))
        .route("/privacy/requests/{id}/rectification", post(privacy_requests::rectify_request))
        .route("/privacy/notifications", get(rights::notifications))
        .route("/privacy/notifications/{id}/done", post(rights::notification_done))
        .fallback(page_not_found)
}

/// Unknown paths: the 404 page, with the navigation when signed in.
async fn page_not_found(axum::extract::State(app): axum::extract::State<App>, req: axum::extract::Request) -> Response {
    use axum::extract::FromRequestParts;
    let (mut parts, _) = req.into_parts();
    let ctx = match Web::from_request_parts(&mut parts, &app).await {
        Ok(web) => web.ctx(""),
        Err(_) => Ctx::anonymous(session::browser_lang(&parts), String::new(), None),
    };
    error_page(ctx, StatusCode::NOT_FOUND, "error.page_not_found", None)
}

async fn stylesheet() -> Response {
    static_asset("text/css; charset=utf-8", include_str!("../../static/app.css"))
}

async fn favicon() -> Response {
    static_asset("image/svg+xml", include_str!("../../static/favicon.svg"))
}

fn static_asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

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
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub from: i64,
    pub to: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

pub const PAGE_SIZE: i64 = 50;

impl Pager {
    /// `base` is the list's URL with its other query parameters, ending in `?` or `&`.
    pub fn new(base: &str, page: i64, shown: usize, total: i64) -> Self {
        let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
        let from = if shown == 0 { 0 } else { (page - 1) * PAGE_SIZE + 1 };
        let to = (page - 1) * PAGE_SIZE + shown as i64;
        Self {
            page,
            pages,
            total,
            from,
            to,
            prev: (page > 1).then(|| format!("{base}page={}", page - 1)),
            next: (page < pages).then(|| format!("{base}page={}", page + 1)),
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
            s.push_str(&format!("{k}={}&", session::encode(v)));
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
fn service_error_page(ctx: Ctx, e: ServiceError) -> Response {
    let tr = ctx.tr;
    match e {
        ServiceError::NotFound(what) => {
            error_page(ctx, StatusCode::NOT_FOUND, "error.not_found", Some(tr.f("error.not_found_detail", tr.v("record", what))))
        }
        ServiceError::Gone(_) => error_page(ctx, StatusCode::GONE, "error.gone", Some(tr.t("error.gone_detail").to_string())),
        ServiceError::Forbidden(msg) => error_page(ctx, StatusCode::FORBIDDEN, "error.forbidden", Some(msg)),
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

impl Web {
    /// The page for a service error, in the layout of the signed-in user.
    pub fn fail(&self, e: ServiceError) -> Response {
        service_error_page(self.ctx(""), e)
    }

    pub fn not_found(&self) -> Response {
        self.fail(ServiceError::NotFound("record"))
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

#[cfg(test)]
mod tests {
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
        assert_eq!(e.get("email2"), Some(i18n::t(Lang::De, "val.email")));
        assert!(e.get("tags").is_some());
        assert_eq!(e.other, vec!["no user with this id".to_string()]);
    }
}
