//! Work for the background workers: outbox rows to deliver and timers that fell due, each claimed
//! with a conditional update so that one worker (of any number of processes) takes it.

use super::StoreError;
use crate::entity::workflow::{outbox, timer};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// Pending notifications whose next attempt is due.
pub async fn due_outbox<C: ConnectionTrait>(db: &C, now: i64, limit: u64) -> Result<Vec<outbox::Model>, StoreError> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::Status.eq("pending"))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Takes a notification for sending if its status is one of `from`, counting the attempt;
/// returns the row as claimed, or `None` when it is elsewhere (another worker took it, or it is
/// already sent or failed for good).
pub async fn claim_outbox<C: ConnectionTrait>(
    db: &C,
    id: i64,
    now: i64,
    from: &[&str],
) -> Result<Option<outbox::Model>, StoreError> {
    let r = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value("sending"))
        .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(now))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.is_in(from.iter().copied()))
        .exec(db)
        .await?;
    if r.rows_affected != 1 {
        return Ok(None);
    }
    Ok(outbox::Entity::find_by_id(id).one(db).await?)
}

/// A pending notification was handed to the job queue; false when it was not pending (any more)
/// at `next_attempt_at`.
pub async fn mark_queued<C: ConnectionTrait>(db: &C, id: i64, next_attempt_at: i64) -> Result<bool, StoreError> {
    let r = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value("queued"))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.eq("pending"))
        .filter(outbox::Column::NextAttemptAt.eq(next_attempt_at))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// `mark_queued` for many rows in one transaction; returns how many were marked.
pub async fn mark_all_queued(db: &sea_orm::DatabaseConnection, rows: Vec<(i64, i64)>) -> Result<usize, StoreError> {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await?;
    let mut n = 0;
    for (id, next_attempt_at) in rows {
        n += mark_queued(&txn, id, next_attempt_at).await? as usize;
    }
    txn.commit().await?;
    Ok(n)
}

/// How many notifications are in each status (`pending`, `queued`, `sending`, `sent`, `failed`).
pub async fn outbox_counts<C: ConnectionTrait>(db: &C) -> Result<Vec<(String, i64)>, StoreError> {
    use sea_orm::FromQueryResult;
    #[derive(FromQueryResult)]
    struct Row {
        status: String,
        n: i64,
    }
    let rows = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Status)
        .column_as(outbox::Column::Id.count(), "n")
        .group_by(outbox::Column::Status)
        .into_model::<Row>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.status, r.n)).collect())
}

