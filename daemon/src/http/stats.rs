//! `GET /api/v1/stats`: the oversight figures (issue 12 item 5) of the requests submitted in a
//! date range, for the oversight roles and a department's own leaders.

use super::{ApiError, Caller, Query, State};
use crate::app::stats::StatsQuery;
use axum::routing::get;
use axum::{Router, extract};
use serde_json::Value;

/// The routes.
pub fn router() -> Router<State> {
    Router::new().route("/api/v1/stats", get(stats))
}

/// `?from=2026-11-01&to=2026-11-30&department=cs&workflow=major_matter_report`, each optional.
async fn stats(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Query(q): Query<StatsQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(app.stats(&who, &q).await?))
}
