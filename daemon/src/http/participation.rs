//! Taking part over HTTP (issue 11, requirement 2): `/api/v1/volunteer-hours` (M7 志愿服务时长:
//! log, list with filters and a keyset cursor, read one, the semester summary with the share of
//! class cadres) and the students' own entries on a service project (M8):
//! `/api/v1/requests/{id}/co-design` and `/api/v1/requests/{id}/evaluations`.

use super::{ApiError, Caller, Json, Path, Query, State};
use crate::app::participation::{HoursSummary, SummaryLine, hours_of, parse_semester, semester_end, semester_key};
use crate::app::{AppError, Principal};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Router, extract};
use chrono::NaiveDate;
use entities::store::participation::{Counts, HoursFilter, StoredEntry, StoredHours};
use serde::Deserialize;
use serde_json::{Value, json};
use workflows::catalog::Lang;
use workflows::form::FieldError;
use workflows::org::{Directory, OrgDirectory};
use workflows::records::{ParticipationKind, Semester};

/// The routes.
pub fn router() -> Router<State> {
    Router::new()
        .route("/api/v1/volunteer-hours", get(list_hours).post(log_hours))
        .route("/api/v1/volunteer-hours/summary", get(summary))
        .route("/api/v1/volunteer-hours/{id}", get(show_hours))
        .route("/api/v1/requests/{id}/co-design", get(list_co_design).post(put_co_design))
        .route("/api/v1/requests/{id}/evaluations", get(list_evaluations).post(put_evaluation))
}

fn person_name(org: &OrgDirectory, id: &str) -> Option<String> {
    org.person(id).map(|p| p.name.clone())
}

fn class_name(org: &OrgDirectory, c: Option<&String>) -> Option<String> {
    c.and_then(|c| org.class(c)).map(|c| c.name.get(Lang::Zh).to_string())
}

/// An entry of volunteer hours as the API shows it: hours as a number (1.5), names as people read
/// them (zh-CN).
fn hours_view(org: &OrgDirectory, h: &StoredHours) -> Value {
    let f = &h.fields;
    json!({
        "id": h.id,
        "person": f.person,
        "person_name": person_name(org, &f.person),
        "department": f.department,
        "class": f.class,
        "class_name": class_name(org, f.class.as_ref()),
        "date": f.date,
        "hours": hours_of(i64::from(f.tenths)),
        "activity": f.activity,
        "request": f.request,
        "logged_by": h.logged_by,
        "created_at": h.created_at,
    })
}

async fn log_hours(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    headers: axum::http::HeaderMap,
    Json(body): Json<Value>,
) -> Result<impl IntoResponse, ApiError> {
    let h = app.log_hours(&who, &body, super::idempotency_key(&headers).as_deref()).await?;
    let location = HeaderValue::from_str(&format!("/api/v1/volunteer-hours/{}", h.id))
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(hours_view(&app.org(), &h))))
}

async fn show_hours(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let h = app.hours_entry(&who, &id).await?;
    Ok(axum::Json(hours_view(&app.org(), &h)))
}

fn bad_query(field: &str, message: String) -> AppError {
    AppError::Invalid {
        code: "bad_query",
        message: message.clone(),
        fields: vec![FieldError { field: field.into(), code: "bad_query", message }],
    }
}

fn semester_of(q: Option<&str>) -> Result<Semester, AppError> {
    match q {
        None => Ok(Semester::of(crate::app::ledger::today())),
        Some(s) => parse_semester(s).ok_or_else(|| {
            bad_query(
                "semester",
                format!("`semester`: `{s}` is not a semester (2026-autumn, 2026-spring, 2026-1, 2026-2)"),
            )
        }),
    }
}

/// Filters and the cursor of a volunteer-hours list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// The volunteer (`me` for the caller).
    #[serde(default)]
    person: Option<String>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    request: Option<String>,
    /// A semester (`2026-autumn`); `from`/`to` narrow it or stand alone.
    #[serde(default)]
    semester: Option<String>,
    #[serde(default)]
    from: Option<NaiveDate>,
    #[serde(default)]
    to: Option<NaiveDate>,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<u64>,
}

