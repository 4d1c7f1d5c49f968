//! `/api/v1/requests` and `/api/v1/tasks`: submit, read, withdraw, resubmit, comment; my open
//! tasks; decide, acknowledge, transfer, add a reviewer.

use super::client::ClientAddr;
use super::{ApiError, Caller, Json, Path, Query, State, meta};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Router, extract};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use workflows::engine::{Command, Instance, Status, TaskKind};
use workflows::org::Directory;

/// The routes.
pub fn router() -> Router<State> {
    Router::new()
        .route("/api/v1/requests", post(submit).get(list))
        .route("/api/v1/requests/{id}", get(show))
        .route("/api/v1/requests/{id}/events", get(events))
        .route("/api/v1/requests/{id}/withdraw", post(withdraw))
        .route("/api/v1/requests/{id}/resubmit", post(resubmit))
        .route("/api/v1/requests/{id}/comments", post(comment))
        .route("/api/v1/requests/{id}/follow-ups", post(follow_up))
        .route("/api/v1/requests/{id}/tasks/{task}/decision", post(decide))
        .route("/api/v1/requests/{id}/tasks/{task}/acknowledge", post(acknowledge))
        .route("/api/v1/requests/{id}/tasks/{task}/extension", post(extend))
        .route("/api/v1/requests/{id}/tasks/{task}/transfer", post(transfer))
        .route("/api/v1/requests/{id}/tasks/{task}/reviewers", post(add_reviewer))
        .route("/api/v1/tasks", get(my_tasks))
}

/// A submission.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Submit {
    workflow: String,
    form: Value,
    /// Submit although the definition's `guards:` block it, with a reason (the guard's
    /// `override.who` only): `{"reason": "…"}`.
    #[serde(default)]
    guard_override: Option<GuardOverride>,
}

/// `guard_override` of a submission.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GuardOverride {
    reason: String,
}

/// An open task as the API shows it.
#[derive(Debug, Serialize)]
struct TaskView {
    request: String,
    task: u32,
    step: String,
    kind: &'static str,
    assignee: String,
    assignee_name: String,
    on_behalf_of: Option<String>,
    due_at: Option<chrono::DateTime<chrono::Utc>>,
    /// What the task takes at `.../decision` (or `.../acknowledge`): approve, reject, return or
    /// acknowledge, then the step's named options.
    decisions: Vec<String>,
    /// The decision form: the fields the step's reviewer fills (`fields:` of the step and of its
    /// options), by name.
    fields: Vec<String>,
    /// Extensions still open to the assignee on this visit of the step (`extension:`), if it has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    extensions_left: Option<u32>,
    /// A score sheet's criteria (`score:` steps): what `scores` of the decision must give.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    criteria: Vec<CriterionView>,
}

/// One criterion of a score sheet.
#[derive(Debug, Serialize)]
struct CriterionView {
    key: String,
    label: workflows::catalog::Label,
    weight: u32,
    max: u32,
}

