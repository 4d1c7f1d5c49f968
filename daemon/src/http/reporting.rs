//! M1 and M4 records kept directly (issue 11 requirement 2):
//!
//! - `POST /api/v1/records/reporting_adoptions`: a class's reporting-system adoption (201);
//!   `PATCH /api/v1/records/reporting_adoptions/{class}`: its reporting contacts change;
//! - `GET /api/v1/reporting-checklist[?version=N]`: the current signed-off checklist (or
//!   version N); `GET /api/v1/reporting-checklist/versions` (filter `status`, keyset `cursor`,
//!   `limit`); `POST /api/v1/reporting-checklist/versions` (a draft, 201);
//!   `POST /api/v1/reporting-checklist/versions/{version}/sign-off` (校团委 only);
//! - `POST /api/v1/records/trainings/{id}/attendance`: attendees by id from a JSON list
//!   (`["2023010101", …]` or `{"people": […]}`), a CSV (`text/csv`) or an XLSX
//!   (`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`) body, at most 2 MiB
//!   and [`MAX_ATTENDANCE_ROWS`] rows (413 beyond).
//!
//! Rules and errors are those of `crate::app::reporting`.

use super::{ApiError, Caller, Json, Path, Query, State};
use crate::app::AppError;
use crate::app::reporting::{MAX_ATTENDANCE_ROWS, checklist_json};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Router, extract};
use serde::Deserialize;
use serde_json::{Value, json};

/// The largest attendance upload (2 MiB).
pub const MAX_ATTENDANCE_BYTES: usize = 2 * 1024 * 1024;

/// The XLSX media type.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The routes (the records' `POST` is routed from `http::records`).
pub fn router() -> Router<State> {
    Router::new()
        .route("/api/v1/records/trainings/{id}/attendance", post(import_attendance))
        .route("/api/v1/records/reporting_adoptions/{class}", axum::routing::patch(update_adoption))
        .route("/api/v1/reporting-checklist", get(current))
        .route("/api/v1/reporting-checklist/versions", get(versions).post(draft))
        .route("/api/v1/reporting-checklist/versions/{version}/sign-off", post(sign_off))
}

/// `POST /api/v1/records/{kind}`: only `reporting_adoptions` is kept directly; the other kinds
/// are written by workflow outcomes (405).
pub async fn create_record(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(kind): Path<String>,
    Json(body): Json<Value>,
) -> Result<impl IntoResponse, ApiError> {
    if kind != "reporting_adoptions" {
        return Err(ApiError::MethodNotAllowed);
    }
    let v = app.record_adoption(&who, &body).await?;
    let class = v["class"].as_str().unwrap_or_default();
    let location = HeaderValue::from_str(&format!("/api/v1/records/reporting_adoptions?class={class}"))
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(v)))
}