async fn list_hours(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let after = super::paging::decode_cursor("volunteer-hours", q.cursor.as_deref())?;
    let limit = super::paging::page_limit(q.limit);
    let (mut from, mut to) = (q.from, q.to);
    if let Some(s) = q.semester.as_deref() {
        let s = semester_of(Some(s))?;
        let (start, end) = (crate::app::ledger::semester_start(s), semester_end(s));
        from = Some(from.map_or(start, |f| f.max(start)));
        to = Some(to.map_or(end, |t| t.min(end)));
    }
    let filter = HoursFilter {
        person: q.person.map(|p| if p == "me" { who.person.clone() } else { p }),
        department: q.department,
        request: q.request,
        from,
        to,
        after,
    };
    let rows = app.hours_list(&who, &filter, limit + 1).await?;
    let org = app.org();
    Ok(axum::Json(super::paging::page(
        "volunteer-hours",
        &rows,
        limit,
        |h| (h.created_at.timestamp_millis(), &h.id),
        |h| hours_view(&org, h),
    )))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SummaryQuery {
    #[serde(default)]
    semester: Option<String>,
}

fn line_view(org: &OrgDirectory, l: &SummaryLine, named: bool) -> Value {
    let mut v = json!({
        "hours": hours_of(l.tenths),
        "entries": l.entries,
        "volunteers": l.volunteers,
        "class_cadres": l.class_cadres,
        "class_cadre_share": l.class_cadre_share(),
    });
    if named {
        v["department"] = json!(l.department);
        v["name"] = json!(org.department(&l.department).map(|d| d.name.get(Lang::Zh).to_string()));
    }
    v
}

async fn summary(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Query(q): Query<SummaryQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let s = semester_of(q.semester.as_deref())?;
    let HoursSummary { departments, school, counted_on } = app.hours_summary(&who, s).await?;
    let org = app.org();
    Ok(axum::Json(json!({
        "semester": semester_key(s),
        "semester_name": s.zh(),
        "from": crate::app::ledger::semester_start(s),
        "to": semester_end(s),
        "class_cadres_counted_on": counted_on,
        "departments": departments.iter().map(|l| line_view(&org, l, true)).collect::<Vec<_>>(),
        "school": school.as_ref().map(|l| line_view(&org, l, false)),
    })))
}

/// A student's entry as the API shows it.
fn entry_view(org: &OrgDirectory, e: &StoredEntry) -> Value {
    let mut v = json!({
        "id": e.id,
        "request": e.request,
        "kind": e.kind,
        "person": e.person,
        "person_name": person_name(org, &e.person),
        "class": e.class,
        "class_name": class_name(org, e.class.as_ref()),
        "text": e.text,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    });
    if e.kind == ParticipationKind::Evaluation {
        v["rating"] = json!(e.rating);
    }
    v
}

fn counts_view(c: &Counts, kind: ParticipationKind) -> Value {
    match kind {
        ParticipationKind::CoDesign => json!({ "students": c.co_design_students, "classes": c.co_design_classes }),
        ParticipationKind::Evaluation => json!({ "students": c.evaluation_students, "classes": c.evaluation_classes }),
    }
}

fn entries_path(id: &str, kind: ParticipationKind) -> String {
    let tail = if kind == ParticipationKind::CoDesign { "co-design" } else { "evaluations" };
    format!("/api/v1/requests/{id}/{tail}")
}

async fn put(
    app: &State,
    who: &Principal,
    id: &str,
    kind: ParticipationKind,
    body: &Value,
) -> Result<axum::response::Response, ApiError> {
    let (e, new) = app.put_participation(who, id, kind, body).await?;
    let v = entry_view(&app.org(), &e);
    if new {
        let location =
            HeaderValue::from_str(&entries_path(id, kind)).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
        Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(v)).into_response())
    } else {
        Ok(axum::Json(v).into_response())
    }
}

async fn list(app: &State, who: &Principal, id: &str, kind: ParticipationKind) -> Result<axum::Json<Value>, ApiError> {
    let (items, counts) = app.participation(who, id, kind).await?;
    let org = app.org();
    Ok(axum::Json(json!({
        "items": items.iter().map(|e| entry_view(&org, e)).collect::<Vec<_>>(),
        "counted": counts_view(&counts, kind),
    })))
}

async fn put_co_design(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<axum::response::Response, ApiError> {
    put(&app, &who, &id, ParticipationKind::CoDesign, &body).await
}

async fn put_evaluation(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<axum::response::Response, ApiError> {
    put(&app, &who, &id, ParticipationKind::Evaluation, &body).await
}

async fn list_co_design(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    list(&app, &who, &id, ParticipationKind::CoDesign).await
}

async fn list_evaluations(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    list(&app, &who, &id, ParticipationKind::Evaluation).await
}
