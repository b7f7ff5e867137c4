//! The HTTP server: routes, operational endpoints, middleware and graceful shutdown.

use crate::app::App;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::time::{Duration, Instant};
use tower_http::limit::RequestBodyLimitLayer;

/// Largest request body: JSON bodies and form posts. Imports through the API get more.
pub const BODY_LIMIT: usize = 256 * 1024;
pub const IMPORT_LIMIT: usize = 64 * 1024 * 1024;

pub fn router(app: App) -> Router {
    let import = Router::new()
        .route("/api/v1/contacts/import", axum::routing::post(crate::api::contacts::import_contacts))
        .layer(axum::extract::DefaultBodyLimit::max(IMPORT_LIMIT))
        .layer(RequestBodyLimitLayer::new(IMPORT_LIMIT));
    let main = crate::api::router()
        .merge(crate::web::router())
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(import)
        .merge(main)
        // A panic (a bug) answers 500 with a problem body instead of dropping the connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
            crate::api::problem::Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", None).into_response()
        }))
        .layer(axum::middleware::from_fn(observe))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(120)))
        .with_state(app)
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers and the schema is in place.
async fn readyz(State(app): State<App>) -> Response {
    match app.store.ready().await {
        Ok(()) => "ready".into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

async fn metrics(State(app): State<App>) -> Response {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], app.metrics.render()).into_response()
}

/// Logs and counts each request by its route pattern (never the path itself, which can hold
/// a search term), and sets the security headers of every response. One layer for both: each
/// layer costs every request.
async fn observe(req: Request, next: Next) -> Response {
    use axum::http::{header, HeaderValue};
    let start = Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let mut resp = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let status = resp.status().as_u16();
    crate::metrics::record_request(method.as_str(), route, status, secs);
    tracing::debug!(%method, %route, status, ms = secs * 1000.0, "request");
    let h = resp.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    resp
}

/// Serves until Ctrl-C or SIGTERM, then lets running requests finish.
pub async fn serve(app: App, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let router = router(app.clone());
    let outbox = crate::services::mail::spawn_worker(app.clone());
    let cleanup = tokio::spawn(housekeeping(app));
    let r = axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await;
    cleanup.abort();
    outbox.abort();
    r
}

async fn housekeeping(app: App) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    let mut n: u64 = 0;
    loop {
        tick.tick().await;
        app.metrics.upkeep();
        // Fold back what other writers left in the WAL.
        if app.store.backend == obhut_store::Backend::Sqlite {
            let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&app.store.pool).await;
        }
        if n.is_multiple_of(720) {
            if let Ok(mut c) = app.store.pool.acquire().await {
                let _ = obhut_store::users::delete_expired_sessions(&mut c, app.now_ms()).await;
            }
            // Deadlines of data subject requests: reminders and overdue flags (hourly, each once).
            match crate::services::dsr::remind(&app).await {
                Ok((0, 0)) => {}
                Ok((soon, overdue)) => tracing::info!(soon, overdue, "data subject request deadlines"),
                Err(e) => tracing::warn!(error = %e, "checking the deadlines of data subject requests"),
            }
            // Read events whose retention ended lose their details (hourly).
            match crate::services::audit::apply_read_retention(&app, &crate::gate::Actor::job("read-retention")).await {
                Ok(0) => {}
                Ok(k) => tracing::info!(emptied = k, "read events past their retention emptied"),
                Err(e) => tracing::warn!(error = %e, "applying the retention of read events failed"),
            }
            // The retention sweep: once a day, the first hour it has not run yet.
            let sweep = if app.config.retention_sweep { crate::services::retention::daily(&app).await } else { Ok(None) };
            match sweep {
                Ok(None) => {}
                Ok(Some(r)) => tracing::info!(
                    erased = r.counts.contacts_erased,
                    anonymized = r.counts.contacts_anonymized,
                    restricted = r.counts.contacts_restricted,
                    records = r.counts.records_erased + r.counts.records_anonymized,
                    held = r.counts.held,
                    "retention sweep"
                ),
                Err(e) => tracing::warn!(error = %e, "the retention sweep failed"),
            }
            match crate::services::consent::purge_unconfirmed_signups(&app).await {
                Ok(0) => {}
                Ok(k) => tracing::info!(erased = k, "unconfirmed sign-ups erased"),
                Err(e) => tracing::warn!(error = %e, "erasing unconfirmed sign-ups failed"),
            }
        }
        if n.is_multiple_of(12) {
            // Each minute: the failed sign-ins of closed minutes into the audit chain, old
            // throttle counts out, and the file transport's mails past their time removed.
            if let Err(e) = crate::throttle::audit_closed_minutes(&app).await {
                tracing::warn!(error = %e, "auditing failed sign-ins");
            }
            if let Err(e) = crate::throttle::upkeep(&app).await {
                tracing::warn!(error = %e, "forgetting old sign-in failures");
            }
            match crate::services::mail::remove_delivered_files(&app).await {
                Ok(0) => {}
                Ok(k) => tracing::info!(removed = k, "delivered mail files removed from the outbox"),
                Err(e) => tracing::warn!(error = %e, "removing delivered mail files"),
            }
        }
        n += 1;
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing running requests");
}
