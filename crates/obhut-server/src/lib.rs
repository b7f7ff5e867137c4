//! Obhut's server: the services every surface calls, the privacy gate they all pass
//! through, the JSON API, the web UI, and the jobs.
//!
//! Layering: `api` and `web` parse requests into domain types and call `services`; services
//! ask the [`gate`] before touching personal data and write through `obhut-store`. Neither
//! surface holds business rules, and the CLI calls the same services.

pub mod access_log;
pub mod api;
pub mod app;
pub mod auth;
pub mod client;
pub mod config;
pub mod error;
pub mod fmt;
pub mod gate;
pub mod i18n;
pub mod limiter;
pub mod metrics;
pub mod server;
pub mod services;
pub mod startup;
pub mod throttle;
pub mod web;

pub use app::App;
pub use config::Config;
pub use error::ServiceError;
pub use gate::Actor;