fn criteria_of(step: Option<&workflows::model::Step>) -> Vec<CriterionView> {
    match step.map(|s| &s.kind) {
        Some(workflows::model::StepKind::Score(spec)) => spec
            .criteria
            .iter()
            .map(|c| CriterionView {
                key: c.key.value.clone(),
                label: c.label.clone(),
                weight: c.weight.value,
                max: c.max.value,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A request as the API shows it.
#[derive(Debug, Serialize)]
struct RequestView {
    id: String,
    workflow: String,
    version: u32,
    title: String,
    status: String,
    submitter: String,
    need_to_know: bool,
    round: u32,
    submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    finished_at: Option<chrono::DateTime<chrono::Utc>>,
    form: serde_json::Map<String, Value>,
    open_tasks: Vec<TaskView>,
}

/// The request as the API shows it, with what its open tasks take (from its definition).
async fn view_of(app: &State, st: &Instance) -> RequestView {
    let def = app.definition(&st.key, st.version).await.ok();
    view(app, st, def.as_deref())
}

fn view(app: &State, st: &Instance, def: Option<&workflows::model::Definition>) -> RequestView {
    let org = app.org();
    let step_of = |t: &workflows::engine::Task| def.and_then(|d| d.step(&t.step));
    let status = match st.status {
        Status::Finished(o) => o.as_str().to_string(),
        Status::Running => "running".into(),
        Status::Returned => "returned".into(),
        Status::Draft => "draft".into(),
    };
    RequestView {
        id: st.id.clone(),
        workflow: st.key.clone(),
        version: st.version,
        title: st.title.clone(),
        status,
        submitter: st.submitter.id.clone(),
        need_to_know: st.need_to_know,
        round: st.round,
        submitted_at: st.submitted_at,
        finished_at: st.finished_at,
        form: st.form.clone(),
        open_tasks: st
            .open_tasks()
            .map(|t| TaskView {
                request: st.id.clone(),
                task: t.id,
                step: t.step.clone(),
                kind: match t.kind {
                    TaskKind::Approve => "approve",
                    TaskKind::Acknowledge => "acknowledge",
                    TaskKind::Score => "score",
                },
                assignee: t.assignee.clone(),
                assignee_name: org.person(&t.assignee).map(|p| p.name.clone()).unwrap_or_default(),
                on_behalf_of: t.on_behalf_of.clone(),
                due_at: t.due_at,
                decisions: crate::app::actions::allowed(t.kind)
                    .iter()
                    .map(|d| crate::web::links::decision_value(*d).to_string())
                    .chain((t.kind == TaskKind::Score).then(|| "score".to_string()))
                    .chain(step_of(t).into_iter().flat_map(|s| s.decision.options.iter().map(|o| o.name.clone())))
                    .collect(),
                fields: step_of(t)
                    .into_iter()
                    .flat_map(|s| {
                        s.decision.fields.iter().chain(s.decision.options.iter().flat_map(|o| o.fields.iter()))
                    })
                    .map(|f| f.name.clone())
                    .collect(),
                extensions_left: step_of(t)
                    .and_then(|s| s.decision.extension.as_ref())
                    .map(|x| x.max.saturating_sub(st.runs.get(&t.run).map_or(0, |r| r.extensions))),
                criteria: criteria_of(step_of(t)),
            })
            .collect(),
    }
}

async fn submit(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    headers: HeaderMap,
    client: ClientAddr,
    Json(body): Json<Submit>,
) -> Result<(StatusCode, axum::Json<RequestView>), ApiError> {
    let reason = body.guard_override.map(|o| o.reason);
    let st = app.submit_guarded(&who, &body.workflow, &body.form, reason, meta(&headers, client, true)).await?;
    Ok((StatusCode::CREATED, axum::Json(view_of(&app, &st).await)))
}

async fn show(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<RequestView>, ApiError> {
    let loaded = app.visible(&who, &id).await?;
    Ok(axum::Json(view_of(&app, &loaded.state).await))
}

async fn events(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    app.visible(&who, &id).await?;
    let rows = entities::store::requests::events(&app.db, &id).await.map_err(crate::app::AppError::from)?;
    let list: Vec<Value> = rows
        .into_iter()
        .map(|(e, r)| {
            let mut v = serde_json::to_value(&e).unwrap_or_default();
            v["hash"] = Value::String(r.hash);
            v["address"] = r.address.map_or(Value::Null, Value::String);
            v["user_agent"] = r.user_agent.map_or(Value::Null, Value::String);
            v
        })
        .collect();
    Ok(axum::Json(Value::Array(list)))
}

async fn run(
    app: &State,
    who: &crate::app::Principal,
    id: &str,
    cmd: Command,
    headers: &HeaderMap,
    client: ClientAddr,
) -> Result<axum::Json<RequestView>, ApiError> {
    let st = app.command(who, id, cmd, meta(headers, client, false)).await?;
    Ok(axum::Json(view_of(app, &st).await))
}

async fn withdraw(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    headers: HeaderMap,
    client: ClientAddr,
    Path(id): Path<String>,
) -> Result<axum::Json<RequestView>, ApiError> {
    run(&app, &who, &id, Command::Withdraw, &headers, client).await
}

/// A resubmission, with a corrected form or none.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Resubmit {
    #[serde(default)]
    form: Option<Value>,
    /// Resubmit although the definition's `guards:` block it, as at a submission.
    #[serde(default)]
    guard_override: Option<GuardOverride>,
}

async fn resubmit(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    headers: HeaderMap,
    client: ClientAddr,
    Path(id): Path<String>,
    Json(body): Json<Resubmit>,
) -> Result<axum::Json<RequestView>, ApiError> {
    let guard =
        workflows::guard::GuardFacts { findings: Vec::new(), override_reason: body.guard_override.map(|o| o.reason) };
    run(&app, &who, &id, Command::Resubmit { form: body.form, guard }, &headers, client).await
}

/// A comment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentBody {
    text: String,
}

async fn comment(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    headers: HeaderMap,
    client: ClientAddr,
    Path(id): Path<String>,
    Json(body): Json<CommentBody>,
) -> Result<axum::Json<RequestView>, ApiError> {
    run(&app, &who, &id, Command::Comment { text: body.text }, &headers, client).await
}

/// A follow-up report (续报), M1 incidents: `{"text": "…"}` (1 to 20,000 characters).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FollowUpBody {
    text: String,
}

/// `POST /api/v1/requests/{id}/follow-ups`: a follow-up report on a running request whose
/// definition has `follow_ups:`, by its submitter (or whom `follow_ups.who` names); answers the
/// request. Errors: 404 (not visible), 409 `follow_ups_not_allowed` / `request_finished` /
/// `not_allowed`, 422 `invalid_follow_up` (field `text`).
async fn follow_up(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    headers: HeaderMap,
    client: ClientAddr,
    Path(id): Path<String>,
    Json(body): Json<FollowUpBody>,
) -> Result<axum::Json<RequestView>, ApiError> {
    run(&app, &who, &id, Command::FollowUp { text: body.text }, &headers, client).await
}

/// A decision: `approve`, `reject`, `return`, or the name of one of the step's named options
/// (`options:`, e.g. `merge`); `fields` fills the step's (or the option's) decision form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Decide {
    decision: String,
    #[serde(default)]
    comment: Option<String>,
    /// For a return: an earlier step instead of the definition's target.
    #[serde(default)]
    to: Option<String>,
    /// The decision form's values (the step's `fields:`, or the option's).
    #[serde(default)]
    fields: Option<serde_json::Map<String, Value>>,
    /// A score sheet (`"decision": "score"`): criterion key → score (0 to the criterion's max).
    #[serde(default)]
    scores: Option<serde_json::Map<String, Value>>,
}

async fn decide(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    headers: HeaderMap,
    client: ClientAddr,
    Path((id, task)): Path<(String, u32)>,
    Json(body): Json<Decide>,
) -> Result<axum::Json<RequestView>, ApiError> {
    let bad = |field: &str, message: String| crate::app::AppError::Invalid {
        code: "bad_decision",
        message: message.clone(),
        fields: vec![workflows::form::FieldError { field: field.into(), code: "bad_decision", message }],
    };
    let fields = match (body.decision.as_str(), body.scores) {
        ("score", Some(_)) if body.fields.is_some() => {
            return Err(bad("fields", "a score sheet carries `scores`, not `fields`".into()).into());
        }
        ("score", scores) => scores.unwrap_or_default(),
        (d, Some(_)) => {
            return Err(bad("scores", format!("`scores` goes with `\"decision\": \"score\"`, not `{d}`")).into());
        }
        (_, None) => body.fields.unwrap_or_default(),
    };
    let cmd = match body.decision.as_str() {
        "acknowledge" | "extend" => {
            return Err(crate::app::AppError::Invalid {
                code: "bad_decision",
                message: format!(
                    "`{}` has its own route: POST .../tasks/{task}/{}",
                    body.decision,
                    if body.decision == "extend" { "extension" } else { "acknowledge" }
                ),
                fields: vec![],
            }
            .into());
        }
        "return" => Command::Return { task, comment: body.comment, to: body.to },
        d => crate::app::actions::command_named(d, task, body.comment, fields),
    };
    run(&app, &who, &id, cmd, &headers, client).await
}

/// An extension (`extension:` of the step): the reason, optional.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Extend {
    #[serde(default)]
    comment: Option<String>,
}

