//! Requests: one command's output saved in the caller's transaction — the state projection with
//! its row-version check, the events (hash-chained), the task inbox, outbox rows and timer rows.

use super::{StoreError, from_millis, millis};
use crate::entity::workflow::{event, request, task, timer};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use sha2::{Digest, Sha256};
use workflows::engine::{Effect, Event, EventKind, Instance, Output, TaskState};

/// Where a command came from, recorded on its events.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// Client address.
    pub address: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
    /// `Idempotency-Key` of a submit.
    pub idempotency_key: Option<String>,
    /// Through which channel the command came (api, web, email link, email reply…).
    pub channel: workflows::engine::Channel,
    /// When the decision form the command was posted from was rendered (UTC milliseconds, from
    /// its verified signed value): kept on the command's decision events.
    pub opened_at: Option<i64>,
}

/// A loaded request: its state and the row version a save must match.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The state.
    pub state: Instance,
    /// Row version for optimistic concurrency.
    pub row_version: i64,
    /// The hash of the newest event, when the row knows it.
    pub last_hash: Option<String>,
}

/// The hash of an event, chained to the previous one.
pub fn event_hash(prev: &str, request: &str, seq: i64, at: i64, kind: &str, body: &str) -> String {
    let mut h = Sha256::new();
    for part in [prev, request, &seq.to_string(), &at.to_string(), kind, body] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}

fn kind_name(k: &EventKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(String::from))
        .unwrap_or_default()
}

/// Loads a request.
pub async fn load<C: ConnectionTrait>(db: &C, id: &str) -> Result<Option<Loaded>, StoreError> {
    let Some(row) = request::Entity::find_by_id(id.to_string()).one(db).await? else { return Ok(None) };
    let state: Instance = serde_json::from_str(&row.state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Some(Loaded { state, row_version: row.row_version, last_hash: row.last_hash }))
}

