//! Health, definitions (admin) and tokens (admin).

use super::{ApiError, Caller, Json, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Router, extract};
use entities::sea_orm::ConnectionTrait;
use serde::Deserialize;
use serde_json::{Value, json};

/// The routes.
pub fn router() -> Router<State> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/api/v1/definitions", get(list_definitions).post(create_definition))
        .route("/api/v1/definitions/validate", post(validate))
        .route("/api/v1/definitions/{key}/{version}", get(show_definition))
        .route("/api/v1/definitions/{key}/diff", get(diff))
        .route("/api/v1/definitions/{key}/{version}/publish", post(publish))
        .route("/api/v1/tokens", post(create_token))
        .route("/api/v1/deliveries", get(deliveries))
        .route("/api/v1/deliveries/{id}/retry", post(retry_delivery))
        .route("/api/v1/mail-actions", get(mail_actions))
}

/// `ready`, or why not; a missing year of holiday data is a warning line after `ready` (the
/// daemon still serves, but deadlines in that year ignore holidays and 调休).
async fn ready(extract::State(app): extract::State<State>) -> (StatusCode, String) {
    use entities::MigratorTrait;
    if app.db.execute_unprepared("SELECT 1").await.is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable".into());
    }
    match entities::Migrator::get_pending_migrations(&app.db).await {
        Ok(pending) if pending.is_empty() => match app.calendar_warning() {
            Some(w) => (StatusCode::OK, format!("ready\nwarning: {w}")),
            None => (StatusCode::OK, "ready".into()),
        },
        Ok(_) => (StatusCode::SERVICE_UNAVAILABLE, "migrations pending: run liandong migrate".into()),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable".into()),
    }
}

/// `?from=1&to=2`.
#[derive(Debug, Deserialize)]
struct DiffQuery {
    from: i32,
    to: i32,
}

/// A unified diff of two versions' YAML.
async fn diff(
    extract::State(app): extract::State<State>,
    Caller(_who): Caller,
    Path(key): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let get = |v: i32| {
        let app = app.clone();
        let key = key.clone();
        async move {
            entities::store::definitions::get(&app.db, &key, v)
                .await
                .map_err(crate::app::AppError::from)?
                .ok_or_else(|| crate::app::AppError::NotFound(format!("no workflow `{key}` version {v}")))
        }
    };
    let (a, b) = (get(q.from).await?, get(q.to).await?);
    let d = similar::TextDiff::from_lines(&a.yaml, &b.yaml);
    let unified = d
        .unified_diff()
        .context_radius(3)
        .header(&format!("{key} v{}", q.from), &format!("{key} v{}", q.to))
        .to_string();
    let (added, removed) = d.iter_all_changes().fold((0, 0), |(a, r), c| match c.tag() {
        similar::ChangeTag::Insert => (a + 1, r),
        similar::ChangeTag::Delete => (a, r + 1),
        similar::ChangeTag::Equal => (a, r),
    });
    Ok(axum::Json(
        json!({ "key": key, "from": q.from, "to": q.to, "added": added, "removed": removed, "diff": unified }),
    ))
}

fn row_json(r: &entities::store::definitions::Row, with_yaml: bool) -> Value {
    let mut v = json!({
        "key": r.key, "version": r.version, "status": r.status, "created_by": r.created_by,
        "created_at": entities::store::from_millis(r.created_at),
        "published_by": r.published_by, "published_at": r.published_at.map(entities::store::from_millis),
    });
    if with_yaml {
        v["yaml"] = Value::String(r.yaml.clone());
    }
    v
}

async fn list_definitions(
    extract::State(app): extract::State<State>,
    Caller(_who): Caller,
) -> Result<axum::Json<Value>, ApiError> {
    let rows = entities::store::definitions::list(&app.db).await.map_err(crate::app::AppError::from)?;
    Ok(axum::Json(json!({ "items": rows.iter().map(|r| row_json(r, false)).collect::<Vec<_>>() })))
}

