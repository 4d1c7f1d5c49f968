//! `/api/v1/ledger`: the liaisons' work ledger (M2 工作台账) — write an entry (the caller is its
//! author), list with filters and a keyset cursor, read one, edit one's own within the edit
//! window (no delete: it is a record), and a person's summary per target.

use super::{ApiError, Caller, Json, Path, Query, State};
use crate::app::ledger::{semester_start, target_name, today};
use crate::app::{AppError, Principal};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Router, extract};
use chrono::NaiveDate;
use entities::store::ledger::{ListFilter, StoredEntry};
use serde::Deserialize;
use serde_json::{Value, json};
use workflows::catalog::Lang;
use workflows::org::{Directory, OrgDirectory};
use workflows::records::{Semester, TargetKind};

/// The routes.
pub fn router() -> Router<State> {
    Router::new()
        .route("/api/v1/ledger", get(list).post(add))
        .route("/api/v1/ledger/summary", get(summary))
        .route("/api/v1/ledger/{id}", get(show).patch(edit))
}

/// An entry as the API shows it: the fields as written, names as people read them (zh-CN),
/// times in RFC 3339 and until when its author may edit it.
fn view(app: &State, org: &OrgDirectory, e: &StoredEntry) -> Value {
    let x = &e.entry;
    json!({
        "id": x.id,
        "liaison": x.liaison,
        "liaison_name": org.person(&x.liaison).map(|p| p.name.clone()),
        "target": { "kind": x.target.kind, "id": x.target.id, "name": target_name(org, &x.target, Lang::Zh) },
        "department": e.department,
        "date": x.date,
        "mode": x.mode,
        "problem": x.problem,
        "help": x.help,
        "resolution": x.resolution,
        "created_at": x.created_at,
        "updated_at": e.updated_at,
        "editable_until": app.ledger_editable_until(x.created_at),
    })
}

async fn add(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<impl IntoResponse, ApiError> {
    let key = super::idempotency_key(&headers);
    let e = app.add_ledger_entry(&who, &body, key.as_deref()).await?;
    let location = HeaderValue::from_str(&format!("/api/v1/ledger/{}", e.entry.id))
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    let v = view(&app, &app.org(), &e);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(v)))
}

async fn show(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let e = app.ledger_entry(&who, &id).await?;
    Ok(axum::Json(view(&app, &app.org(), &e)))
}

async fn edit(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<axum::Json<Value>, ApiError> {
    let e = app.edit_ledger_entry(&who, &id, &body).await?;
    Ok(axum::Json(view(&app, &app.org(), &e)))
}

/// `me` is the caller.
fn person(who: &Principal, p: Option<String>) -> Option<String> {
    p.map(|p| if p == "me" { who.person.clone() } else { p })
}

/// Filters and the cursor of a ledger list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// The author (`me` for the caller).
    #[serde(default)]
    liaison: Option<String>,
    #[serde(default)]
    target_kind: Option<TargetKind>,
    #[serde(default)]
    target_id: Option<String>,
    #[serde(default)]
    department: Option<String>,
    /// Contacts on or after.
    #[serde(default)]
    from: Option<NaiveDate>,
    /// Contacts on or before.
    #[serde(default)]
    to: Option<NaiveDate>,
    /// The `next` of the previous page.
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<u64>,
}

async fn list(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let after = super::paging::decode_cursor("ledger", q.cursor.as_deref())?;
    let limit = super::paging::page_limit(q.limit);
    let filter = ListFilter {
        liaison: person(&who, q.liaison),
        target_kind: q.target_kind,
        target_id: q.target_id,
        department: q.department,
        from: q.from,
        to: q.to,
        after,
    };
    let rows = app.ledger_list(&who, &filter, limit + 1).await?;
    let org = app.org();
    Ok(axum::Json(super::paging::page(
        "ledger",
        &rows,
        limit,
        |e| (e.entry.created_at.timestamp_millis(), &e.entry.id),
        |e| view(&app, &org, e),
    )))
}

/// Whose summary (`me` by default) and the period of contacts (the current semester so far by
/// default).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SummaryQuery {
    #[serde(default)]
    person: Option<String>,
    #[serde(default)]
    from: Option<NaiveDate>,
    #[serde(default)]
    to: Option<NaiveDate>,
}

async fn summary(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Query(q): Query<SummaryQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let person = person(&who, q.person).unwrap_or_else(|| who.person.clone());
    let to = q.to.unwrap_or_else(today);
    let from = q.from.unwrap_or_else(|| semester_start(Semester::of(to)));
    if from > to {
        return Err(AppError::Invalid {
            code: "bad_period",
            message: format!("`from` ({from}) is after `to` ({to})"),
            fields: vec![workflows::form::FieldError {
                field: "from".into(),
                code: "bad_period",
                message: "`from` must be on or before `to`".into(),
            }],
        }
        .into());
    }
    let org = app.org();
    if org.person(&person).is_none() {
        return Err(AppError::NotFound(format!("nobody is known as `{person}`")).into());
    }
    let lines = app.ledger_summary(&who, &person, from, to).await?;
    let total = |f: fn(&entities::store::ledger::TargetSummary) -> i64| lines.iter().map(f).sum::<i64>();
    let items: Vec<Value> = lines
        .iter()
        .map(|l| {
            json!({
                "target": { "kind": l.target.kind, "id": l.target.id, "name": target_name(&org, &l.target, Lang::Zh) },
                "entries": l.entries, "problems": l.problems, "solved": l.solved,
            })
        })
        .collect();
    Ok(axum::Json(json!({
        "person": person, "from": from, "to": to, "items": items,
        "total": { "entries": total(|l| l.entries), "problems": total(|l| l.problems), "solved": total(|l| l.solved) },
    })))
}