/// `PATCH /api/v1/records/reporting_adoptions/{class}`: changes the class's reporting contacts.
async fn update_adoption(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(class): Path<String>,
    Json(body): Json<Value>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(app.update_adoption(&who, &class, &body).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionQuery {
    #[serde(default)]
    version: Option<i32>,
}

async fn current(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Query(q): Query<VersionQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let v = match q.version {
        Some(n) => app.checklist_version(&who, n).await?,
        None => app
            .current_checklist()
            .await?
            .ok_or_else(|| AppError::NotFound("no reporting checklist has been signed off yet".into()))?,
    };
    Ok(axum::Json(checklist_json(&app.org(), &v)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionsQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<u64>,
}

fn bad_query(field: &str, message: String) -> AppError {
    AppError::Invalid {
        code: "bad_query",
        message: message.clone(),
        fields: vec![workflows::form::FieldError { field: field.into(), code: "bad_query", message }],
    }
}

async fn versions(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Query(q): Query<VersionsQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let status = match q.status.as_deref() {
        None => None,
        Some(s @ ("draft" | "signed_off")) => Some(s),
        Some(s) => return Err(bad_query("status", format!("`status` is draft or signed_off, not `{s}`")).into()),
    };
    let after = match q.cursor.as_deref() {
        None => None,
        Some(c) => {
            Some(c.parse::<i32>().map_err(|_| bad_query("cursor", format!("`{c}` is not a cursor this list gave")))?)
        }
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(bad_query("limit", format!("`limit` is 1 to 200, not {limit}")).into());
    }
    let rows = app.checklist_versions(&who, status, after, limit + 1).await?;
    let org = app.org();
    let next = (rows.len() as u64 > limit).then(|| rows[limit as usize - 1].row.version.to_string());
    let items: Vec<Value> = rows.iter().take(limit as usize).map(|v| checklist_json(&org, v)).collect();
    Ok(axum::Json(json!({ "items": items, "next": next })))
}

async fn draft(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Json(body): Json<Value>,
) -> Result<impl IntoResponse, ApiError> {
    let v = app.draft_checklist(&who, &body).await?;
    let location = HeaderValue::from_str(&format!("/api/v1/reporting-checklist?version={}", v.row.version))
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(checklist_json(&app.org(), &v))))
}

async fn sign_off(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(version): Path<i32>,
) -> Result<axum::Json<Value>, ApiError> {
    let v = app.sign_off_checklist(&who, version).await?;
    Ok(axum::Json(checklist_json(&app.org(), &v)))
}

fn too_many_rows(n: usize) -> ApiError {
    ApiError::Status(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_many_rows",
        format!("the list has {n} rows; at most {MAX_ATTENDANCE_ROWS} in one import"),
    )
}

fn unreadable(message: String) -> ApiError {
    ApiError::App(AppError::Invalid {
        code: "unreadable_list",
        message: message.clone(),
        fields: vec![workflows::form::FieldError { field: "body".into(), code: "unreadable_list", message }],
    })
}

/// Column names taken for the person id in a CSV or XLSX header row.
const ID_HEADERS: &[&str] = &["person", "id", "person_id", "student_number", "number", "学号", "工号", "学号/工号"];

/// The ids of a table's rows, as (`row N`, id) with spreadsheet row numbers (1-based). The
/// first row is a header when one of its cells is in [`ID_HEADERS`] (that column holds the
/// ids); otherwise the first column does, from row 1. Empty rows are skipped.
fn table_ids(rows: Vec<Vec<String>>) -> Result<Vec<(String, String)>, ApiError> {
    let header =
        rows.first().and_then(|r| r.iter().position(|c| ID_HEADERS.iter().any(|h| c.trim().eq_ignore_ascii_case(h))));
    let (col, skip) = match header {
        Some(c) => (c, 1),
        None => (0, 0),
    };
    let out: Vec<(String, String)> = rows
        .into_iter()
        .enumerate()
        .skip(skip)
        .filter_map(|(i, r)| {
            let id = r.get(col).map(|s| s.trim().to_string()).unwrap_or_default();
            (!id.is_empty()).then(|| (format!("row {}", i + 1), id))
        })
        .collect();
    if out.len() > MAX_ATTENDANCE_ROWS {
        return Err(too_many_rows(out.len()));
    }
    Ok(out)
}

fn csv_rows(body: &[u8]) -> Result<Vec<Vec<String>>, ApiError> {
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body);
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| unreadable(format!("the CSV cannot be read: {e}")))?;
        rows.push(rec.iter().map(str::to_string).collect());
        if rows.len() > MAX_ATTENDANCE_ROWS + 1 {
            return Err(too_many_rows(rows.len()));
        }
    }
    Ok(rows)
}

/// The most an XLSX upload may unpack to (32 MiB; an attendance list of 10,000 rows is a few).
const MAX_XLSX_UNPACKED: u64 = 32 * 1024 * 1024;

/// How many bytes the parts of a ZIP file (an XLSX) unpack to, counted by unpacking them (the
/// `zip` crate, the one calamine reads with) into nothing and stopping past `cap` — so a file
/// whose directory understates its sizes is caught too. `None` when it is no ZIP (the XLSX
/// reader then says why); `Some(n > cap)` as soon as the cap is passed.
fn zip_unpacked_size(body: &[u8], cap: u64) -> Option<u64> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(body)).ok()?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let Ok(part) = archive.by_index(i) else { return None };
        let left = cap.saturating_sub(total);
        total += std::io::copy(&mut part.take(left + 1), &mut std::io::sink()).ok()?;
        if total > cap {
            return Some(total);
        }
    }
    Some(total)
}

