//! The web UI: server-rendered HTML in German and English, forms that work without
//! JavaScript, CSRF tokens on every POST, and the same service functions the JSON API calls.
//!
//! Handlers parse form fields into the core input types and call `services`; authorization
//! is the services' business (a guest only sees fewer buttons, for convenience). Error pages
//! never echo personal data, and nothing here logs any.

mod activities;
mod auth;
mod catalog;
mod common;
mod contact_bulk;
mod contact_files;
mod consent;
mod consent_labels;
mod consent_public;
mod consent_section;
mod contact_list;
mod contacts;
mod deals;
mod dsr_report;
mod erasure;
mod failure;
mod my_day;
mod organizations;
mod page;
mod pipeline;
pub(crate) mod picker;
mod policies;
mod privacy;
mod privacy_requests;
mod processors;
mod purposes;
mod recipients;
mod restriction;
mod retention;
mod rights;
mod session;
mod tasks;
mod ticket_conversation;
mod tickets;
mod user_access;
mod users;
mod views;

use crate::app::App;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

pub use crate::i18n::{Lang, Tr};
use page::{error_page, Ctx};
pub use session::{sanitize_next, Posted, Web};

pub fn router() -> Router<App> {
    Router::new()
        .route("/", get(my_day::my_day))
        .route("/pick/contacts", get(picker::pick_contacts))
        .route("/pick/organizations", get(picker::pick_organizations))
        .route("/tasks", get(tasks::task_list).post(tasks::create_task))
        .route("/tasks/new", get(tasks::new_task_page))
        .route("/tasks/{id}", get(tasks::task_page).post(tasks::update_task))
        .route("/tasks/{id}/done", post(tasks::set_done))
        .route("/tasks/{id}/delete", post(tasks::delete_task))
        .route("/static/app.css", get(stylesheet))
        .route("/static/app.js", get(script))
        .route("/static/favicon.svg", get(favicon))
        .route("/consent/confirm/{token}", get(consent_public::confirm_page).post(consent_public::confirm))
        .route("/consent/subscribe", get(consent_public::subscribe_page).post(consent_public::subscribe))
        .route("/consent/unsubscribe/{token}", get(consent_public::unsubscribe_page).post(consent_public::unsubscribe))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/setup", get(auth::setup_page).post(auth::setup))
        .route("/settings", get(auth::settings_page))
        .route("/settings/language", post(auth::set_language))
        .route("/settings/reminders", post(auth::set_reminder_mail))
        .route("/settings/password", post(auth::change_password))
        .route("/settings/users", get(users::accounts_page))
        .route("/settings/users/password", post(users::reset_password))
        .route("/settings/users/tokens", post(users::create_token))
        .route("/settings/users/{username}/disable", post(users::disable_account))
        .route("/settings/users/{username}/enable", post(users::enable_account))
        .route("/settings/tokens/{id}/revoke", post(users::revoke_token))
        .route("/contacts", get(contact_list::contact_list).post(contacts::create_contact))
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
        .route("/contacts/{id}/restriction", get(restriction::restriction).post(restriction::restrict))
        .route("/contacts/{id}/restriction/lift", post(restriction::lift))
        .route("/contacts/{id}/erase", get(erasure::erase_confirm).post(erasure::erase))
        .route("/contacts/{id}/rectify", get(rights::rectify))
        .route("/activities/{id}/delete", post(common::delete_activity))
        .route("/activities/{id}/edit", get(activities::edit_page).post(activities::update))
        .route("/organizations", get(organizations::organization_list).post(organizations::create_organization))
        .route("/organizations/new", get(organizations::new_organization_page))
        .route("/organizations/{id}", get(organizations::organization_page))
        .route("/organizations/{id}/edit", get(organizations::edit_organization_page).post(organizations::update_organization))
        .route("/organizations/{id}/delete", get(organizations::delete_organization_page).post(organizations::delete_organization))
        .route("/organizations/{id}/activities", post(organizations::add_organization_activity))
        .route("/deals", get(pipeline::pipeline_board).post(deals::create_deal))
        .route("/deals/new", get(deals::new_deal_page))
        .route("/deals/stages", get(deals::stages_page).post(deals::create_stage))
        .route("/deals/stages/{id}", post(deals::update_stage))
        .route("/deals/stages/{id}/delete", post(deals::delete_stage))
        .route("/deals/{id}", get(deals::deal_page))
        .route("/deals/{id}/edit", get(deals::edit_deal_page).post(deals::update_deal))
        .route("/deals/{id}/delete", get(deals::delete_deal_page).post(deals::delete_deal))
        .route("/deals/{id}/stage", post(pipeline::move_deal))
        .route("/deals/{id}/activities", post(deals::add_deal_activity))
        .route("/tickets", get(tickets::ticket_list).post(tickets::create_ticket))
        .route("/tickets/new", get(tickets::new_ticket_page))
        .route("/tickets/{id}", get(tickets::ticket_page))
        .route("/tickets/{id}/status", post(tickets::set_ticket_status))
        .route("/contacts/bulk", post(contact_bulk::bulk))
        .route("/contacts/files", get(contact_files::files_page))
        .route("/contacts/import", post(contact_files::upload).layer(axum::extract::DefaultBodyLimit::max(contact_files::MAX_UPLOAD)))
        .route("/contacts/export", post(contact_files::export))
        .route("/views", post(views::save_view))
        .route("/views/{id}/delete", post(views::delete_view))
        .route("/tickets/{id}/messages", post(tickets::post_message))
        .route("/tickets/{id}/edit", get(tickets::edit_ticket_page).post(tickets::update_ticket))
        .route("/tickets/{id}/delete", get(tickets::delete_ticket_page).post(tickets::delete_ticket))
        .route("/privacy", get(privacy::privacy_overview))
        .route("/privacy/purposes", get(purposes::purpose_list))
        .route("/privacy/purposes/new", get(purposes::new_purpose_page).post(purposes::create_purpose))
        .route("/privacy/purposes/{key}", get(purposes::purpose_page))
        .route("/privacy/purposes/{key}/edit", get(purposes::edit_purpose_page).post(purposes::update_purpose))
        .route("/privacy/controller", get(privacy::controller_page).post(privacy::update_controller))
        .route("/privacy/ropa", get(privacy::ropa_page))
        .route("/privacy/ropa.md", get(privacy::ropa_markdown))
        .route("/privacy/ropa.html", get(privacy::ropa_html))
        .route("/privacy/ropa.json", get(privacy::ropa_json))
        .route("/privacy/audit", get(privacy::audit_browser))
        .route("/privacy/consent", get(consent::consent_overview))
        .route("/privacy/consent/review", post(consent::review_consents))
        .route("/privacy/consent/notices", post(consent::save_notice))
        .route("/privacy/policies", get(policies::policies_page).post(policies::post_policies))
        .route("/privacy/processors", get(processors::processor_list))
        .route("/privacy/processors/new", get(processors::new_processor_page).post(processors::create_processor))
        .route("/privacy/processors/{key}/edit", get(processors::edit_processor_page).post(processors::update_processor))
        .route("/privacy/fields", get(catalog::catalog_page))
        .route("/privacy/fields/lint", post(catalog::run_lint))
        .route("/privacy/users", get(user_access::user_list))
        .route("/privacy/users/{username}/edit", get(user_access::edit_access_page).post(user_access::update_access))
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
        .route("/privacy/notifications", get(recipients::notifications))
        .route("/privacy/notifications/{id}/done", post(recipients::notification_done))
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

async fn script() -> Response {
    static_asset("text/javascript; charset=utf-8", include_str!("../../static/app.js"))
}

async fn favicon() -> Response {
    static_asset("image/svg+xml", include_str!("../../static/favicon.svg"))
}

fn static_asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}
