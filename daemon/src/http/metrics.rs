//! `/metrics` in the Prometheus text format: HTTP requests by status class and their latency,
//! open tasks, pending outbox rows and timers.

use super::State;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use entities::entity::workflow::{task, timer};
use entities::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Latency buckets in seconds.
const BUCKETS: [f64; 8] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0];

/// Counters kept by the HTTP middleware.
#[derive(Default)]
pub struct Metrics {
    by_class: [AtomicU64; 5],
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
    routes: Mutex<std::collections::BTreeMap<String, u64>>,
    delivered: AtomicU64,
    delivery_latency_ms: AtomicU64,
    delivery_failures: AtomicU64,
    timers_fired: AtomicU64,
    timer_lateness_ms: AtomicU64,
    timer_lateness_max_ms: AtomicU64,
    duty_runs: AtomicU64,
    duty_notices: AtomicU64,
    /// The latest compliance counts of today, with when they were computed.
    compliance: Mutex<Option<(Instant, ComplianceCounts)>>,
}

/// Findings per (code, severity).
type ComplianceCounts = std::collections::BTreeMap<(String, workflows::compliance::Severity), usize>;

/// How long `/metrics` shows the compliance counts before computing them again.
const COMPLIANCE_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(300);

impl Metrics {
    /// A notification went out `latency_ms` after it was committed.
    pub fn delivered(&self, latency_ms: i64) {
        self.delivered.fetch_add(1, Ordering::Relaxed);
        self.delivery_latency_ms.fetch_add(latency_ms.max(0) as u64, Ordering::Relaxed);
    }
    /// A delivery attempt failed.
    pub fn delivery_failed(&self) {
        self.delivery_failures.fetch_add(1, Ordering::Relaxed);
    }
    /// The periodic duties were looked at; `notices` were new.
    pub fn duty_run(&self, notices: usize) {
        self.duty_runs.fetch_add(1, Ordering::Relaxed);
        self.duty_notices.fetch_add(notices as u64, Ordering::Relaxed);
    }
    /// Today's findings were computed: these are the counts `/metrics` shows.
    pub fn compliance_counts(&self, counts: ComplianceCounts) {
        if let Ok(mut c) = self.compliance.lock() {
            *c = Some((Instant::now(), counts));
        }
    }
    /// The counts when they are fresh enough.
    fn fresh_compliance(&self) -> Option<ComplianceCounts> {
        let c = self.compliance.lock().ok()?;
        c.as_ref().filter(|(at, _)| at.elapsed() < COMPLIANCE_MAX_AGE).map(|(_, counts)| counts.clone())
    }
    /// A timer fired `lateness_ms` after it was due.
    pub fn timer_fired(&self, lateness_ms: i64) {
        let l = lateness_ms.max(0) as u64;
        self.timers_fired.fetch_add(1, Ordering::Relaxed);
        self.timer_lateness_ms.fetch_add(l, Ordering::Relaxed);
        self.timer_lateness_max_ms.fetch_max(l, Ordering::Relaxed);
    }
}

impl Metrics {
    fn record(&self, route: &str, status: u16, secs: f64) {
        let class = (status / 100).clamp(1, 5) as usize - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
        if let Ok(mut r) = self.routes.lock() {
            *r.entry(route.to_string()).or_default() += 1;
        }
    }
}

/// Middleware: times every request.
pub async fn track(axum::extract::State(app): axum::extract::State<State>, req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let route = format!("{} {route}", req.method());
    let start = Instant::now();
    let resp = next.run(req).await;
    app.metrics.record(&route, resp.status().as_u16(), start.elapsed().as_secs_f64());
    resp
}

/// Reads `[server] metrics_token_sha256`: 64 hex digits, or nothing.
pub fn token_hash_setting(setting: Option<&str>) -> anyhow::Result<Option<[u8; 32]>> {
    let Some(hex_digits) = setting.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_digits, &mut out)
        .map_err(|e| anyhow::anyhow!("[server] metrics_token_sha256 must be a SHA-256 in 64 hex digits ({e})"))?;
    Ok(Some(out))
}

/// Whether `headers` carry the bearer token `/metrics` asks for (always, when it asks for none).
fn metrics_allowed(app: &State, headers: &axum::http::HeaderMap) -> bool {
    use sha2::Digest;
    use subtle::ConstantTimeEq;
    let Some(want) = &app.metrics_token_sha256 else { return true };
    let Some(token) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
    else {
        return false;
    };
    let got: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
    got.ct_eq(want).into()
}