/// Records the outcome of a send: `sent`, `queued` (the job queue retries it), back to `pending`
/// at `at`, or `failed` for good.
pub async fn outbox_result<C: ConnectionTrait>(
    db: &C,
    id: i64,
    status: &str,
    at: i64,
    error: Option<String>,
) -> Result<(), StoreError> {
    let mut q = outbox::Entity::update_many().col_expr(outbox::Column::Status, Expr::value(status));
    q = match status {
        "sent" => q.col_expr(outbox::Column::SentAt, Expr::value(at)),
        _ => q.col_expr(outbox::Column::NextAttemptAt, Expr::value(at)),
    };
    q.col_expr(outbox::Column::LastError, Expr::value(error)).filter(outbox::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// Sends interrupted by a crash go back to pending (a retry keeps the Message-ID). Only for
/// the direct delivery path (MySQL); on the job queue a crashed job is taken up again by apalis.
pub async fn reset_stale_sending<C: ConnectionTrait>(db: &C, older_than: i64) -> Result<u64, StoreError> {
    Ok(outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value("pending"))
        .filter(outbox::Column::Status.eq("sending"))
        .filter(outbox::Column::NextAttemptAt.lt(older_than))
        .exec(db)
        .await?
        .rows_affected)
}

/// Timers due at `now`.
pub async fn due_timers<C: ConnectionTrait>(db: &C, now: i64, limit: u64) -> Result<Vec<timer::Model>, StoreError> {
    Ok(timer::Entity::find()
        .filter(timer::Column::Status.eq("pending"))
        .filter(timer::Column::DueAt.lte(now))
        .order_by_asc(timer::Column::DueAt)
        .limit(limit)
        .all(db)
        .await?)
}

/// Takes a due timer; false when another worker took it first.
pub async fn claim_timer<C: ConnectionTrait>(
    db: &C,
    request: &str,
    id: &str,
    worker: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let r = timer::Entity::update_many()
        .col_expr(timer::Column::Status, Expr::value("claimed"))
        .col_expr(timer::Column::ClaimedBy, Expr::value(worker))
        .col_expr(timer::Column::ClaimedAt, Expr::value(now))
        .filter(timer::Column::RequestId.eq(request))
        .filter(timer::Column::TimerId.eq(id))
        .filter(timer::Column::Status.eq("pending"))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Marks a timer done (fired, or found stale).
pub async fn timer_done<C: ConnectionTrait>(db: &C, request: &str, id: &str) -> Result<(), StoreError> {
    timer::Entity::update_many()
        .col_expr(timer::Column::Status, Expr::value("done"))
        .filter(timer::Column::RequestId.eq(request))
        .filter(timer::Column::TimerId.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Claims left by a crashed worker go back to pending.
pub async fn reset_stale_claims<C: ConnectionTrait>(db: &C, older_than: i64) -> Result<u64, StoreError> {
    Ok(timer::Entity::update_many()
        .col_expr(timer::Column::Status, Expr::value("pending"))
        .filter(timer::Column::Status.eq("claimed"))
        .filter(timer::Column::ClaimedAt.lt(older_than))
        .exec(db)
        .await?
        .rows_affected)
}

/// Deliveries in a status (`failed`, `pending`, `sent`), newest first.
pub async fn deliveries<C: ConnectionTrait>(
    db: &C,
    status: &str,
    limit: u64,
) -> Result<Vec<outbox::Model>, StoreError> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::Status.eq(status))
        .order_by_desc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Puts a failed delivery back in the queue; false when it is not failed.
pub async fn retry_delivery<C: ConnectionTrait>(db: &C, id: i64, now: i64) -> Result<bool, StoreError> {
    let r = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value("pending"))
        .col_expr(outbox::Column::Attempts, Expr::value(0))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(now))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.eq("failed"))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// A new notification row, pending from `now` (the engine's, a duty's, a login's, an answer's).
pub fn notification(
    key: &str,
    request: &str,
    recipient: &str,
    template: &str,
    lang: &str,
    task_no: Option<i32>,
    now: i64,
) -> outbox::ActiveModel {
    use sea_orm::Set;
    outbox::ActiveModel {
        idempotency_key: Set(key.chars().take(160).collect()),
        request_id: Set(request.into()),
        recipient: Set(recipient.into()),
        template: Set(template.chars().take(32).collect()),
        lang: Set(lang.into()),
        task_no: Set(task_no),
        status: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        created_at: Set(now),
        sent_at: Set(None),
        last_error: Set(None),
        ..Default::default()
    }
}

/// Inserts a notification unless one with its key exists.
pub async fn insert_notification<C: ConnectionTrait>(db: &C, row: outbox::ActiveModel) -> Result<(), StoreError> {
    insert_notifications(db, vec![row]).await
}

/// `insert_notification` for many rows in one statement.
pub async fn insert_notifications<C: ConnectionTrait>(
    db: &C,
    rows: Vec<outbox::ActiveModel>,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::OnConflict;
    for chunk in rows.chunks(200) {
        outbox::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(outbox::Column::IdempotencyKey)
                    .do_nothing_on([outbox::Column::IdempotencyKey])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Queues a notification outside the engine (the answer to an unclear reply…), once per `key`.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    key: &str,
    request: &str,
    recipient: &str,
    template: &str,
    lang: &str,
    task_no: Option<i32>,
) -> Result<(), StoreError> {
    let now = chrono::Utc::now().timestamp_millis();
    insert_notification(db, notification(key, request, recipient, template, lang, task_no, now)).await
}

/// Records a duty notice and queues its mail, in one transaction, unless it was recorded before.
/// Returns whether it is new.
pub async fn record_duty(
    db: &sea_orm::DatabaseConnection,
    notice: &workflows::duties::Notice,
    lang: &str,
    now: i64,
) -> Result<bool, StoreError> {
    use crate::entity::workflow::duty_notice;
    use sea_orm::Set;
    use sea_orm::sea_query::OnConflict;
    let key: String =
        format!("duty:{}:{}:{}", notice.duty.as_str(), notice.period, notice.person).chars().take(160).collect();
    let txn = sea_orm::TransactionTrait::begin(db).await?;
    let inserted = duty_notice::Entity::insert(duty_notice::ActiveModel {
        key: Set(key.clone()),
        duty: Set(notice.duty.as_str().into()),
        person: Set(notice.person.clone()),
        title: Set(serde_json::to_string(&notice.title).unwrap_or_default()),
        detail: Set(serde_json::to_string(&notice.detail).unwrap_or_default()),
        created_at: Set(now),
    })
    .on_conflict(OnConflict::column(duty_notice::Column::Key).do_nothing_on([duty_notice::Column::Key]).to_owned())
    .exec_without_returning(&txn)
    .await?;
    if inserted == 1 {
        insert_notification(&txn, notification(&key, "", &notice.person, "duty", lang, None, now)).await?;
    }
    txn.commit().await?;
    Ok(inserted == 1)
}

/// A recorded duty notice.
pub async fn duty_notice<C: ConnectionTrait>(
    db: &C,
    key: &str,
) -> Result<Option<crate::entity::workflow::duty_notice::Model>, StoreError> {
    Ok(crate::entity::workflow::duty_notice::Entity::find_by_id(key.to_string()).one(db).await?)
}

/// Writes (or moves) one pending timer `(request, id)` due at `due_at` (ms since the epoch) with
/// its JSON `kind`, in the caller's transaction: a timer set again with the same id replaces the
/// old one (a new due time, pending again), so a command or a delegation never leaves two.
pub async fn upsert_timer<C: ConnectionTrait>(
    db: &C,
    request: &str,
    id: &str,
    due_at: i64,
    kind: String,
) -> Result<(), StoreError> {
    use sea_orm::Set;
    use sea_orm::sea_query::OnConflict;
    let row = timer::ActiveModel {
        request_id: Set(request.to_string()),
        timer_id: Set(id.to_string()),
        due_at: Set(due_at),
        kind: Set(kind),
        status: Set("pending".into()),
        claimed_by: Set(None),
        claimed_at: Set(None),
    };
    timer::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([timer::Column::RequestId, timer::Column::TimerId])
                .update_columns([timer::Column::DueAt, timer::Column::Status, timer::Column::Kind])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
