//! `/api/v1/tokens`: list (an admin sees every token, anyone else their own; never a secret) and
//! revoke (`DELETE /api/v1/tokens/{id}`, by the token's owner or an admin: 401 from then on).

use super::{ApiError, Caller, Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Router, extract};
use serde_json::{Value, json};

/// The routes (`POST /api/v1/tokens` is in `system`).
pub fn router() -> Router<State> {
    Router::new().route("/api/v1/tokens", get(list)).route("/api/v1/tokens/{id}", delete(revoke))
}

async fn list(extract::State(app): extract::State<State>, Caller(who): Caller) -> Result<axum::Json<Value>, ApiError> {
    let items: Vec<Value> = app
        .list_tokens(&who)
        .await?
        .into_iter()
        .map(|t| {
            json!({ "id": t.id, "person": t.person_id, "name": t.name, "admin": t.admin,
                    "created_at": entities::store::from_millis(t.created_at),
                    "revoked_at": t.revoked_at.map(entities::store::from_millis) })
        })
        .collect();
    Ok(axum::Json(json!({ "items": items })))
}

async fn revoke(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    app.revoke_token(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
