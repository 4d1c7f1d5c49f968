//! The annual assessment (M10 年度考核, issue 12 items 1–2):
//!
//! - `GET|PUT /api/v1/assessments/{year}/criteria`: the year's criteria (the defaults until set);
//!   the school SU presidium (or an admin) replaces them while no score sheet exists;
//! - `GET /api/v1/assessments/{year}/departments/{dept}`: the computed indicators beside the M9
//!   self-report, the sheet count, the total and grade;
//! - `GET /api/v1/assessments/{year}/departments/{dept}/score-sheets`: the sheets the caller may
//!   read; `GET|PUT …/score-sheets/me`: the caller's own;
//! - `POST /api/v1/assessments/{year}/publish` (校团委): publishes the year, or a correction;
//! - `GET /api/v1/assessments?year=`: the published results, for anyone (no token needed).
//!
//! Rules and errors are those of `crate::app::assessment`.

use super::{ApiError, Caller, Json, Path, Query, State};
use crate::app::assessment::CriteriaView;
use crate::app::{AppError, Principal};
use axum::Router;
use axum::extract::{self, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chrono::TimeZone;
use entities::store::assessment::{Publication, Sheet};
use serde::Deserialize;
use serde_json::{Value, json};

/// The routes.
pub fn router() -> Router<State> {
    Router::new()
        .route("/api/v1/assessments", get(list))
        .route("/api/v1/assessments/{year}/criteria", get(criteria).put(set_criteria))
        .route("/api/v1/assessments/{year}/departments/{dept}", get(department))
        .route("/api/v1/assessments/{year}/departments/{dept}/score-sheets", get(sheets))
        .route("/api/v1/assessments/{year}/departments/{dept}/score-sheets/me", get(my_sheet).put(put_sheet))
        .route("/api/v1/assessments/{year}/publish", post(publish))
}

/// The caller when a bearer token is given (401 for a bad one); nobody without.
pub struct MaybeCaller(pub Option<Principal>);

impl FromRequestParts<State> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &State) -> Result<Self, Self::Rejection> {
        if parts.headers.get(header::AUTHORIZATION).is_none() {
            return Ok(MaybeCaller(None));
        }
        Caller::from_request_parts(parts, app).await.map(|Caller(p)| MaybeCaller(Some(p)))
    }
}

fn criteria_json(v: &CriteriaView) -> Value {
    json!({ "year": v.year, "criteria": v.criteria, "default": v.default, "locked": v.locked })
}

fn sheet_json(year: i32, s: &Sheet) -> Value {
    json!({
        "year": year,
        "department": s.department,
        "assessor": s.assessor,
        "scores": s.scores,
        "comment": s.comment,
        "updated_at": chrono::Utc.timestamp_millis_opt(s.updated_at).single().map(|t| t.to_rfc3339()),
    })
}

fn publication_json(year: i32, p: &Publication) -> Value {
    json!({
        "year": year,
        "version": p.version,
        "note": p.note,
        "published_at": chrono::Utc.timestamp_millis_opt(p.published_at).single().map(|t| t.to_rfc3339()),
        "departments": p.results.len(),
        "page": format!("/public/assessments/{year}"),
    })
}

async fn criteria(
    extract::State(app): extract::State<State>,
    Caller(_who): Caller,
    Path(year): Path<i32>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(criteria_json(&app.assessment_criteria(year).await?)))
}

async fn set_criteria(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(year): Path<i32>,
    Json(body): Json<Value>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(criteria_json(&app.set_assessment_criteria(&who, year, &body).await?)))
}

async fn department(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path((year, dept)): Path<(i32, String)>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(app.department_assessment(&who, year, &dept).await?))
}

async fn sheets(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path((year, dept)): Path<(i32, String)>,
) -> Result<axum::Json<Value>, ApiError> {
    let list = app.score_sheets(&who, year, &dept).await?;
    Ok(axum::Json(json!({ "items": list.iter().map(|s| sheet_json(year, s)).collect::<Vec<_>>() })))
}

async fn my_sheet(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path((year, dept)): Path<(i32, String)>,
) -> Result<axum::Json<Value>, ApiError> {
    let list = app.score_sheets(&who, year, &dept).await?;
    let mine = list
        .iter()
        .find(|s| s.assessor == who.person)
        .ok_or_else(|| AppError::NotFound(format!("you have not scored `{dept}` for {year} yet")))?;
    Ok(axum::Json(sheet_json(year, mine)))
}

async fn put_sheet(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path((year, dept)): Path<(i32, String)>,
    Json(body): Json<Value>,
) -> Result<axum::Json<Value>, ApiError> {
    let s = app.put_score_sheet(&who, year, &dept, &body).await?;
    Ok(axum::Json(sheet_json(year, &s)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishBody {
    #[serde(default)]
    note: Option<String>,
}

async fn publish(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(year): Path<i32>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    // The body is optional: `{}` or nothing publishes; `{"note": "…"}` says what a correction changes.
    let note = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<PublishBody>(&body)
            .map_err(|e| AppError::Invalid { code: "bad_json", message: e.to_string(), fields: vec![] })?
            .note
    };
    let p = app.publish_assessment(&who, year, note.as_deref()).await?;
    Ok((StatusCode::CREATED, axum::Json(publication_json(year, &p))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearQuery {
    year: i32,
}

async fn list(
    extract::State(app): extract::State<State>,
    MaybeCaller(who): MaybeCaller,
    Query(q): Query<YearQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(app.assessments_json(who.as_ref(), q.year).await?))
}