/// The task's assignee asks for more time; the step's due time moves (409 `extension_exhausted`
/// when none is left).
async fn extend(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    headers: HeaderMap,
    client: ClientAddr,
    Path((id, task)): Path<(String, u32)>,
    Json(body): Json<Extend>,
) -> Result<axum::Json<RequestView>, ApiError> {
    run(&app, &who, &id, Command::Extend { task, comment: body.comment }, &headers, client).await
}

/// An acknowledgement with an optional comment.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Ack {
    #[serde(default)]
    comment: Option<String>,
    /// The decision form's values (the step's `fields:`, e.g. a rating).
    #[serde(default)]
    fields: Option<serde_json::Map<String, Value>>,
}

async fn acknowledge(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    headers: HeaderMap,
    client: ClientAddr,
    Path((id, task)): Path<(String, u32)>,
    Json(body): Json<Ack>,
) -> Result<axum::Json<RequestView>, ApiError> {
    let cmd = crate::app::actions::command_named("acknowledge", task, body.comment, body.fields.unwrap_or_default());
    run(&app, &who, &id, cmd, &headers, client).await
}

/// A transfer (转交).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Transfer {
    to: String,
    #[serde(default)]
    comment: Option<String>,
}

async fn transfer(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    headers: HeaderMap,
    client: ClientAddr,
    Path((id, task)): Path<(String, u32)>,
    Json(body): Json<Transfer>,
) -> Result<axum::Json<RequestView>, ApiError> {
    run(&app, &who, &id, Command::Transfer { task, to: body.to, comment: body.comment }, &headers, client).await
}

