//! Prometheus metrics, rendered at `/metrics`.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::collections::HashMap;

pub struct Metrics {
    handle: Option<PrometheusHandle>,
}

impl Metrics {
    pub fn new() -> Self {
        // Only the first recorder of a process can be installed; later apps (tests) share it.
        static HANDLE: std::sync::OnceLock<Option<PrometheusHandle>> = std::sync::OnceLock::new();
        let handle = HANDLE.get_or_init(|| PrometheusBuilder::new().install_recorder().ok()).clone();
        Self { handle }
    }

    /// Folds recorded histogram samples into their summaries; without it they pile up between
    /// scrapes. The server calls it every few seconds.
    pub fn upkeep(&self) {
        if let Some(h) = &self.handle {
            h.run_upkeep();
        }
    }

    pub fn render(&self) -> String {
        self.handle.as_ref().map(|h| h.render()).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

type RequestKey = (&'static str, String, u16);

/// The counter and histogram of each (method, route, status class), registered once: looking
/// them up in the recorder by their labels on every request cost more than the request.
static HANDLES: std::sync::LazyLock<std::sync::RwLock<HashMap<RequestKey, (metrics::Counter, metrics::Histogram)>>> =
    std::sync::LazyLock::new(Default::default);

/// Counts one HTTP request by method, matched route and status class.
pub fn record_request(method: &str, route: &str, status: u16, seconds: f64) {
    // Clients choose the method string: only known methods become label values.
    let method: &'static str = match method {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    };
    let class = status / 100;
    let key = (method, route.to_string(), class);
    if let Ok(handles) = HANDLES.read() {
        if let Some((c, h)) = handles.get(&key) {
            c.increment(1);
            h.record(seconds);
            return;
        }
    }
    let c =
        metrics::counter!("obhut_http_requests_total", "method" => method, "route" => route.to_string(), "status" => format!("{class}xx"));
    let h = metrics::histogram!("obhut_http_request_duration_seconds", "route" => route.to_string());
    c.increment(1);
    h.record(seconds);
    if let Ok(mut handles) = HANDLES.write() {
        // Routes are the router's patterns, methods a fixed set: the map stays small.
        handles.insert(key, (c, h));
    }
}
