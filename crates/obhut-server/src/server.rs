//! The HTTP server: routes, operational endpoints, middleware, and the serve loop (hyper's
//! HTTP/1 connections with a header-read timeout, a limit on open connections per client,
//! graceful shutdown).

use crate::app::App;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tower_http::limit::RequestBodyLimitLayer;

/// Largest request body: JSON bodies and form posts. Imports through the API get more.
pub const BODY_LIMIT: usize = 256 * 1024;
pub const IMPORT_LIMIT: usize = 64 * 1024 * 1024;

pub fn router(app: App) -> Router {
    let import = Router::new()
        .route("/api/v1/contacts/import", axum::routing::post(crate::api::contacts::import_contacts))
        .layer(axum::extract::DefaultBodyLimit::max(IMPORT_LIMIT))
        .layer(RequestBodyLimitLayer::new(IMPORT_LIMIT))
        // Outermost: whoever may not import is refused before the body (or its size) matters.
        .layer(axum::middleware::from_fn_with_state(app.clone(), crate::api::contacts::may_import));
    let main = crate::api::router()
        .merge(crate::web::router())
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_with_token))
        .merge(import)
        .merge(main)
        // A panic (a bug) answers 500 with a problem body instead of dropping the connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
            crate::api::problem::Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", None).into_response()
        }))
        .layer(axum::middleware::from_fn_with_state(app.clone(), observe))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(120)))
        .with_state(app)
}

/// The router of `metrics_listen`: `/metrics` alone, without a token (the address is the guard).
pub fn metrics_router(app: App) -> Router {
    Router::new().route("/metrics", get(metrics)).with_state(app)
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

/// `/metrics` on the public listener: only with `Authorization: Bearer <metrics_token>`;
/// without a configured token it is refused to everyone.
async fn metrics_with_token(State(app): State<App>, headers: axum::http::HeaderMap) -> Response {
    use secrecy::ExposeSecret;
    let sent = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    let ok = match (&app.config.metrics_token, sent) {
        (Some(token), Some(sent)) => crate::auth::constant_time_eq(token.expose_secret(), sent),
        _ => false,
    };
    if ok {
        return metrics(State(app)).await;
    }
    let mut r =
        (StatusCode::UNAUTHORIZED, "/metrics needs Authorization: Bearer <OBHUT_METRICS_TOKEN>, or is served on OBHUT_METRICS_LISTEN\n")
            .into_response();
    r.headers_mut().insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
    r
}

/// Logs and counts each request by its route pattern (never the path itself, which can hold
/// a search term), and sets the security headers of every response. One layer for both: each
/// layer costs every request.
async fn observe(State(app): State<App>, req: Request, next: Next) -> Response {
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
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    if app.config.is_https() {
        // Served under https: browsers keep to https for a year (RFC 6797).
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    resp
}

/// Serves until Ctrl-C or SIGTERM, then lets running requests finish. With `metrics_listen`,
/// `/metrics` is served there too.
pub async fn serve(app: App, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let router = router(app.clone());
    let metrics = match app.config.metrics_listen {
        Some(addr) => {
            let l = tokio::net::TcpListener::bind(addr).await?;
            tracing::info!(%addr, "serving /metrics");
            let limits = Limits::of(&app.config);
            Some(tokio::spawn(serve_router(l, metrics_router(app.clone()), limits, std::future::pending())))
        }
        None => None,
    };
    let outbox = crate::services::mail::spawn_worker(app.clone());
    let cleanup = tokio::spawn(housekeeping(app.clone()));
    let r = serve_router(listener, router, Limits::of(&app.config), shutdown_signal()).await;
    cleanup.abort();
    outbox.abort();
    if let Some(m) = metrics {
        m.abort();
    }
    r
}

/// What the serve loop allows a client.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time to send a request's headers; then the connection is closed (slow clients that
    /// trickle headers would otherwise hold connections for minutes).
    pub header_read_timeout: Duration,
    /// Open connections per client address; more are closed at once.
    pub connections_per_ip: usize,
    /// Peers not limited per address (reverse proxies carry many clients' connections).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Limits {
    pub fn of(config: &crate::config::Config) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(config.header_read_timeout_secs.max(1)),
            connections_per_ip: config.max_connections_per_ip.max(1),
            trusted_proxies: config.trusted_proxies.clone(),
        }
    }
}