/// An added reviewer (加签).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddReviewer {
    person: String,
    #[serde(default)]
    comment: Option<String>,
}

async fn add_reviewer(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    headers: HeaderMap,
    client: ClientAddr,
    Path((id, task)): Path<(String, u32)>,
    Json(body): Json<AddReviewer>,
) -> Result<axum::Json<RequestView>, ApiError> {
    run(&app, &who, &id, Command::AddReviewer { task, person: body.person, comment: body.comment }, &headers, client)
        .await
}

/// `?assignee=me` (the default) or, for admins, a person id.
#[derive(Debug, Deserialize)]
struct TasksQuery {
    #[serde(default)]
    assignee: Option<String>,
    #[serde(default)]
    limit: Option<u64>,
}

async fn my_tasks(
    extract::State(app): extract::State<State>,
    Caller(who): Caller,
    Query(q): Query<TasksQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let person = match q.assignee.as_deref() {
        None | Some("me") => who.person.clone(),
        Some(p) if who.admin => p.to_string(),
        Some(_) => {
            return Err(crate::app::AppError::Forbidden("only admins may list another person's tasks".into()).into());
        }
    };
    let rows = entities::store::requests::open_tasks_of(&app.db, &person, q.limit.unwrap_or(100).min(500))
        .await
        .map_err(crate::app::AppError::from)?;
    let org = app.org();
    let list: Vec<Value> = rows
        .into_iter()
        .map(|t| {
            serde_json::json!({
                "request": t.request_id, "task": t.task_no, "step": t.step, "kind": t.kind,
                "assignee": t.assignee, "assignee_name": org.person(&t.assignee).map(|p| p.name.clone()),
                "on_behalf_of": t.on_behalf_of,
                "created_at": entities::store::from_millis(t.created_at), "due_at": t.due_at.map(entities::store::from_millis),
            })
        })
        .collect();
    Ok(axum::Json(serde_json::json!({ "items": list })))
}

/// Filters and the cursor of a request list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// `running`, `returned`, `approved`, `rejected`, `withdrawn`, `abandoned`.
    #[serde(default)]
    status: Option<String>,
    /// A workflow key.
    #[serde(default)]
    workflow: Option<String>,
    /// `me` (default for members): what I submitted; admins may name anyone or leave it out.
    #[serde(default)]
    submitter: Option<String>,
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
    let submitter = match q.submitter.as_deref() {
        Some("me") => Some(who.person.clone()),
        Some(p) if who.admin => Some(p.to_string()),
        Some(_) => {
            return Err(crate::app::AppError::Forbidden("only admins may list another person's requests".into()).into());
        }
        None if who.admin => None,
        None => Some(who.person.clone()),
    };
    let cursor = super::paging::decode_cursor("requests", q.cursor.as_deref())?;
    let limit = super::paging::page_limit(q.limit);
    let filter =
        entities::store::requests::ListFilter { status: q.status, workflow: q.workflow, submitter, after: cursor };
    let rows =
        entities::store::requests::list(&app.db, &filter, limit + 1).await.map_err(crate::app::AppError::from)?;
    Ok(axum::Json(super::paging::page(
        "requests",
        &rows,
        limit,
        |r| (r.created_at, &r.id),
        |r| {
            serde_json::json!({ "id": r.id, "workflow": r.key, "version": r.version, "title": r.title, "status": r.status,
                            "submitter": r.submitter, "created_at": entities::store::from_millis(r.created_at),
                            "updated_at": entities::store::from_millis(r.updated_at) })
        },
    )))
}
