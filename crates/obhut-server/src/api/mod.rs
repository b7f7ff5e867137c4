//! The JSON API under `/api/v1`: bearer tokens, RFC 9457 problem responses naming the
//! field, unknown fields rejected, an OpenAPI 3.1 document generated from this code.
//!
//! One module per resource, each with its `router()`: an `OpenApiRouter` whose routes carry
//! their documented operations, so the routes are the document and cannot drift apart.

pub mod activities;
pub mod audit;
pub mod consent;
pub mod contacts;
pub mod deals;
pub mod dsr;
pub mod dsr_report;
pub mod export;
pub mod extract;
pub mod openapi;
pub mod organizations;
pub mod policies;
pub mod privacy;
pub mod problem;
pub mod processors;
pub mod purposes;
pub mod retention;
pub mod stages;
pub mod tickets;
pub mod users;

use crate::app::App;
use axum::routing::get;
use axum::Router;
use utoipa_axum::router::OpenApiRouter;

/// `/api/openapi.json` and `/api/v1`. The contact import is mounted by `server::router`,
/// with its own body limit.
pub fn router() -> Router<App> {
    let (v1, _) = v1().split_for_parts();
    Router::new()
        .route("/api/openapi.json", get(openapi::openapi_json))
        .nest("/api/v1", v1.fallback(problem::not_found).method_not_allowed_fallback(problem::method_not_allowed))
}

/// Every resource's routes, relative to `/api/v1`.
pub(crate) fn v1() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .merge(users::router())
        .merge(contacts::router())
        .merge(consent::router())
        .merge(dsr::router())
        .merge(dsr_report::router())
        .merge(retention::router())
        .merge(organizations::router())
        .merge(activities::router())
        .merge(deals::router())
        .merge(stages::router())
        .merge(tickets::router())
        .merge(audit::router())
        .merge(purposes::router())
        .merge(policies::router())
        .merge(processors::router())
        .merge(privacy::router())
}

/// RFC 3339 for a stored millisecond time.
pub fn rfc3339(ms: i64) -> String {
    obhut_core::clock::from_millis(ms).format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
