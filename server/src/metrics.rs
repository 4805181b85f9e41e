//! Prometheus metrics of the HTTP server: request counts and latency by route and status, and
//! failed sign-ins. Served as text at `GET /metrics`. Labels never carry ids or customer data:
//! routes are their templates (`/api/v1/premises/{id}`), not the requested path.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of one HTTP request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// HTTP method.
    pub method: String,
    /// Route template, or `unmatched`.
    pub route: String,
    /// Response status code.
    pub status: u16,
}

/// Labels of one failed sign-in.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LoginFailureLabels {
    /// `bad_credentials`, `rate_limited`, `ambiguous_utility`.
    pub reason: String,
}

type HistogramFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// The server's metrics and the registry they are exported from.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    login_failures: Family<LoginFailureLabels, Counter>,
}

fn latency_histogram() -> Histogram {
    // 1 ms .. ~16 s
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Metrics {
    /// A registry with every metric registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("fieldline");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let login_failures = Family::<LoginFailureLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method, route and status",
            latency.clone(),
        );
        registry.register(
            "login_failures",
            "Failed sign-ins by reason",
            login_failures.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            login_failures,
        }
    }

    /// Records one finished request.
    pub fn observe_request(&self, labels: RequestLabels, seconds: f64) {
        self.latency.get_or_create(&labels).observe(seconds);
        self.requests.get_or_create(&labels).inc();
    }

    /// Records one failed sign-in.
    pub fn login_failed(&self, reason: &str) {
        self.login_failures
            .get_or_create(&LoginFailureLabels {
                reason: reason.to_string(),
            })
            .inc();
    }

    /// The OpenMetrics text exposition of every metric.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_lists_requests_and_login_failures() {
        let metrics = Metrics::new();
        metrics.observe_request(
            RequestLabels {
                method: "GET".into(),
                route: "/healthz".into(),
                status: 200,
            },
            0.002,
        );
        metrics.login_failed("bad_credentials");
        let text = metrics.encode().expect("encodes");
        assert!(text.contains("fieldline_http_requests_total"), "{text}");
        assert!(text.contains("route=\"/healthz\""), "{text}");
        assert!(text.contains("fieldline_login_failures_total"), "{text}");
    }
}