/// The request a submitter already made with this idempotency key, if any.
pub async fn by_idempotency_key<C: ConnectionTrait>(
    db: &C,
    submitter: &str,
    key: &str,
) -> Result<Option<String>, StoreError> {
    Ok(request::Entity::find()
        .filter(request::Column::Submitter.eq(submitter))
        .filter(request::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?
        .map(|r| r.id))
}

/// The request a submitter already made with this idempotency key, if any, with the hash of the
/// submit it came with (`None` on rows older than the hash).
pub async fn by_idempotency_key_with_hash<C: ConnectionTrait>(
    db: &C,
    submitter: &str,
    key: &str,
) -> Result<Option<(String, Option<String>)>, StoreError> {
    Ok(request::Entity::find()
        .filter(request::Column::Submitter.eq(submitter))
        .filter(request::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?
        .map(|r| (r.id, r.idempotency_hash)))
}

/// Records the hash of the submit that made request `id` with an idempotency key (in the
/// submit's transaction).
pub async fn set_idempotency_hash<C: ConnectionTrait>(db: &C, id: &str, hash: &str) -> Result<(), StoreError> {
    request::Entity::update_many()
        .col_expr(request::Column::IdempotencyHash, Expr::value(hash))
        .filter(request::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

fn status_name(st: &Instance) -> String {
    match st.status {
        workflows::engine::Status::Finished(o) => o.as_str().to_string(),
        s => serde_json::to_value(s).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
    }
}

/// Saves one command's output. `expected` is the row version the command was computed from
/// (`None` for a submit). Another writer in between makes this fail with `Conflict`.
pub async fn save<C: ConnectionTrait>(
    db: &C,
    expected: Option<i64>,
    out: &Output,
    meta: &Meta,
) -> Result<i64, StoreError> {
    save_after(db, expected.map(|v| (v, None)), out, meta).await
}

/// `save` of a command computed from `loaded`: the chain continues from the hash it was loaded
/// with (the row version check proves no event was appended since).
pub async fn save_loaded<C: ConnectionTrait>(
    db: &C,
    loaded: &Loaded,
    out: &Output,
    meta: &Meta,
) -> Result<i64, StoreError> {
    save_after(db, Some((loaded.row_version, loaded.last_hash.clone())), out, meta).await
}

async fn save_after<C: ConnectionTrait>(
    db: &C,
    expected: Option<(i64, Option<String>)>,
    out: &Output,
    meta: &Meta,
) -> Result<i64, StoreError> {
    let st = &out.state;
    let now = out.events.last().map_or(0, |e| millis(e.at));
    let state_json = serde_json::to_string(st).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    // Where the audit chain goes on from: nothing before a submit; the loaded hash, or (rows
    // older than `last_hash`) the newest event's.
    let prev = match &expected {
        None => "0".repeat(64),
        Some((_, Some(h))) => h.clone(),
        Some((_, None)) => last_event_hash(db, &st.id).await?,
    };
    let (event_rows, last_hash) = chain(&prev, &st.id, &out.events, meta)?;
    let row_version = match expected {
        None => {
            request::Entity::insert(request::ActiveModel {
                id: Set(st.id.clone()),
                key: Set(st.key.clone()),
                version: Set(st.version as i32),
                submitter: Set(st.submitter.id.clone()),
                title: Set(st.title.chars().take(400).collect()),
                status: Set(status_name(st)),
                need_to_know: Set(st.need_to_know),
                state: Set(state_json),
                row_version: Set(1),
                idempotency_key: Set(meta.idempotency_key.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                last_hash: Set(Some(last_hash)),
                idempotency_hash: Set(None),
            })
            .exec_without_returning(db)
            .await?;
            1
        }
        Some((v, _)) => {
            let res = request::Entity::update_many()
                .col_expr(request::Column::State, Expr::value(state_json))
                .col_expr(request::Column::Status, Expr::value(status_name(st)))
                // A resubmitted form may change both (issue 10).
                .col_expr(request::Column::Title, Expr::value(st.title.chars().take(400).collect::<String>()))
                .col_expr(request::Column::NeedToKnow, Expr::value(st.need_to_know))
                .col_expr(request::Column::RowVersion, Expr::value(v + 1))
                .col_expr(request::Column::UpdatedAt, Expr::value(now))
                .col_expr(request::Column::LastHash, Expr::value(last_hash))
                .filter(request::Column::Id.eq(st.id.clone()))
                .filter(request::Column::RowVersion.eq(v))
                .exec(db)
                .await?;
            if res.rows_affected != 1 {
                return Err(StoreError::Conflict);
            }
            v + 1
        }
    };
    for chunk in event_rows.chunks(200) {
        event::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    // The inbox: every task the events touched, as it stands now.
    let touched: std::collections::BTreeSet<u32> = out
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TaskCreated { task, .. }
            | EventKind::TaskDecided { task, .. }
            | EventKind::TaskCancelled { task, .. } => Some(*task),
            _ => None,
        })
        .collect();
    let task_rows: Vec<task::ActiveModel> = touched
        .iter()
        .filter_map(|id| st.tasks.get(id))
        .map(|t| {
            let state = match &t.state {
                TaskState::Open => "open",
                TaskState::Decided { .. } => "decided",
                TaskState::Cancelled { .. } => "cancelled",
            };
            task::ActiveModel {
                request_id: Set(st.id.clone()),
                task_no: Set(t.id as i32),
                assignee: Set(t.assignee.clone()),
                on_behalf_of: Set(t.on_behalf_of.clone()),
                step: Set(t.step.clone()),
                kind: Set(format!("{:?}", t.kind).to_lowercase()),
                state: Set(state.into()),
                round: Set(t.round as i32),
                created_at: Set(millis(t.created_at)),
                due_at: Set(t.due_at.map(millis)),
                post: Set(t.post.as_ref().and_then(|p| serde_json::to_string(p).ok())),
            }
        })
        .collect();
    // one statement for every task the command touched
    for chunk in task_rows.chunks(200) {
        task::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([task::Column::RequestId, task::Column::TaskNo])
                    .update_column(task::Column::State)
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    let first_seq = out.events.first().map_or(0, |e| e.seq);
    let mut notices = Vec::new();
    for (i, effect) in out.effects.iter().enumerate() {
        match effect {
            Effect::Notify { to, lang, template, task } => {
                let key = format!("{}:{first_seq}:{i}", st.id);
                let template =
                    serde_json::to_value(template).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
                let lang = if *lang == workflows::catalog::Lang::En { "en" } else { "zh" };
                notices.push(super::jobs::notification(&key, &st.id, to, &template, lang, task.map(|t| t as i32), now));
            }
            Effect::ScheduleTimer(t) => {
                let kind = serde_json::to_string(&t.kind).unwrap_or_default();
                super::jobs::upsert_timer(db, &st.id, &t.id, millis(t.at), kind).await?;
            }
            // Records are written by the caller (`store::records`), which also changes the org.
            Effect::CancelTimer { .. } | Effect::Record { .. } => {}
        }
    }
    super::jobs::insert_notifications(db, notices).await?;
    // A task that is no longer open takes its mail links and reply addresses with it.
    for e in &out.events {
        if let EventKind::TaskDecided { task, .. } | EventKind::TaskCancelled { task, .. } = &e.kind {
            super::actions::kill_task(db, &st.id, *task as i32, now).await?;
        }
    }
    // A timer cleared by an event (cancelled, or fired) is done.
    for e in &out.events {
        if let EventKind::TimerCleared { timer: id } = &e.kind {
            timer::Entity::update_many()
                .col_expr(timer::Column::Status, Expr::value("done"))
                .filter(timer::Column::RequestId.eq(st.id.clone()))
                .filter(timer::Column::TimerId.eq(id.clone()))
                .exec(db)
                .await?;
        }
    }
    Ok(row_version)
}

/// The hash of a request's newest event (the chain's start when it has none).
async fn last_event_hash<C: ConnectionTrait>(db: &C, request: &str) -> Result<String, StoreError> {
    Ok(event::Entity::find()
        .filter(event::Column::RequestId.eq(request))
        .order_by_desc(event::Column::Seq)
        .limit(1)
        .one(db)
        .await?
        .map_or_else(|| "0".repeat(64), |e| e.hash))
}

/// The rows of `events`, each hashed onto the one before (from `prev`), and the last hash.
fn chain(
    prev: &str,
    request: &str,
    events: &[Event],
    meta: &Meta,
) -> Result<(Vec<event::ActiveModel>, String), StoreError> {
    let mut prev = prev.to_string();
    let mut rows = Vec::with_capacity(events.len());
    for e in events {
        let body = serde_json::to_string(e).map_err(|x| StoreError::Corrupt(x.to_string()))?;
        let kind = kind_name(&e.kind);
        let at = millis(e.at);
        let hash = event_hash(&prev, request, e.seq as i64, at, &kind, &body);
        rows.push(event::ActiveModel {
            request_id: Set(request.to_string()),
            seq: Set(e.seq as i64),
            at: Set(at),
            kind: Set(kind),
            channel: Set(serde_json::to_value(e.channel)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default()),
            body: Set(body),
            address: Set(meta.address.clone()),
            user_agent: Set(meta.user_agent.as_ref().map(|u| u.chars().take(255).collect())),
            opened_at: Set(meta.opened_at.filter(|_| matches!(e.kind, EventKind::TaskDecided { .. }))),
            prev_hash: Set(prev.clone()),
            hash: Set(hash.clone()),
        });
        prev = hash;
    }
    Ok((rows, prev))
}

/// The events of a request, in order.
pub async fn events<C: ConnectionTrait>(db: &C, request: &str) -> Result<Vec<(Event, event::Model)>, StoreError> {
    let rows = event::Entity::find()
        .filter(event::Column::RequestId.eq(request))
        .order_by_asc(event::Column::Seq)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|r| serde_json::from_str::<Event>(&r.body).map(|e| (e, r)).map_err(|x| StoreError::Corrupt(x.to_string())))
        .collect()
}

/// A break in a request's hash chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The request.
    pub request: String,
    /// The first event whose hash does not match.
    pub seq: i64,
}

/// Checks every request's hash chain; returns (events checked, breaks).
pub async fn verify_chains<C: ConnectionTrait>(db: &C) -> Result<(usize, Vec<ChainBreak>), StoreError> {
    let rows =
        event::Entity::find().order_by_asc(event::Column::RequestId).order_by_asc(event::Column::Seq).all(db).await?;
    let mut breaks: Vec<ChainBreak> = Vec::new();
    let mut prev: Option<(String, String)> = None;
    for r in &rows {
        let expected_prev = match &prev {
            Some((req, h)) if *req == r.request_id => h.clone(),
            _ => "0".repeat(64),
        };
        let hash = event_hash(&expected_prev, &r.request_id, r.seq, r.at, &r.kind, &r.body);
        if (r.prev_hash != expected_prev || r.hash != hash) && !breaks.iter().any(|b| b.request == r.request_id) {
            breaks.push(ChainBreak { request: r.request_id.clone(), seq: r.seq });
        }
        prev = Some((r.request_id.clone(), r.hash.clone()));
    }
    Ok((rows.len(), breaks))
}

/// Open tasks of `person`, oldest first, after the cursor `(created_at, request, task)`.
pub async fn open_tasks_of<C: ConnectionTrait>(
    db: &C,
    person: &str,
    limit: u64,
) -> Result<Vec<task::Model>, StoreError> {
    Ok(task::Entity::find()
        .filter(task::Column::Assignee.eq(person))
        .filter(task::Column::State.eq("open"))
        .order_by_asc(task::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await?)
}

/// Open tasks held on behalf of someone (by a delegate), oldest first; only those `delegate`
/// holds for `principal` when `pair` is `(principal, delegate)`.
pub async fn held_tasks<C: ConnectionTrait>(
    db: &C,
    pair: Option<(&str, &str)>,
) -> Result<Vec<task::Model>, StoreError> {
    let mut q =
        task::Entity::find().filter(task::Column::State.eq("open")).filter(task::Column::OnBehalfOf.is_not_null());
    if let Some((principal, delegate)) = pair {
        q = q.filter(task::Column::OnBehalfOf.eq(principal)).filter(task::Column::Assignee.eq(delegate));
    }
    Ok(q.order_by_asc(task::Column::CreatedAt).all(db).await?)
}

/// Open tasks held by, or on behalf of, any of `people`, oldest first.
pub async fn open_tasks_of_any<C: ConnectionTrait>(db: &C, people: &[String]) -> Result<Vec<task::Model>, StoreError> {
    let mut out = Vec::new();
    for chunk in people.chunks(500) {
        let cond = sea_orm::Condition::any()
            .add(task::Column::Assignee.is_in(chunk.iter().cloned()))
            .add(task::Column::OnBehalfOf.is_in(chunk.iter().cloned()));
        out.extend(task::Entity::find().filter(task::Column::State.eq("open")).filter(cond).all(db).await?);
    }
    out.sort_by(|a, b| (a.created_at, &a.request_id, a.task_no).cmp(&(b.created_at, &b.request_id, b.task_no)));
    out.dedup_by(|a, b| a.request_id == b.request_id && a.task_no == b.task_no);
    Ok(out)
}

/// An open task with the post that made its reviewer one (issue 10).
#[derive(Debug, Clone)]
pub struct PostedTask {
    /// The task's row.
    pub task: task::Model,
    /// Its qualifying post.
    pub post: workflows::org::PostRef,
}

impl PostedTask {
    /// The reviewer the task asks: the person a delegate stands in for, else the assignee.
    pub fn reviewer(&self) -> &str {
        self.task.on_behalf_of.as_deref().unwrap_or(&self.task.assignee)
    }
}

/// Open tasks that a post made their reviewer's (selector or escalation rung), oldest first.
/// A row whose `post` does not read (not written by this version) is left out.
pub async fn open_tasks_with_posts<C: ConnectionTrait>(db: &C) -> Result<Vec<PostedTask>, StoreError> {
    let rows = task::Entity::find()
        .filter(task::Column::State.eq("open"))
        .filter(task::Column::Post.is_not_null())
        .order_by_asc(task::Column::CreatedAt)
        .order_by_asc(task::Column::RequestId)
        .order_by_asc(task::Column::TaskNo)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|t| {
            let post = serde_json::from_str(t.post.as_deref()?).ok()?;
            Some(PostedTask { task: t, post })
        })
        .collect())
}

/// When the row was last changed.
pub fn updated(row: &request::Model) -> chrono::DateTime<chrono::Utc> {
    from_millis(row.updated_at)
}

/// Filters of a request list; `after` is the (created_at, id) the previous page ended with.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Status.
    pub status: Option<String>,
    /// Workflow key.
    pub workflow: Option<String>,
    /// Submitter.
    pub submitter: Option<String>,
    /// Keyset cursor.
    pub after: Option<(i64, String)>,
}

/// Requests, newest first, keyset-paginated.
pub async fn list<C: ConnectionTrait>(db: &C, f: &ListFilter, limit: u64) -> Result<Vec<request::Model>, StoreError> {
    use sea_orm::Condition;
    let mut q = request::Entity::find();
    if let Some(s) = &f.status {
        q = q.filter(request::Column::Status.eq(s.clone()));
    }
    if let Some(w) = &f.workflow {
        q = q.filter(request::Column::Key.eq(w.clone()));
    }
    if let Some(p) = &f.submitter {
        q = q.filter(request::Column::Submitter.eq(p.clone()));
    }
    if let Some((at, id)) = &f.after {
        q = q.filter(
            Condition::any()
                .add(request::Column::CreatedAt.lt(*at))
                .add(Condition::all().add(request::Column::CreatedAt.eq(*at)).add(request::Column::Id.lt(id.clone()))),
        );
    }
    Ok(q.order_by_desc(request::Column::CreatedAt).order_by_desc(request::Column::Id).limit(limit).all(db).await?)
}
