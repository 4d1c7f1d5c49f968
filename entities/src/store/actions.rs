//! Email approvals: action tokens (stored only as hashes), inbound mail kept before it is
//! acknowledged, and the log of every attempt to act through mail.

use super::StoreError;
use crate::entity::workflow::{action_token, inbound_mail, mail_action};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

/// Stores new tokens.
pub async fn issue<C: ConnectionTrait>(db: &C, tokens: Vec<action_token::ActiveModel>) -> Result<(), StoreError> {
    if !tokens.is_empty() {
        action_token::Entity::insert_many(tokens).exec_without_returning(db).await?;
    }
    Ok(())
}

/// The token stored under `hash`.
pub async fn token<C: ConnectionTrait>(db: &C, hash: &str) -> Result<Option<action_token::Model>, StoreError> {
    Ok(action_token::Entity::find_by_id(hash.to_string()).one(db).await?)
}

/// Uses a token up: true when it was unused, alive and not expired at `now` (in the command's
/// transaction, so a decision and the token's use commit together or not at all).
pub async fn consume<C: ConnectionTrait>(db: &C, hash: &str, now: i64) -> Result<bool, StoreError> {
    let r = action_token::Entity::update_many()
        .col_expr(action_token::Column::UsedAt, Expr::value(now))
        .filter(action_token::Column::TokenHash.eq(hash))
        .filter(action_token::Column::UsedAt.is_null())
        .filter(action_token::Column::DeadAt.is_null())
        .filter(action_token::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Kills every live token of a task (it was decided, moved, or its request ended).
pub async fn kill_task<C: ConnectionTrait>(db: &C, request: &str, task: i32, now: i64) -> Result<u64, StoreError> {
    Ok(action_token::Entity::update_many()
        .col_expr(action_token::Column::DeadAt, Expr::value(now))
        .filter(action_token::Column::RequestId.eq(request))
        .filter(action_token::Column::TaskNo.eq(task))
        .filter(action_token::Column::UsedAt.is_null())
        .filter(action_token::Column::DeadAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Keeps a received mail; returns its id.
pub async fn receive<C: ConnectionTrait>(db: &C, row: inbound_mail::ActiveModel) -> Result<i64, StoreError> {
    Ok(row.insert(db).await?.id)
}

/// Inbound mail not handled yet (or whose handling was cut short before `stale_before`).
pub async fn pending_inbound<C: ConnectionTrait>(
    db: &C,
    stale_before: i64,
    limit: u64,
) -> Result<Vec<inbound_mail::Model>, StoreError> {
    Ok(inbound_mail::Entity::find()
        .filter(inbound_mail::Column::Status.eq("pending"))
        .filter(inbound_mail::Column::ClaimedAt.is_null().or(inbound_mail::Column::ClaimedAt.lt(stale_before)))
        .order_by_asc(inbound_mail::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Takes an inbound mail for handling; false when another worker has it.
pub async fn claim_inbound<C: ConnectionTrait>(
    db: &C,
    id: i64,
    now: i64,
    stale_before: i64,
) -> Result<bool, StoreError> {
    let r = inbound_mail::Entity::update_many()
        .col_expr(inbound_mail::Column::ClaimedAt, Expr::value(now))
        .filter(inbound_mail::Column::Id.eq(id))
        .filter(inbound_mail::Column::Status.eq("pending"))
        .filter(inbound_mail::Column::ClaimedAt.is_null().or(inbound_mail::Column::ClaimedAt.lt(stale_before)))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// An inbound mail was handled.
pub async fn inbound_done<C: ConnectionTrait>(db: &C, id: i64, outcome: &str) -> Result<(), StoreError> {
    inbound_mail::Entity::update_many()
        .col_expr(inbound_mail::Column::Status, Expr::value("done"))
        .col_expr(inbound_mail::Column::Outcome, Expr::value(outcome.chars().take(2000).collect::<String>()))
        .filter(inbound_mail::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// One inbound mail.
pub async fn inbound<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<inbound_mail::Model>, StoreError> {
    Ok(inbound_mail::Entity::find_by_id(id).one(db).await?)
}

/// The idempotency key of one notification (its mail's Message-ID is made from it), if it exists.
pub async fn outbox_key<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<String>, StoreError> {
    Ok(crate::entity::workflow::outbox::Entity::find_by_id(id).one(db).await?.map(|o| o.idempotency_key))
}

/// Logs an attempt to act through mail.
pub async fn log<C: ConnectionTrait>(db: &C, row: mail_action::ActiveModel) -> Result<(), StoreError> {
    mail_action::Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// The newest logged attempts, optionally only one outcome.
pub async fn attempts<C: ConnectionTrait>(
    db: &C,
    outcome: Option<&str>,
    limit: u64,
) -> Result<Vec<mail_action::Model>, StoreError> {
    let mut q = mail_action::Entity::find().order_by_desc(mail_action::Column::Id).limit(limit);
    if let Some(o) = outcome {
        q = q.filter(mail_action::Column::Outcome.eq(o));
    }
    Ok(q.all(db).await?)
}

/// A new log row (the caller fills in what it knows).
pub fn attempt(channel: &str, outcome: &str, reason: &str, now: i64) -> mail_action::ActiveModel {
    mail_action::ActiveModel {
        at: Set(now),
        channel: Set(channel.into()),
        outcome: Set(outcome.into()),
        reason: Set(reason.chars().take(1000).collect()),
        request_id: Set(None),
        task_no: Set(None),
        person_id: Set(None),
        sender: Set(None),
        address: Set(None),
        user_agent: Set(None),
        ..Default::default()
    }
}
