//! Errors as `application/problem+json` (RFC 9457) with a stable `code`: 400/422 with the fields,
//! 401, 403, 404, 409, 413, and 500 with a generic body (the cause is logged, never sent).

use crate::app::AppError;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error of the HTTP API.
#[derive(Debug)]
pub enum ApiError {
    /// No or a bad token.
    Unauthorized,
    /// Body over the limit.
    TooLarge,
    /// The route exists, not with this method.
    MethodNotAllowed,
    /// From a use case.
    App(AppError),
    /// Another status with its stable code and message (413 `too_many_rows`, 415
    /// `unsupported_media_type`).
    Status(StatusCode, &'static str, String),
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError::App(e)
    }
}

impl From<entities::store::StoreError> for ApiError {
    fn from(e: entities::store::StoreError) -> Self {
        ApiError::App(e.into())
    }
}

/// Whether an internal error is the database being out of reach (a connection refused, reset
/// or timed out; the pool empty): the request is worth retrying, so 503, not 500.
fn unavailable(cause: &anyhow::Error) -> bool {
    use entities::sea_orm::{DbErr, RuntimeErr, sqlx};
    let db_down = |e: &DbErr| match e {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(x))
        | DbErr::Exec(RuntimeErr::SqlxError(x))
        | DbErr::Query(RuntimeErr::SqlxError(x)) => {
            matches!(
                x.as_ref(),
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed
            ) || matches!(x.as_ref(), sqlx::Error::Database(d) if d.code().is_some_and(|c| c.starts_with("57P") || c.starts_with("08")))
        }
        _ => false,
    };
    cause.chain().any(|e| {
        e.downcast_ref::<DbErr>().is_some_and(db_down)
            || e.downcast_ref::<entities::store::StoreError>()
                .is_some_and(|s| matches!(s, entities::store::StoreError::Db(d) if db_down(d)))
    })
}

/// Whether an internal error is the database's disk being full (SQLite `SQLITE_FULL`,
/// PostgreSQL `53100`): the transaction was rolled back, nothing is corrupt.
fn storage_full(cause: &anyhow::Error) -> bool {
    use entities::sea_orm::{DbErr, RuntimeErr, sqlx};
    let full = |e: &DbErr| match e {
        DbErr::Exec(RuntimeErr::SqlxError(x))
        | DbErr::Query(RuntimeErr::SqlxError(x))
        | DbErr::Conn(RuntimeErr::SqlxError(x)) => {
            matches!(x.as_ref(), sqlx::Error::Database(d) if matches!(d.code().as_deref(), Some("13") | Some("53100")))
        }
        _ => false,
    };
    cause.chain().any(|e| {
        e.downcast_ref::<DbErr>().is_some_and(full)
            || e.downcast_ref::<entities::store::StoreError>()
                .is_some_and(|s| matches!(s, entities::store::StoreError::Db(d) if full(d)))
    })
}

fn problem(status: StatusCode, code: &str, title: &str, detail: &str, fields: serde_json::Value) -> Response {
    let body = json!({ "type": "about:blank", "title": title, "status": status.as_u16(), "code": code, "detail": detail, "errors": fields });
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

/// 422 `guard_blocked`: a definition's guard refuses the submission. `detail` is the zh-CN
/// message naming the subjects, `message` both languages, `errors` one entry per finding (`field`
/// `guards`, the finding's code, its message) and `findings` each with its subject
/// (`{code, severity, subject: {kind, id, name}, message: {zh, en}}`).
fn guarded(message: &workflows::catalog::Label, findings: &[workflows::guard::GuardFinding]) -> Response {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let errors: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| json!({ "field": "guards", "code": f.code, "message": format!("{}：{}", f.subject.name, f.message.zh) }))
        .collect();
    let body = json!({ "type": "about:blank", "title": "Blocked by a guard", "status": status.as_u16(),
                       "code": "guard_blocked", "detail": message.zh, "message": message,
                       "errors": errors, "findings": findings });
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Unauthorized => {
                let mut r = problem(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "Unauthorized",
                    "send Authorization: Bearer <token>",
                    json!([]),
                );
                r.headers_mut().insert(header::WWW_AUTHENTICATE, "Bearer".parse().expect("static header"));
                r
            }
            ApiError::MethodNotAllowed => problem(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method Not Allowed",
                "this route does not take that method",
                json!([]),
            ),
            ApiError::TooLarge => problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "Payload Too Large",
                "the body is over the limit",
                json!([]),
            ),
            ApiError::Status(status, code, message) => {
                problem(status, code, status.canonical_reason().unwrap_or("Error"), &message, json!([]))
            }
            ApiError::App(e) => match e {
                AppError::Invalid { code, message, fields } => {
                    let status = if matches!(code, "bad_json" | "bad_query" | "bad_path" | "bad_body") {
                        StatusCode::BAD_REQUEST
                    } else {
                        StatusCode::UNPROCESSABLE_ENTITY
                    };
                    problem(status, code, "Invalid input", &message, serde_json::to_value(fields).unwrap_or_default())
                }
                AppError::Forbidden(m) => problem(StatusCode::FORBIDDEN, "forbidden", "Forbidden", &m, json!([])),
                AppError::Guarded { message, findings } => guarded(&message, &findings),
                AppError::Refused { code, message } => {
                    problem(StatusCode::FORBIDDEN, code, "Forbidden", &message, json!([]))
                }
                AppError::NotFound(m) => problem(StatusCode::NOT_FOUND, "not_found", "Not Found", &m, json!([])),
                AppError::Conflict { code, message } => {
                    problem(StatusCode::CONFLICT, code, "Conflict", &message, json!([]))
                }
                AppError::Internal(cause) if storage_full(&cause) => {
                    tracing::error!(error = %format!("{cause:#}"), "the database's disk is full");
                    problem(
                        StatusCode::INSUFFICIENT_STORAGE,
                        "storage_full",
                        "Insufficient Storage",
                        "the database's disk is full; nothing was changed (an operator must free space)",
                        json!([]),
                    )
                }
                AppError::Internal(cause) if unavailable(&cause) => {
                    tracing::warn!(error = %format!("{cause:#}"), "the database is unavailable");
                    let mut r = problem(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "unavailable",
                        "Service Unavailable",
                        "the database cannot be reached just now; nothing was changed, try again shortly",
                        json!([]),
                    );
                    r.headers_mut().insert(header::RETRY_AFTER, "2".parse().expect("static header"));
                    r
                }
                AppError::Internal(cause) => {
                    tracing::error!(error = %format!("{cause:#}"), "internal error");
                    problem(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "Internal Server Error",
                        "something went wrong on our side",
                        json!([]),
                    )
                }
            },
        }
    }
}
