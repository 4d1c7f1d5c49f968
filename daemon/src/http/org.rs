//! `/api/v1/org`: import and export the whole org as YAML (admins), people, delegations.

use super::{ApiError, Caller, Json, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get};
use axum::{Router, extract};
use serde_json::{Value, json};
use workflows::org::{Delegation, Directory};

/// The routes.
pub fn router() -> Router<State> {
    Router::new()
        // A whole org is large (the 150,000-student one is ~30 MB): its own limit.
        .route("/api/v1/org", get(export).put(import).layer(axum::extract::DefaultBodyLimit::max(64 << 20)))
        .route("/api/v1/org/people/{id}", get(person))
        .route("/api/v1/org/delegations", get(delegations).post(delegate))
        .route("/api/v1/org/delegations/{id}", delete(end_delegation))
        .route("/api/v1/org/posts", get(posts))
        .route("/api/v1/org/liaisons", get(liaisons))
}

async fn export(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
) -> Result<impl IntoResponse, ApiError> {
    let yaml = app.export_org(&who)?;
    Ok(([(header::CONTENT_TYPE, "application/yaml; charset=utf-8")], yaml))
}

/// `?move_open_tasks_to=selector|person:<id>`: where the open tasks of people the import removes, or
/// of posts it ends (issue 10), go.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    #[serde(default)]
    move_open_tasks_to: Option<String>,
}

async fn import(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Query(q): Query<ImportQuery>,
    super::Text(body): super::Text,
) -> Result<axum::Json<Value>, ApiError> {
    let to = q.move_open_tasks_to.as_deref().map(crate::app::App::parse_move_open_tasks).transpose()?;
    let imported = app.import_org(&who, &body, to, |_, _| {}).await?;
    Ok(axum::Json(serde_json::to_value(imported).unwrap_or_default()))
}

async fn person(
    extract::State(app): extract::State<State>,
    Caller(_who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let org = app.org();
    let p = org.person(&id).ok_or_else(|| crate::app::AppError::NotFound(format!("nobody is known as `{id}`")))?;
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let posts: Vec<Value> = org.posts_of(&p.id, today).iter().map(|post| json!({ "body": post.body, "role": post.role, "division": post.division, "from": post.from, "to": post.to })).collect();
    Ok(axum::Json(json!({ "id": p.id, "name": p.name, "department": p.department, "class": p.class, "posts": posts })))
}

fn delegation_json(id: i64, d: &Delegation) -> Value {
    json!({ "id": id, "from": d.from, "to": d.to, "starts": d.starts, "ends": d.ends, "definitions": d.definitions,
            "active": d.starts <= chrono::Utc::now() && chrono::Utc::now() < d.ends })
}

async fn delegate(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Json(d): Json<Delegation>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let id = app.add_delegation(&who, d.clone()).await?;
    Ok((StatusCode::CREATED, axum::Json(delegation_json(id, &d))))
}

async fn delegations(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
) -> Result<axum::Json<Value>, ApiError> {
    let items: Vec<Value> = app.list_delegations(&who).await?.iter().map(|(id, d)| delegation_json(*id, d)).collect();
    Ok(axum::Json(json!({ "items": items })))
}

async fn end_delegation(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    app.end_delegation(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `?body=department_su@cs` and/or `?person=…`: current posts.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PostsQuery {
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    person: Option<String>,
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

async fn posts(
    extract::State(app): extract::State<State>,
    Caller(_who): Caller,
    Query(q): Query<PostsQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let org = app.org();
    let list: Vec<&workflows::org::Post> = match (&q.body, &q.person) {
        (Some(b), _) => org
            .holders(b, &[], today())
            .into_iter()
            .filter(|p| q.person.as_ref().is_none_or(|x| &p.person == x))
            .collect(),
        (None, Some(p)) => org.posts_of(p, today()),
        (None, None) => {
            return Err(crate::app::AppError::Invalid {
                code: "missing_filter",
                message: "give ?body= or ?person=".into(),
                fields: vec![],
            }
            .into());
        }
    };
    Ok(axum::Json(json!({ "items": list })))
}

/// `?department=cs` or `?class=cs-2023-1`: current M2 liaisons.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LiaisonsQuery {
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    class: Option<String>,
}

async fn liaisons(
    extract::State(app): extract::State<State>,
    Caller(_who): Caller,
    Query(q): Query<LiaisonsQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let org = app.org();
    let Some(code) = q.department.or(q.class) else {
        return Err(crate::app::AppError::Invalid {
            code: "missing_filter",
            message: "give ?department= or ?class=".into(),
            fields: vec![],
        }
        .into());
    };
    Ok(axum::Json(json!({ "items": org.liaisons_of(&code, today()) })))
}
