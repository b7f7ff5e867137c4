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
pub mod restriction;
pub mod retention;
mod routes;
pub mod stages;
pub mod tasks;
pub mod ticket_messages;
pub mod tickets;
pub mod users;

use crate::app::App;
use axum::routing::get;
use axum::Router;

/// `/api/openapi.json` and `/api/v1`. The contact import is mounted by `server::router`,
/// with its own body limit.
pub fn router() -> Router<App> {
    let (v1, _) = routes::v1().split_for_parts();
    Router::new()
        .route("/api/openapi.json", get(openapi::openapi_json))
        .nest("/api/v1", v1.fallback(problem::not_found).method_not_allowed_fallback(problem::method_not_allowed))
}