/// One client's share of [`Limits::connections_per_ip`], given back when its connection ends.
struct Slot {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl Slot {
    fn take(open: &Arc<Mutex<HashMap<IpAddr, usize>>>, ip: IpAddr, max: usize) -> Option<Self> {
        let mut m = open.lock().ok()?;
        let n = m.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot { open: open.clone(), ip })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut m) = self.open.lock() {
            if let Some(n) = m.get_mut(&self.ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    m.remove(&self.ip);
                }
            }
        }
    }
}

/// Accepts HTTP/1 connections for `router` until `shutdown` completes; then accepts no more,
/// asks open connections to close after their running request, and waits for them. Each
/// request carries its peer as `ConnectInfo<SocketAddr>`.
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;
    // Connections watch `signal`: when its receiver goes, they finish gracefully. The main
    // loop waits on `close` until every connection has dropped its receiver.
    let (signal_tx, signal_rx) = tokio::sync::watch::channel(());
    let (close_tx, close_rx) = tokio::sync::watch::channel(());
    let open: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors or a connection reset before accept: keep serving.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let ip = crate::client::canonical(peer.ip());
        let slot = if crate::client::is_trusted(ip, &limits.trusted_proxies) {
            None
        } else {
            match Slot::take(&open, ip, limits.connections_per_ip) {
                Some(s) => Some(s),
                None => {
                    metrics::counter!("obhut_connections_refused_total").increment(1);
                    drop(stream);
                    continue;
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(move |mut req: Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req.map(axum::body::Body::new)
        });
        let service = hyper_util::service::TowerToHyperService::new(service);
        let signal_tx = signal_tx.clone();
        let close_rx = close_rx.clone();
        let header_read_timeout = limits.header_read_timeout;
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            let mut closing = std::pin::pin!(signal_tx.closed());
            loop {
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::trace!(error = %e, "connection ended");
                        }
                        break;
                    }
                    _ = &mut closing => conn.as_mut().graceful_shutdown(),
                }
            }
            drop(slot);
            drop(close_rx);
        });
    }
    drop(listener);
    drop(signal_rx);
    drop(close_rx);
    close_tx.closed().await;
    Ok(())
}

async fn housekeeping(app: App) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    let mut n: u64 = 0;
    loop {
        tick.tick().await;
        app.metrics.upkeep();
        // Fold back what other writers left in the WAL.
        let _ = app.store.checkpoint_passive().await;
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
            // throttle counts out, due task reminders queued, and the file transport's mails
            // past their time removed.
            if let Err(e) = crate::throttle::audit_closed_minutes(&app).await {
                tracing::warn!(error = %e, "auditing failed sign-ins");
            }
            if let Err(e) = crate::throttle::upkeep(&app).await {
                tracing::warn!(error = %e, "forgetting old sign-in failures");
            }
            // Task reminders that are due: one mail each to the assignee, through the outbox.
            match crate::services::tasks::send_reminders(&app).await {
                Ok(r) if r.sent + r.unaddressed == 0 => {}
                Ok(r) => tracing::info!(sent = r.sent, unaddressed = r.unaddressed, "task reminders"),
                Err(e) => tracing::warn!(error = %e, "sending task reminders"),
            }
            // The customers' answers to tickets, from the support mailbox (OBHUT_IMAP_URL).
            match crate::services::support_mailbox::fetch(&app).await {
                Ok(None) => {}
                Ok(Some(f)) if f == Default::default() => {}
                Ok(Some(f)) => tracing::info!(
                    recorded = f.recorded,
                    duplicates = f.duplicates,
                    unmatched = f.unmatched,
                    failed = f.failed,
                    "support mailbox"
                ),
                Err(e) => tracing::warn!(error = %e, "fetching the support mailbox"),
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