fn xlsx_rows(body: &[u8]) -> Result<Vec<Vec<String>>, ApiError> {
    use calamine::{Data, Reader, Xlsx};
    // A small file that unpacks to gigabytes is refused after at most the cap is unpacked.
    if zip_unpacked_size(body, MAX_XLSX_UNPACKED).is_some_and(|n| n > MAX_XLSX_UNPACKED) {
        return Err(ApiError::Status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the XLSX unpacks to more than {} MiB", MAX_XLSX_UNPACKED / 1024 / 1024),
        ));
    }
    let mut book: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(body)).map_err(|e| unreadable(format!("the XLSX cannot be read: {e}")))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| unreadable("the XLSX has no worksheet".into()))?
        .map_err(|e| unreadable(format!("the XLSX's first sheet cannot be read: {e}")))?;
    if range.height() > MAX_ATTENDANCE_ROWS + 1 {
        return Err(too_many_rows(range.height()));
    }
    // Row numbers as the spreadsheet shows them: the used range may start below row 1.
    let first = range.start().map_or(0, |(r, _)| r as usize);
    let mut rows = vec![Vec::new(); first];
    for r in range.rows() {
        rows.push(
            r.iter()
                .map(|c| match c {
                    // 学号 typed as numbers: 2023010101, not 2023010101.0
                    Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
                    Data::Int(i) => i.to_string(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect(),
        );
    }
    Ok(rows)
}

fn json_ids(body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::App(AppError::Invalid { code: "bad_json", message: e.to_string(), fields: vec![] }))?;
    let list = match &v {
        Value::Array(a) => Some(a),
        Value::Object(o) if o.len() == 1 => o.get("people").and_then(Value::as_array),
        _ => None,
    };
    let Some(list) = list else {
        return Err(ApiError::App(AppError::Invalid {
            code: "bad_body",
            message: r#"send a list of person ids: ["2023010101", …] or {"people": [...]}"#.into(),
            fields: vec![workflows::form::FieldError {
                field: "people".into(),
                code: "wrong_type",
                message: "`people` must be a list of person ids".into(),
            }],
        }));
    };
    if list.len() > MAX_ATTENDANCE_ROWS {
        return Err(too_many_rows(list.len()));
    }
    let mut out = Vec::new();
    let mut wrong = Vec::new();
    for (i, x) in list.iter().enumerate() {
        match x {
            Value::String(s) => out.push((format!("people[{i}]"), s.clone())),
            Value::Number(n) => out.push((format!("people[{i}]"), n.to_string())),
            _ => wrong.push(workflows::form::FieldError {
                field: format!("people[{i}]"),
                code: "wrong_type",
                message: format!("`people[{i}]` must be a person id (text)"),
            }),
        }
    }
    if !wrong.is_empty() {
        return Err(ApiError::App(AppError::Invalid {
            code: "unknown_people",
            message: "some entries are not person ids; nothing was added".into(),
            fields: wrong,
        }));
    }
    Ok(out)
}

async fn import_attendance(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(id): Path<String>,
    req: Request,
) -> Result<axum::Json<Value>, ApiError> {
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .unwrap_or_default();
    let body = axum::body::to_bytes(req.into_body(), MAX_ATTENDANCE_BYTES).await.map_err(|_| {
        ApiError::Status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the list is over {} MiB", MAX_ATTENDANCE_BYTES / 1024 / 1024),
        )
    })?;
    let rows = match media.as_str() {
        "application/json" => json_ids(&body)?,
        "text/csv" => table_ids(csv_rows(&body)?)?,
        XLSX => table_ids(xlsx_rows(&body)?)?,
        other => {
            return Err(ApiError::Status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("`{other}` is not application/json, text/csv or {XLSX}"),
            ));
        }
    };
    Ok(axum::Json(app.import_attendance(&who, &id, &rows).await?))
}
