//! `GET /api/v1/compliance`: the findings of the policy's checks for a day (issue 11 item 3),
//! for admins and the oversight roles.

use super::{ApiError, Caller, Query, State};
use crate::app::compliance::ComplianceFilter;
use axum::routing::get;
use axum::{Router, extract};
use serde_json::{Value, json};
use workflows::compliance::Severity;

/// The routes.
pub fn router() -> Router<State> {
    Router::new().route("/api/v1/compliance", get(report))
}

/// `?day=2025-11-24&department=cs&measure=M2&severity=error`, each optional.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ComplianceQuery {
    #[serde(default)]
    day: Option<chrono::NaiveDate>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    measure: Option<String>,
    #[serde(default)]
    severity: Option<Severity>,
}

async fn report(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Query(q): Query<ComplianceQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let filter = ComplianceFilter { day: q.day, department: q.department, measure: q.measure, severity: q.severity };
    let (day, items) = app.compliance(&who, &filter).await?;
    let count = |s: Severity| items.iter().filter(|f| f.severity == s).count();
    let counts = json!({ "warning": count(Severity::Warning), "error": count(Severity::Error), "block": count(Severity::Block) });
    Ok(axum::Json(json!({ "day": day, "total": items.len(), "counts": counts, "items": items })))
}