/// `GET /metrics`: 401 without the token when `[server] metrics_token_sha256` is set.
pub async fn render(
    axum::extract::State(app): axum::extract::State<State>,
    headers: axum::http::HeaderMap,
) -> Response {
    if !metrics_allowed(&app, &headers) {
        return super::ApiError::Unauthorized.into_response();
    }
    let m = &app.metrics;
    let mut out = String::new();
    out.push_str("# HELP liandong_http_requests_total HTTP requests by status class.\n# TYPE liandong_http_requests_total counter\n");
    for (i, c) in m.by_class.iter().enumerate() {
        out.push_str(&format!("liandong_http_requests_total{{class=\"{}xx\"}} {}\n", i + 1, c.load(Ordering::Relaxed)));
    }
    out.push_str("# HELP liandong_http_request_duration_seconds HTTP request latency.\n# TYPE liandong_http_request_duration_seconds histogram\n");
    for (i, b) in BUCKETS.iter().enumerate() {
        out.push_str(&format!(
            "liandong_http_request_duration_seconds_bucket{{le=\"{b}\"}} {}\n",
            m.buckets[i].load(Ordering::Relaxed)
        ));
    }
    let count = m.count.load(Ordering::Relaxed);
    out.push_str(&format!("liandong_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n"));
    out.push_str(&format!(
        "liandong_http_request_duration_seconds_sum {}\n",
        m.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
    ));
    out.push_str(&format!("liandong_http_request_duration_seconds_count {count}\n"));
    if let Ok(routes) = m.routes.lock() {
        out.push_str("# HELP liandong_http_route_requests_total HTTP requests by route.\n# TYPE liandong_http_route_requests_total counter\n");
        for (r, n) in routes.iter() {
            out.push_str(&format!("liandong_http_route_requests_total{{route=\"{}\"}} {n}\n", r.replace('"', "'")));
        }
    }
    for (name, help, kind, v) in [
        (
            "liandong_mail_delivered_total",
            "Notifications delivered.",
            "counter",
            m.delivered.load(Ordering::Relaxed) as f64,
        ),
        (
            "liandong_mail_delivery_latency_seconds_sum",
            "Commit-to-delivery latency, summed.",
            "counter",
            m.delivery_latency_ms.load(Ordering::Relaxed) as f64 / 1e3,
        ),
        (
            "liandong_mail_delivery_failures_total",
            "Failed delivery attempts.",
            "counter",
            m.delivery_failures.load(Ordering::Relaxed) as f64,
        ),
        ("liandong_timers_fired_total", "Timers fired.", "counter", m.timers_fired.load(Ordering::Relaxed) as f64),
        (
            "liandong_duty_runs_total",
            "Scheduled looks at the periodic duties.",
            "counter",
            m.duty_runs.load(Ordering::Relaxed) as f64,
        ),
        (
            "liandong_duty_notices_total",
            "Periodic duty notices recorded by the schedule.",
            "counter",
            m.duty_notices.load(Ordering::Relaxed) as f64,
        ),
        (
            "liandong_timer_lateness_seconds_sum",
            "Time between due and firing, summed.",
            "counter",
            m.timer_lateness_ms.load(Ordering::Relaxed) as f64 / 1e3,
        ),
        (
            "liandong_timer_lateness_seconds_max",
            "Largest time between due and firing.",
            "gauge",
            m.timer_lateness_max_ms.load(Ordering::Relaxed) as f64 / 1e3,
        ),
    ] {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n"));
    }
    let open = task::Entity::find().filter(task::Column::State.eq("open")).count(&app.db).await.unwrap_or(0);
    let by_status: std::collections::BTreeMap<String, i64> =
        entities::store::jobs::outbox_counts(&app.db).await.unwrap_or_default().into_iter().collect();
    out.push_str("# HELP liandong_outbox_notifications Notifications by delivery status (pending: not handed to the queue yet; queued and sending: in the queue; failed: for good).\n# TYPE liandong_outbox_notifications gauge\n");
    for status in ["pending", "queued", "sending", "sent", "failed"] {
        let v = by_status.get(status).copied().unwrap_or(0);
        out.push_str(&format!("liandong_outbox_notifications{{status=\"{status}\"}} {v}\n"));
    }
    let outbox = ["pending", "queued", "sending"].iter().map(|s| by_status.get(*s).copied().unwrap_or(0)).sum::<i64>();
    let timers = timer::Entity::find().filter(timer::Column::Status.eq("pending")).count(&app.db).await.unwrap_or(0);
    for (name, help, v) in [
        ("liandong_open_tasks", "Tasks waiting for a reviewer.", open),
        ("liandong_outbox_pending", "Notifications not delivered yet (the delivery queue's depth).", outbox as u64),
        ("liandong_timers_pending", "Reminders and escalations not fired yet.", timers),
        (
            "liandong_calendar_data_missing",
            "1 while holiday data that matters now is missing (this year, or next year from 1 November; /readyz names it).",
            u64::from(app.calendar_warning().is_some()),
        ),
    ] {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}\n"));
    }
    // Open and overdue open tasks per workflow (the gauges of the oversight figures, GET /api/v1/stats).
    match entities::store::stats::open_tasks_per_workflow(&app.db, chrono::Utc::now().timestamp_millis()).await {
        Ok(rows) => {
            out.push_str("# HELP liandong_workflow_open_tasks Tasks waiting for a reviewer, by workflow.\n# TYPE liandong_workflow_open_tasks gauge\n");
            for (key, n, _) in &rows {
                out.push_str(&format!("liandong_workflow_open_tasks{{workflow=\"{key}\"}} {n}\n"));
            }
            out.push_str("# HELP liandong_workflow_overdue_tasks Open tasks past their due time, by workflow.\n# TYPE liandong_workflow_overdue_tasks gauge\n");
            for (key, _, o) in &rows {
                out.push_str(&format!("liandong_workflow_overdue_tasks{{workflow=\"{key}\"}} {o}\n"));
            }
        }
        Err(e) => tracing::warn!(error = %e, "open tasks per workflow for /metrics"),
    }
    // Findings per code of today (computed again when older than five minutes).
    let counts = match m.fresh_compliance() {
        Some(c) => Some(c),
        None => match app.findings_on(crate::app::compliance::today()).await {
            Ok(f) => Some(workflows::compliance::counts(&f)),
            Err(e) => {
                tracing::warn!(error = %e, "compliance for /metrics");
                None
            }
        },
    };
    if let Some(counts) = counts {
        out.push_str("# HELP liandong_compliance_findings Compliance findings of today by code and severity (the policy's checks, GET /api/v1/compliance).\n# TYPE liandong_compliance_findings gauge\n");
        for (code, _, severity) in workflows::compliance::CODES {
            let v = counts.get(&((*code).to_string(), *severity)).copied().unwrap_or(0);
            out.push_str(&format!(
                "liandong_compliance_findings{{code=\"{code}\",severity=\"{}\"}} {v}\n",
                severity.as_str()
            ));
        }
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
