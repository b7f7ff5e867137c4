//! Prometheus metrics, rendered at `/metrics`.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

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

    pub fn render(&self) -> String {
        self.handle.as_ref().map(|h| h.render()).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Counts one HTTP request by method, matched route and status class.
pub fn record_request(method: &str, route: &str, status: u16, seconds: f64) {
    let class = format!("{}xx", status / 100);
    // Clients choose the method string: only known methods become label values.
    let method = match method {
        "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => method,
        _ => "other",
    };
    metrics::counter!("obhut_http_requests_total", "method" => method.to_string(), "route" => route.to_string(), "status" => class)
        .increment(1);
    metrics::histogram!("obhut_http_request_duration_seconds", "route" => route.to_string()).record(seconds);
}
