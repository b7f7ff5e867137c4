//! The JSON API under `/api/v1`: bearer tokens, RFC 9457 problem responses naming the
//! field, unknown fields rejected, an OpenAPI 3.1 document generated from this code.

pub mod audit;
pub mod consent;
pub mod contacts;
pub mod dsr;
pub mod dsr_report;
pub mod extract;
pub mod openapi;
pub mod privacy;
pub mod problem;
pub mod records;
pub mod retention;
pub mod users;

use crate::app::App;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<App> {
    Router::new().route("/api/openapi.json", get(openapi::openapi_json)).nest("/api/v1", v1())
}

fn v1() -> Router<App> {
    use axum::routing::{patch, post, put};
    Router::new()
        .route("/me", get(records::me))
        .route("/contacts", get(contacts::list_contacts).post(contacts::create_contact))
        .route("/contacts/export", get(contacts::export_contacts))
        .route("/contacts/{id}", get(contacts::get_contact).patch(contacts::update_contact).delete(contacts::delete_contact))
        .route("/contacts/{id}/activities", get(contacts::list_contact_activities))
        .route("/contacts/{id}/consents", get(consent::overview).post(consent::record))
        .route("/contacts/{id}/consents/request", post(consent::request))
        .route("/contacts/{id}/consents/withdraw", post(consent::withdraw))
        .route("/contacts/{id}/consents/receipt", get(consent::receipt))
        .route("/contacts/{id}/restriction", get(consent::restriction).put(consent::restrict))
        .route("/contacts/{id}/erasure", post(dsr::erase))
        .route("/dsr/cases", get(dsr::list_cases).post(dsr::open_case))
        .route("/dsr/cases/{id}", get(dsr::get_case))
        .route("/dsr/cases/{id}/identity", post(dsr::verify))
        .route("/dsr/cases/{id}/identity/code", post(dsr::send_code))
        .route("/dsr/cases/{id}/extension", post(dsr::extend))
        .route("/dsr/cases/{id}/close", post(dsr::close))
        .route("/retention/rules", get(retention::list_rules))
        .route("/retention/rules/{data_type}", patch(retention::set_rule))
        .route("/retention/run", post(retention::run))
        .route("/retention/due", get(retention::due))
        .route("/retention/holds", get(retention::list_holds).post(retention::place_hold))
        .route("/retention/holds/{id}/release", post(retention::release_hold))
        .route("/retention/pseudonyms/{token}/resolve", post(retention::resolve))
        .route("/dsr/cases/{id}/rectification", post(dsr::rectify))
        .route("/dsr/notifications", get(dsr::list_notifications))
        .route("/dsr/notifications/{id}/done", post(dsr::notification_done))
        .route("/contacts/{id}/access-report", get(dsr_report::access_report))
        .route("/contacts/{id}/portability", get(dsr_report::portability))
        .route("/audiences", get(consent::audience))
        .route("/audiences/export", get(consent::export))
        .route("/consents/review", get(consent::review_queue).post(consent::run_review))
        .route("/consents/statistics", get(consent::statistics))
        .route("/consents/notices", post(consent::save_notice))
        .route("/organizations", get(records::list_organizations).post(records::create_organization))
        .route(
            "/organizations/{id}",
            get(records::get_organization).patch(records::update_organization).delete(records::delete_organization),
        )
        .route("/activities", post(records::create_activity))
        .route("/activities/{id}", get(records::get_activity).delete(records::delete_activity))
        .route("/deals", get(records::list_deals).post(records::create_deal))
        .route("/deals/export", get(records::export_deals))
        .route("/tickets/export", get(records::export_tickets))
        .route("/organizations/export", get(records::export_organizations))
        .route("/deals/{id}", get(records::get_deal).patch(records::update_deal).delete(records::delete_deal))
        .route("/pipeline/stages", get(records::list_stages).post(records::create_stage))
        .route("/pipeline/stages/{id}", patch(records::update_stage).delete(records::delete_stage))
        .route("/tickets", get(records::list_tickets).post(records::create_ticket))
        .route("/tickets/{id}", get(records::get_ticket).patch(records::update_ticket).delete(records::delete_ticket))
        .route("/organizations/{id}/activities", get(records::list_organization_activities))
        .route("/deals/{id}/activities", get(records::list_deal_activities))
        .route("/audit", get(audit::list_audit))
        .route("/audit/verify", get(audit::verify_audit))
        .route("/purposes", get(privacy::list_purposes))
        .route("/purposes/{key}", put(privacy::save_purpose))
        .route("/ropa", get(privacy::ropa))
        .route("/policies", get(privacy::get_policies).put(privacy::save_policies))
        .route("/policies/validate", post(privacy::validate_policies))
        .route("/processors", get(privacy::list_processors))
        .route("/processors/{key}", put(privacy::save_processor))
        .route("/users/{username}/access", put(privacy::set_access))
        .route("/users", get(users::list_users))
        .route("/users/{username}/disable", post(users::disable_user))
        .route("/users/{username}/enable", post(users::enable_user))
        .route("/users/{username}/password", put(users::reset_password))
        .route("/tokens", get(users::list_tokens).post(users::create_token))
        .route("/tokens/{id}", axum::routing::delete(users::revoke_token))
        .route("/privacy/fields", get(privacy::fields))
        .route("/privacy/lint", get(privacy::lint))
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
}

/// RFC 3339 for a stored millisecond time.
pub fn rfc3339(ms: i64) -> String {
    obhut_core::clock::from_millis(ms).format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
