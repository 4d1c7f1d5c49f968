//! The HTTP API v1 (axum): routers per face of the API, problem+json errors, bearer auth, a
//! 1 MiB body limit.

mod assessment;
pub mod client;
mod compliance;
pub mod docs;
mod error;
mod ledger;
pub mod metrics;
mod org;
mod paging;
mod participation;
mod records;
mod reporting;
mod requests;
pub mod serve;
mod stats;
mod system;
mod tokens;

pub use error::ApiError;

use crate::app::{App, AppError, Principal};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::{Router, extract::DefaultBodyLimit};
use std::sync::Arc;

/// Shared state of the handlers.
pub type State = Arc<App>;

/// The whole HTTP API.
pub fn router(app: State, body_limit: usize) -> Router {
    Router::new()
        .merge(system::router())
        .merge(requests::router())
        .merge(org::router())
        .merge(ledger::router())
        .merge(records::router())
        .merge(reporting::router())
        .merge(participation::router())
        .merge(compliance::router())
        .merge(stats::router())
        .merge(assessment::router())
        .merge(crate::web::assessment::router())
        .merge(tokens::router())
        .merge(docs::router())
        .merge(crate::web::links::router())
        .merge(crate::web::session::router())
        .merge(crate::web::reporting::router())
        .route("/metrics", axum::routing::get(metrics::render))
        .fallback(|| async { ApiError::App(AppError::NotFound("no such route".into())) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(app.clone(), metrics::track))
        .layer(axum::middleware::map_response(nosniff))
        .with_state(app)
}

/// `X-Content-Type-Options: nosniff` on every response (API, pages, errors): a browser takes a
/// body for its declared type only (Fetch standard, "X-Content-Type-Options" header).
async fn nosniff(mut resp: axum::response::Response) -> axum::response::Response {
    resp.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, axum::http::HeaderValue::from_static("nosniff"));
    resp
}

/// The authenticated caller, from `Authorization: Bearer <token>`.
pub struct Caller(pub Principal);

impl FromRequestParts<State> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &State) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        match app.authenticate(token).await.map_err(ApiError::from)? {
            Some(p) => Ok(Caller(p)),
            None => Err(ApiError::Unauthorized),
        }
    }
}

/// JSON bodies whose rejections are problem+json with the reason.
pub struct Json<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(rej) => {
                let status = rej.status();
                if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    return Err(ApiError::TooLarge);
                }
                Err(ApiError::App(AppError::Invalid { code: "bad_json", message: rej.body_text(), fields: vec![] }))
            }
        }
    }
}

/// Path parameters whose rejections are problem+json (400, `bad_path`) with the reason.
pub struct Path<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(rej) => {
                Err(ApiError::App(AppError::Invalid { code: "bad_path", message: rej.body_text(), fields: vec![] }))
            }
        }
    }
}

/// Query strings whose rejections are problem+json (400, `bad_query`) with the reason.
pub struct Query<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(rej) => {
                Err(ApiError::App(AppError::Invalid { code: "bad_query", message: rej.body_text(), fields: vec![] }))
            }
        }
    }
}

/// Text bodies (the org's YAML) whose rejections are problem+json.
pub struct Text(pub String);

impl<S: Send + Sync> FromRequest<S> for Text {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match String::from_request(req, state).await {
            Ok(s) => Ok(Text(s)),
            Err(rej) if rej.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::TooLarge),
            Err(rej) => {
                Err(ApiError::App(AppError::Invalid { code: "bad_body", message: rej.body_text(), fields: vec![] }))
            }
        }
    }
}

/// The request's `Idempotency-Key` (1 to 128 characters; another is as none).
pub fn idempotency_key(headers: &HeaderMap) -> Option<String> {
    let k = headers.get("idempotency-key")?.to_str().ok()?.trim();
    (!k.is_empty() && k.len() <= 128).then(|| k.to_string())
}

/// Address and user agent of a request, for the audit trail.
pub fn meta(headers: &HeaderMap, client: client::ClientAddr, idempotency_key: bool) -> entities::store::requests::Meta {
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(String::from);
    entities::store::requests::Meta {
        address: Some(client.0.to_string()),
        user_agent: h("user-agent"),
        idempotency_key: if idempotency_key { self::idempotency_key(headers) } else { None },
        channel: workflows::engine::Channel::Api,
        opened_at: None,
    }
}