async fn show_definition(
    extract::State(app): extract::State<State>,
    Caller(_who): Caller,
    Path((key, version)): Path<(String, i32)>,
) -> Result<axum::Json<Value>, ApiError> {
    let row = entities::store::definitions::get(&app.db, &key, version)
        .await
        .map_err(crate::app::AppError::from)?
        .ok_or_else(|| crate::app::AppError::NotFound(format!("no workflow `{key}` version {version}")))?;
    Ok(axum::Json(row_json(&row, true)))
}

/// YAML in a JSON body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlBody {
    yaml: String,
    #[serde(default)]
    publish: bool,
}

async fn validate(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Json(body): Json<YamlBody>,
) -> Result<axum::Json<Value>, ApiError> {
    let diags = app.validate_definition(&who, &body.yaml)?;
    let valid = !workflows::diag::has_errors(&diags);
    Ok(axum::Json(json!({ "valid": valid, "diagnostics": diags })))
}

async fn create_definition(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Json(body): Json<YamlBody>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let row = app.save_definition(&who, &body.yaml, body.publish).await?;
    Ok((StatusCode::CREATED, axum::Json(row_json(&row, false))))
}

async fn publish(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path((key, version)): Path<(String, i32)>,
) -> Result<axum::Json<Value>, ApiError> {
    let row = app.publish_definition(&who, &key, version).await?;
    Ok(axum::Json(row_json(&row, false)))
}

/// A token to create.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    person: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    admin: bool,
}

async fn create_token(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Json(body): Json<NewToken>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let token = app.create_token_as(&who, &body.person, body.name.as_deref().unwrap_or("api"), body.admin).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({ "person": body.person, "token": token }))))
}

/// `?status=failed` (default), `pending` or `sent`.
#[derive(Debug, Deserialize)]
struct DeliveriesQuery {
    #[serde(default)]
    status: Option<String>,
}

fn delivery_json(r: &entities::entity::workflow::outbox::Model) -> Value {
    json!({ "id": r.id, "request": r.request_id, "recipient": r.recipient, "template": r.template, "lang": r.lang,
            "status": r.status, "attempts": r.attempts, "last_error": r.last_error,
            "created_at": entities::store::from_millis(r.created_at), "sent_at": r.sent_at.map(entities::store::from_millis) })
}

async fn deliveries(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Query(q): Query<DeliveriesQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    crate::app::definitions::admin(&who)?;
    let status = q.status.unwrap_or_else(|| "failed".into());
    let rows = entities::store::jobs::deliveries(&app.db, &status, 200).await.map_err(crate::app::AppError::from)?;
    Ok(axum::Json(json!({ "items": rows.iter().map(delivery_json).collect::<Vec<_>>() })))
}

async fn retry_delivery(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, ApiError> {
    crate::app::definitions::admin(&who)?;
    let now = chrono::Utc::now().timestamp_millis();
    if !entities::store::jobs::retry_delivery(&app.db, id, now).await.map_err(crate::app::AppError::from)? {
        return Err(crate::app::AppError::Conflict {
            code: "not_failed",
            message: format!("delivery {id} is not a failed one"),
        }
        .into());
    }
    Ok(axum::Json(json!({ "id": id, "status": "pending" })))
}

#[derive(Debug, Deserialize)]
struct MailActionsQuery {
    #[serde(default)]
    outcome: Option<String>,
}

/// Every attempt to act through mail, newest first (admins): links and replies, decided,
/// refused (and why) or unclear.
async fn mail_actions(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Query(q): Query<MailActionsQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    crate::app::definitions::admin(&who)?;
    let rows = entities::store::actions::attempts(&app.db, q.outcome.as_deref(), 500)
        .await
        .map_err(crate::app::AppError::from)?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({ "id": r.id, "at": entities::store::from_millis(r.at), "channel": r.channel, "outcome": r.outcome,
                    "reason": r.reason, "request": r.request_id, "task": r.task_no, "person": r.person_id,
                    "sender": r.sender, "address": r.address, "user_agent": r.user_agent })
        })
        .collect();
    Ok(axum::Json(json!({ "items": items })))
}
